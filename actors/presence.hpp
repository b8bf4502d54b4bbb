#pragma once

#include <caf/all.hpp>

#include <map>
#include <string>
#include <unordered_map>

#include "actors/messages.hpp"

namespace parley::actors {

struct presence_state {
  std::unordered_map<std::string, int64_t> connections;  ///< user -> live sessions
  std::map<caf::actor_addr, std::string> sessions;       ///< session -> user
  static inline const char* name = "parley.presence";
};

using presence_actor_ptr = caf::stateful_actor<presence_state>*;

/// The presence registry: knows which users have at least one authenticated connection.
/// Sessions announce themselves; the registry notices their end through monitoring, so a
/// crashed session cannot leave a user online forever.
///   (online_atom, user)   from a session when it starts
///   (count_atom, user)    -> int64_t, the user's live sessions
///   (count_atom)          -> int64_t, all live sessions
caf::behavior presence_actor(presence_actor_ptr self);

}  // namespace parley::actors
