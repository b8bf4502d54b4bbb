#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/client_link.hpp"
#include "actors/messages.hpp"
#include "actors/room_config.hpp"

namespace parley::actors {

struct presence_config {
  std::chrono::milliseconds grace{5'000};  ///< Offline only after this long without a session.
  size_t max_watched_per_session = 5'000;  ///< `presence` subscriptions per connection.
  std::chrono::milliseconds storage_timeout{10'000};
  wall_clock now_ms = system_now_ms;
};

struct presence_state {
  presence_config cfg;
  caf::actor writer;  ///< Persists last_seen.
  caf::actor reader;  ///< last_seen of users not in memory; conversation-list summaries.

  struct session_entry {
    std::string user;
    link_ptr link;
  };
  std::map<caf::actor_addr, session_entry> sessions;
  std::unordered_map<std::string, std::vector<caf::actor_addr>> online;  ///< user -> sessions
  std::unordered_map<std::string, uint64_t> going_offline;  ///< user -> pending grace timer

  /// The grace periods running, in the order they end (all have the same length): one CAF
  /// timer at a time, for the front, instead of one per user. In CAF 0.17 every timer is a
  /// round trip through the clock thread; 18,000 connections dropped at once (a load
  /// balancer's restart) made 18,000 of them, a quarter of the broker's CPU for that
  /// second, while live messages waited.
  struct grace_period {
    caf::actor_clock::time_point ends;
    std::string user;
    uint64_t generation;
  };
  std::deque<grace_period> grace_periods;
  bool grace_timer = false;  ///< A timer for the front is pending.
  std::unordered_map<std::string, int64_t> last_seen;       ///< Recently known, bounded.
  std::unordered_map<std::string, std::unordered_set<caf::actor_addr>> watchers;
  std::map<caf::actor_addr, std::unordered_set<std::string>> watching;
  uint64_t generation = 0;

  /// Rooms with conversation lines asked of the reader and not answered yet. A line the
  /// room made in the meantime is newer than the reader's answer for that user (the room's
  /// lines need no round trip), so the answer skips them: `made[user]` is the `clock` at
  /// which the user's latest line from the room went out, and a request remembers the
  /// clock when it left. Dropped when nothing is pending, so idle rooms cost nothing.
  struct pending_lines {
    uint64_t pending = 0;
    uint64_t clock = 0;
    std::unordered_map<std::string, uint64_t> made;
  };
  std::unordered_map<std::string, pending_lines> lines_asked;

  static inline const char* name = "parley.presence";

  /// Online: a live session, or the grace period after the last one has not passed yet.
  bool is_online(const std::string& user) const {
    return online.count(user) > 0 || going_offline.count(user) > 0;
  }
};

using presence_actor_ptr = caf::stateful_actor<presence_state>*;

/// The presence registry (PROTOCOL §6) and the hub of per-user pushes. It knows every
/// authenticated session and its link (sessions announce themselves; monitoring notices
/// their end, so a crashed session cannot leave a user online), announces `online` on a
/// user's first session and `offline` only after the grace period without any (a page
/// reload does not flap), stores last_seen, answers `presence` requests and keeps the
/// subscriptions they create, and delivers conversation-list `room` events to every
/// session of a room's members.
///   (online_atom, user, link)         as a session, by broker::spawn_session
///   (presence_atom, users)            -> ok_presence; subscribes the sender to changes
///   (room_atom, conversation_notice)  from a room whose log grew (at most once a second)
///                                     or a member's read marker moved: lines it made, and
///                                     members whose lines the reader makes; from the
///                                     directory for a new room
///   (disconnect_atom, user)           -> int64_t; closes the user's connections with 4003
///   (count_atom, user) / (count_atom) -> int64_t, live sessions (tests, metrics)
caf::behavior presence_actor(presence_actor_ptr self, presence_config cfg, caf::actor writer,
                             caf::actor reader);

}  // namespace parley::actors
