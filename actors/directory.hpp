#pragma once

#include <caf/all.hpp>

#include <random>
#include <string>
#include <unordered_map>

#include "actors/messages.hpp"
#include "actors/room_config.hpp"

namespace parley::actors {

struct directory_state {
  room_config cfg;
  std::vector<caf::actor> writers;
  std::vector<caf::actor> readers;
  std::unordered_map<std::string, caf::actor> rooms;
  /// Lookups of a room whose `create` is still in flight wait for it, so a client that
  /// pipelines create, join and send finds the room it just created.
  std::unordered_map<std::string, std::vector<caf::response_promise>> creating;
  std::mt19937_64 rng{std::random_device{}()};
  static inline const char* name = "parley.directory";
};

using directory_actor_ptr = caf::stateful_actor<directory_state>*;

/// The directory: resolves a room id to its room actor, spawning it on demand (it loads
/// itself from storage) with the writer and reader its id hashes to, and forgets rooms that
/// stop. Creates rooms through that writer.
///   (get_room_atom, room_id)            -> caf::actor
///   (create_atom, user, create_req)     -> ok_create (validated by the session)
///   (drain_atom)                        -> void, once every room has nothing in flight
///   (stopping_atom, room_id)            from a room that stops after being idle
caf::behavior directory_actor(directory_actor_ptr self, room_config cfg,
                              std::vector<caf::actor> writers, std::vector<caf::actor> readers);

/// The pool member for a room: a stable hash of its id (FNV-1a), so a room always uses the
/// same writer and per-room order holds.
size_t pool_index(const std::string& room_id, size_t pool_size);

}  // namespace parley::actors
