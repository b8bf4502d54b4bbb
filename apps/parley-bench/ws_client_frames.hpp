#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/ws_frame.hpp"

namespace parley::bench {

/// The opcodes are the server's (net/); the frames this side reads and writes are the
/// other direction's (unmasked in, masked out).
using ws_frame_op = net::ws_opcode;

/// The HTTP/1.1 upgrade request of a WebSocket client (RFC 6455 §4.1). The key is fixed: the
/// load generator trusts the server it measures, so it checks only the 101 status.
std::string upgrade_request(std::string_view target, std::string_view subprotocol);

/// Appends one client frame (FIN set) to `out`. Clients must mask; the key is all zeros, a
/// valid key that leaves the payload as it is (masking protects proxies, not this loopback).
void append_client_frame(std::string& out, ws_frame_op op, std::string_view payload);

/// Reader of server-to-client frames (unmasked), in place: a complete unfragmented message
/// is handed out as a view into the caller's buffer, so a frame costs no copy and no
/// allocation; fragments are reassembled in a string of their own.
class ws_client_frames {
public:
  /// Handles every complete frame at the front of `data`: `on_message(view)` for data
  /// messages, `on_ping(payload)` for pings. Returns the bytes consumed (the rest is an
  /// incomplete frame to present again with more bytes after it). Sets `failure` on a close
  /// frame or a frame a server must not send.
  template <class OnMessage, class OnPing>
  size_t parse(std::string_view data, OnMessage&& on_message, OnPing&& on_ping,
               std::string& failure) {
    size_t pos = 0;
    for (;;) {
      frame f;
      if (!next(data.substr(pos), f, failure))
        return pos;
      pos += f.size;
      switch (f.op) {
        case ws_frame_op::text:
        case ws_frame_op::binary:
          if (f.fin) {
            on_message(f.payload);
          } else {
            fragments_.assign(f.payload);
            in_message_ = true;
          }
          break;
        case ws_frame_op::continuation:
          fragments_.append(f.payload);
          if (f.fin) {
            in_message_ = false;
            on_message(std::string_view{fragments_});
          }
          break;
        case ws_frame_op::ping: on_ping(f.payload); break;
        case ws_frame_op::pong: break;
        case ws_frame_op::close:
          failure = "closed by the server" + close_detail(f.payload);
          return pos;
      }
    }
  }

private:
  struct frame {
    ws_frame_op op = ws_frame_op::text;
    bool fin = true;
    std::string_view payload;
    size_t size = 0;  ///< Header and payload.
  };

  /// The frame at the front of `data`: false if incomplete or (with `failure`) invalid.
  bool next(std::string_view data, frame& f, std::string& failure) const;
  static std::string close_detail(std::string_view payload);

  std::string fragments_;
  bool in_message_ = false;
};

}  // namespace parley::bench
