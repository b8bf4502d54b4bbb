#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "actors/protocol.hpp"
#include "actors/wire_event.hpp"

namespace parley::actors {

/// WebSocket close codes the actors may ask for (PROTOCOL §7).
enum class close_code : uint16_t {
  normal = 1000,
  going_away = 1001,
  too_big = 1009,
  unauthorized = 4001,
  forbidden = 4003,
  policy = 4008,
  slow_consumer = 4009,
};

/// How actors talk to a client connection without knowing sockets: push an event or a reply,
/// or close. Implemented by net/ (a WebSocket connection) and by fakes in tests.
///
/// Every call is thread-safe and never blocks: it queues and returns. A link whose
/// connection is gone silently drops what it is given.
class client_link {
public:
  virtual ~client_link() = default;

  /// Queues a room event (shared, encoded once for all connections).
  virtual void deliver(event_ptr ev) = 0;

  /// Queues several events in order: a room's commit batch, handed over in one call so
  /// that a connection takes its inbox lock and asks for a flush once per batch, not once
  /// per event.
  virtual void deliver_all(std::span<const event_ptr> evs) {
    for (const auto& ev : evs)
      deliver(ev);
  }

  /// Queues a reply to one of this connection's requests.
  virtual void send_reply(reply r) = 0;

  /// Sends what is queued, then closes with `code`.
  virtual void close(close_code code, std::string reason) = 0;

  /// Asks the link to send its session `sweep_atom` on the link's own periodic tick while
  /// `on` (the session has requests waiting for answers), so that the session need not arm
  /// a CAF timer for its deadlines: in CAF 0.17 every timer is a round trip through the
  /// clock thread (a lock, a condition variable, a wake-up), ~20 µs of a pinned core per
  /// session that takes a request. Returns false if the link has no tick; the session then
  /// arms its own timer. The tick must come at least every quarter of the request timeout.
  virtual bool tick_sweeps(bool on) {
    (void)on;
    return false;
  }

  /// A request that came with `inbound::lane` set is finished: answered, refused, or past
  /// its deadline. Called exactly once per such request; the link gives the request's
  /// catch-up slot back (net/catch_up_lane.hpp).
  virtual void lane_done() {}
};

using link_ptr = std::shared_ptr<client_link>;

}  // namespace parley::actors
