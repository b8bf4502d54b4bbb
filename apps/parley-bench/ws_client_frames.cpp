#include "ws_client_frames.hpp"

namespace parley::bench {

std::string upgrade_request(std::string_view target, std::string_view subprotocol) {
  std::string r;
  r.append("GET ").append(target).append(" HTTP/1.1\r\n");
  r.append("Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
  r.append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
  if (!subprotocol.empty())
    r.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
  r.append("\r\n");
  return r;
}

void append_client_frame(std::string& out, ws_frame_op op, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(op)));
  auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((static_cast<uint64_t>(n) >> shift) & 0xFF));
  }
  out.append(4, '\0');  // the masking key
  out.append(payload);
}

bool ws_client_frames::next(std::string_view data, frame& f, std::string& failure) const {
  if (data.size() < 2)
    return false;
  auto b0 = static_cast<uint8_t>(data[0]);
  auto b1 = static_cast<uint8_t>(data[1]);
  f.fin = (b0 & 0x80) != 0;
  f.op = static_cast<ws_frame_op>(b0 & 0x0F);
  if ((b1 & 0x80) != 0) {
    failure = "the server sent a masked frame";
    return false;
  }
  uint64_t n = b1 & 0x7F;
  size_t header = 2;
  if (n == 126) {
    if (data.size() < 4)
      return false;
    n = (static_cast<uint64_t>(static_cast<uint8_t>(data[2])) << 8) |
        static_cast<uint8_t>(data[3]);
    header = 4;
  } else if (n == 127) {
    if (data.size() < 10)
      return false;
    n = 0;
    for (int i = 2; i < 10; ++i)
      n = (n << 8) | static_cast<uint8_t>(data[i]);
    header = 10;
  }
  switch (f.op) {
    case ws_frame_op::continuation:
      if (!in_message_) {
        failure = "a continuation frame outside a message";
        return false;
      }
      break;
    case ws_frame_op::text:
    case ws_frame_op::binary:
    case ws_frame_op::close:
    case ws_frame_op::ping:
    case ws_frame_op::pong: break;
    default: failure = "unknown opcode " + std::to_string(b0 & 0x0F); return false;
  }
  if (data.size() - header < n)
    return false;
  f.payload = data.substr(header, n);
  f.size = header + n;
  return true;
}

std::string ws_client_frames::close_detail(std::string_view payload) {
  if (payload.size() < 2)
    return {};
  auto code = (static_cast<unsigned>(static_cast<uint8_t>(payload[0])) << 8) |
              static_cast<uint8_t>(payload[1]);
  return " (" + std::to_string(code) + " " + std::string{payload.substr(2)} + ")";
}

}  // namespace parley::bench
