#pragma once

#include <caf/all.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/messages.hpp"
#include "actors/storage_breaker.hpp"
#include "storage/store.hpp"

namespace parley::actors {

struct writer_config {
  int64_t max_batch = 1'024;
  /// Appends waiting in writers' mailboxes; rooms refuse writes beyond their limit.
  std::shared_ptr<std::atomic<int64_t>> backlog = std::make_shared<std::atomic<int64_t>>(0);
  /// Store connections that are down (shared by all writers and readers; /readyz).
  std::shared_ptr<std::atomic<int>> unhealthy = std::make_shared<std::atomic<int>>(0);
};

/// A room's hand-over waiting for the next group commit: the writes it accepted in one
/// turn of its mailbox.
struct queued_writes {
  caf::actor room;
  std::string room_id;
  std::vector<pending_write> writes;
};

struct writer_state {
  std::shared_ptr<storage::store> store;
  writer_config cfg;
  std::vector<queued_writes> queue;
  int64_t queued = 0;  ///< Writes in `queue`.
  bool flush_scheduled = false;
  /// Rooms whose last batch failed: their later appends are dropped (the room has already
  /// failed them) until the room's `resync` arrives, which FIFO order puts after them.
  std::unordered_set<std::string> poisoned;
  storage_breaker breaker;
  static inline const char* name = "parley.writer";
};

using writer_actor_ptr = caf::stateful_actor<writer_state>*;

/// The writer: owns one store connection and commits in batches (group commit). Appends are
/// queued as they arrive; a `flush` message it sends itself runs after everything already in
/// its mailbox, so one transaction takes all that waited — one event under light load, up
/// to `max_batch` (plus the rest of the hand-over that reached it) under heavy load. Run it
/// detached: it blocks on the database. While the database is down (storage_breaker),
/// batches fail at once with `unavailable`.
///   (append_atom, room_id, std::vector<pending_write>)  from a room, in order; answered per
///       room and batch with
///       (committed_atom, room_id, count, events) or (failed_atom, room_id, error, duplicates);
///       `events` are the batch's events, moved back to the room (which moved them here)
///   (resync_atom, room_id, after)           -> resync_result
///   (create_atom, room_record)              -> void (conflict: the room exists)
///   (seen_atom, std::vector<user_seen>)      last_seen of users who went offline
///   (drain_atom)                            -> void, after committing what is queued
caf::behavior writer_actor(writer_actor_ptr self, std::shared_ptr<storage::store> store,
                           writer_config cfg);

}  // namespace parley::actors
