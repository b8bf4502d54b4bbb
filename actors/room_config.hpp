#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <caf/actor.hpp>

namespace parley::actors {

/// Wall-clock milliseconds since the Unix epoch; injectable so tests control `ts`.
using wall_clock = std::function<int64_t()>;
int64_t system_now_ms();

/// Limits and collaborators every room actor gets from the directory.
struct room_config {
  int64_t tail_events = 512;
  int64_t cid_cache = 10'000;
  int64_t max_in_flight = 1'000;
  int64_t replay_max = 1'000;
  int64_t max_held_events = 4'096;  ///< Live events held for one replaying subscriber.
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds storage_timeout{10'000};
  /// Appends waiting in all writers' mailboxes, shared with the writers.
  std::shared_ptr<std::atomic<int64_t>> writer_backlog = std::make_shared<std::atomic<int64_t>>(0);
  int64_t max_writer_backlog = 100'000;
  wall_clock now_ms = system_now_ms;
  /// Told (at most once a second per room) when a room's log grew, for `room` events.
  caf::actor presence;
};

}  // namespace parley::actors
