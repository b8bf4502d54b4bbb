#pragma once

#include <boost/container/flat_map.hpp>
#include <caf/all.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/client_link.hpp"
#include "actors/messages.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/request_deadlines.hpp"
#include "actors/validation.hpp"

namespace parley::actors {

struct session_config {
  request_limits limits;
  int64_t max_rooms = 1'000;
  int64_t max_requests_in_flight = 256;
  double rate_per_s = 20;   ///< Per user, for all of the user's sessions (see limiter).
  double rate_burst = 40;
  std::chrono::milliseconds request_timeout{10'000};
  /// The per-user buckets; the broker shares one among all sessions. None: no rate limit.
  std::shared_ptr<rate_limiter> limiter;
  /// A WebSocket session shows its user online; an HTTP request's session does not.
  /// (broker::spawn_session announces it, so that it is queued before the connection's hello.)
  bool announce_presence = true;
  /// The server API: the application's backend, which may publish as anyone and manage any
  /// room's members.
  bool trusted = false;
  /// The same for every session, so here rather than in each session's state.
  caf::actor directory;
  caf::actor presence;
};

struct session_state {
  std::string user;
  link_ptr link;
  /// Shared by every session of a kind (not a copy each: ~100 B per idle connection).
  std::shared_ptr<const session_config> cfg;
  caf::actor reader;  ///< For the user's conversation list (one of the pool, per user).
  /// Room id -> room actor. A sorted vector: a session joins a few rooms, and a node-based
  /// map cost ~170 B per idle connection (node and bucket array) where this costs ~40 B.
  boost::container::flat_map<std::string, caf::actor> joined;
  /// Joins asked of a room and not yet answered (see handle(join_req)); `leave`: the
  /// client left meanwhile, `leave_sent`: the room has been told.
  struct pending_join {
    int count = 0;
    bool leave = false;
    bool leave_sent = false;
  };
  boost::container::flat_map<std::string, pending_join> joins_pending;
  /// Rooms sent to without joining (most recent last, a few): no directory round trip.
  std::vector<std::pair<std::string, caf::actor>> known_rooms;
  /// The deadlines of the requests in flight (the sweep answers the late ones).
  request_deadlines<caf::actor_clock::time_point> deadlines;
  int32_t in_flight = 0;  ///< Requests taken and not answered (≤ max_requests_in_flight).
  bool sweep_scheduled = false;  ///< A CAF timer for the next sweep is armed.
  bool sweeps_on_tick = false;   ///< The link's tick sweeps for this session (tick_sweeps).
  // The state sits in CAF's actor object (~1.1 KiB before it); keeping the whole under
  // 1,280 B keeps it in mimalloc's 1,280 B size class instead of the 1,536 B one: 256 B less
  // per idle connection.
  static inline const char* name = "parley.session";
};

using session_actor_ptr = caf::stateful_actor<session_state>*;

/// One per authenticated connection. Takes the decoded requests of its connection
/// (`inbound`, or `inbound_batch` for the requests of one read), checks them (sizes, ids,
/// rate, requests in flight), forwards them to the directory or the room (a batch's runs of
/// sends to one room in one `send_batch_atom` request), and answers through the link. Events reach the link from rooms
/// directly. If a room it joined goes away, it closes the connection so the client resumes.
/// Stopped (exit message) by the connection when the socket closes.
caf::behavior session_actor(session_actor_ptr self, std::string user, link_ptr link,
                            std::shared_ptr<const session_config> cfg, caf::actor reader);

}  // namespace parley::actors
