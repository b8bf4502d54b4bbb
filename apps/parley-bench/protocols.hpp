#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bench {

/// What a frame from the server meant to the load generator.
struct server_event {
  enum class kind {
    none,      ///< Nothing the bench cares about.
    ready,     ///< The session is usable (Parley's hello, Socket.IO's connect, NATS's PONG).
    ack,       ///< The reply to request `id` (a join or a publish).
    delivery,  ///< A message for a subscriber; `body` is what the publisher sent.
    error,     ///< An error reply (to request `id` when known).
  };
  kind k = kind::none;
  int64_t id = -1;
  std::string_view body;
};

/// One system's wire protocol, client side: how to open a session, join a room, publish,
/// and read what comes back. Frames are text; `out` collects what to send in reply (pings).
class protocol {
public:
  virtual ~protocol() = default;

  virtual std::string name() const = 0;
  /// The upgrade request's target (path and query).
  virtual std::string target(const std::string& user, const std::string& token) const = 0;
  /// Sec-WebSocket-Protocol to offer, or "".
  virtual std::string subprotocol() const { return {}; }
  /// Whether the server acknowledges publishes (NATS does not).
  virtual bool acks_publish() const { return true; }
  /// Whether the server needs a token (Parley).
  virtual bool needs_token() const { return false; }

  virtual std::string join(const std::string& room, int64_t id) const = 0;
  /// A join that also asks for the room's log after `since` (Parley's resume); a system
  /// without a log joins plainly.
  virtual std::string join_since(const std::string& room, int64_t id, int64_t since) const {
    (void)since;
    return join(room, id);
  }
  virtual std::string publish(const std::string& room, const std::string& cid,
                              const std::string& body, int64_t id) const = 0;

  /// Parses one frame; may be called for frames carrying several protocol messages (NATS),
  /// in which case events are appended in order. An event's `body` is a view into the frame
  /// or into the parser's own buffer: valid until the next call.
  virtual void parse(std::string_view frame, std::vector<server_event>& events,
                     std::vector<std::string>& out) = 0;

  /// A fresh parser for one connection (NATS keeps a byte stream per connection).
  virtual std::unique_ptr<protocol> clone() const = 0;
};

/// parley (the broker), wspeer (the Node `ws` peer speaking a subset of the same JSON),
/// socketio (engine.io v4 + socket.io v5 packets), nats (the NATS text protocol over
/// WebSocket). nullptr for an unknown name.
std::unique_ptr<protocol> make_protocol(std::string_view system);

}  // namespace parley::bench
