#pragma once

#include <caf/all.hpp>

#include <atomic>
#include <memory>

#include "actors/messages.hpp"
#include "actors/storage_breaker.hpp"
#include "storage/store.hpp"

namespace parley::actors {

struct reader_state {
  std::shared_ptr<storage::store> store;
  storage_breaker breaker;
  static inline const char* name = "parley.reader";
};

using reader_actor_ptr = caf::stateful_actor<reader_state>*;

/// A reader: owns one store connection for reads, so history and replays never wait behind
/// (or block) a writer or a scheduler thread. Run it detached. While the database is down
/// (storage_breaker), it answers `unavailable` at once.
///   (load_atom, room_id, tail_n)            -> room_snapshot
///   (replay_atom, room_id, after, limit)    -> std::vector<storage::event>
///   (history_atom, history_query)           -> ok_history
///   (rooms_atom, user, limit)               -> ok_rooms (a conversation list)
///   (summaries_atom, room_id, users)        -> std::vector<storage::room_summary>
///   (last_seen_atom, users)                 -> std::vector<storage::user_seen>
caf::behavior reader_actor(reader_actor_ptr self, std::shared_ptr<storage::store> store,
                           std::shared_ptr<std::atomic<int>> unhealthy);

}  // namespace parley::actors
