#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::net {

enum class ws_opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// A complete WebSocket message (data messages reassembled from their fragments) or a
/// control frame, as the server receives it from a client.
struct ws_message {
  ws_opcode op = ws_opcode::text;
  std::string payload;  ///< Unmasked. For close: the raw payload (code + reason).
};

/// Incremental parser of client-to-server WebSocket frames (RFC 6455 §5): checks masking,
/// reserved bits, opcodes, control-frame rules and fragmentation, reassembles fragmented
/// messages, and refuses a message larger than the limit as soon as its header says so,
/// without buffering it. Input may arrive split anywhere.
///
/// Why not Beast's websocket::stream: it writes one message per call, while a connection
/// here writes all its queued frames in one gather write; and its per-connection buffers
/// are larger than the memory budget of an idle connection.
class ws_frame_parser {
public:
  enum class status {
    ok,              ///< Keep feeding.
    protocol_error,  ///< Close with 1002.
    too_big,         ///< Close with 1009.
  };

  explicit ws_frame_parser(size_t max_message) : max_message_(max_message) {}

  /// Consumes `data`; appends every completed message to `out`. After an error the parser
  /// stays failed.
  status feed(const uint8_t* data, size_t size, std::vector<ws_message>& out);
  status feed(std::string_view data, std::vector<ws_message>& out) {
    return feed(reinterpret_cast<const uint8_t*>(data.data()), data.size(), out);
  }

  /// Bytes held for an incomplete frame or message (for memory accounting).
  size_t buffered() const { return pending_.size() + message_.size(); }

  /// Frees buffer capacity while idle.
  void shrink();

private:
  status parse_frames(std::vector<ws_message>& out);

  size_t max_message_;
  std::string pending_;  ///< Bytes of a frame not yet complete.
  std::string message_;  ///< Fragments of a data message so far.
  ws_opcode message_op_ = ws_opcode::text;
  bool in_message_ = false;
  status failed_ = status::ok;
};

/// Writes the header of an unmasked server frame (FIN set) into `out` (at least 10 bytes);
/// returns its length.
size_t write_frame_header(uint8_t* out, ws_opcode op, size_t payload_size);

/// A close frame's payload: the code in network order, then the reason (cut to fit 125).
std::string close_payload(uint16_t code, std::string_view reason);

/// The close code in a close frame's payload (1005 "no status" when empty).
uint16_t close_code_of(std::string_view payload);

/// The code to answer a client's close frame with: its own code when that may be sent on the
/// wire, 1000 for an empty close, 1002 for a malformed one or a code that is never sent.
uint16_t close_reply_code(std::string_view payload);

}  // namespace parley::net
