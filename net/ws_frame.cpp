#include "net/ws_frame.hpp"

#include <algorithm>
#include <cstring>

namespace parley::net {
namespace {

bool is_control(uint8_t op) {
  return op >= 0x8;
}

bool is_known(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

/// XORs `len` bytes at `data` with the 4-byte `mask` (RFC 6455 section 5.3), eight bytes
/// at a time: a byte at a time, unmasking the sends was 2.5 % of the broker's instructions
/// in the 200-room fan-out (callgrind). The 8-byte word is the key twice, whatever the
/// byte order, and the tail starts at a multiple of 4, so the key's phase carries on.
void unmask(char* data, size_t len, const uint8_t* mask) {
  uint32_t key;
  std::memcpy(&key, mask, sizeof key);
  const uint64_t key2 = (uint64_t{key} << 32) | key;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, sizeof w);
    w ^= key2;
    std::memcpy(data + i, &w, sizeof w);
  }
  for (; i < len; ++i)
    data[i] = static_cast<char>(static_cast<uint8_t>(data[i]) ^ mask[i & 3]);
}

}  // namespace

ws_frame_parser::status ws_frame_parser::feed(const uint8_t* data, size_t size,
                                              std::vector<ws_message>& out) {
  if (failed_ != status::ok)
    return failed_;
  pending_.append(reinterpret_cast<const char*>(data), size);
  failed_ = parse_frames(out);
  return failed_;
}

void ws_frame_parser::shrink() {
  if (pending_.empty())
    std::string{}.swap(pending_);
  if (message_.empty() && !in_message_)
    std::string{}.swap(message_);
}

ws_frame_parser::status ws_frame_parser::parse_frames(std::vector<ws_message>& out) {
  size_t pos = 0;
  auto* p = reinterpret_cast<const uint8_t*>(pending_.data());
  const size_t n = pending_.size();
  while (n - pos >= 2) {
    const uint8_t b0 = p[pos], b1 = p[pos + 1];
    const bool fin = b0 & 0x80;
    const uint8_t op = b0 & 0x0F;
    if ((b0 & 0x70) != 0 || !is_known(op))
      return status::protocol_error;  // no extensions are negotiated
    if (!(b1 & 0x80))
      return status::protocol_error;  // clients must mask
    uint64_t len = b1 & 0x7F;
    size_t header = 2;
    if (len == 126) {
      if (n - pos < 4)
        break;
      len = (uint64_t{p[pos + 2]} << 8) | p[pos + 3];
      header = 4;
    } else if (len == 127) {
      if (n - pos < 10)
        break;
      len = 0;
      for (int i = 0; i < 8; ++i)
        len = (len << 8) | p[pos + 2 + i];
      if (len >> 63)
        return status::protocol_error;
      header = 10;
    }
    if (is_control(op)) {
      if (!fin || len > 125)
        return status::protocol_error;
    } else {
      if (op == 0 && !in_message_)
        return status::protocol_error;  // continuation of nothing
      if (op != 0 && in_message_)
        return status::protocol_error;  // new message inside a fragmented one
      // Refuse from the header alone, before buffering the payload.
      if ((in_message_ ? message_.size() : 0) + len > max_message_)
        return status::too_big;
    }
    if (n - pos < header + 4 + len)
      break;
    const uint8_t* mask = p + pos + header;
    const uint8_t* payload = mask + 4;
    std::string body(reinterpret_cast<const char*>(payload), static_cast<size_t>(len));
    unmask(body.data(), body.size(), mask);
    pos += header + 4 + len;

    if (is_control(op)) {
      out.push_back({static_cast<ws_opcode>(op), std::move(body)});
      continue;
    }
    if (op != 0) {
      message_op_ = static_cast<ws_opcode>(op);
      in_message_ = true;
      message_ = std::move(body);
    } else {
      message_ += body;
    }
    if (fin) {
      out.push_back({message_op_, std::move(message_)});
      message_.clear();
      in_message_ = false;
    }
  }
  pending_.erase(0, pos);
  return status::ok;
}

size_t write_frame_header(uint8_t* out, ws_opcode op, size_t size) {
  out[0] = static_cast<uint8_t>(0x80 | static_cast<uint8_t>(op));
  if (size < 126) {
    out[1] = static_cast<uint8_t>(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(size >> 8);
    out[3] = static_cast<uint8_t>(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<uint8_t>(uint64_t{size} >> (56 - 8 * i));
  return 10;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out.append(reason.substr(0, std::min<size_t>(reason.size(), 123)));
  return out;
}

/// The code to answer a client's close with (RFC 6455 §5.5.1, §7.4): its own code when that
/// may be sent on the wire, 1000 for an empty close, 1002 for a malformed one.
uint16_t close_reply_code(std::string_view payload) {
  if (payload.empty())
    return 1000;
  if (payload.size() == 1)
    return 1002;
  auto code = close_code_of(payload);
  bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
                  (code >= 3000 && code <= 4999);
  return sendable ? code : 1002;
}

uint16_t close_code_of(std::string_view payload) {
  if (payload.size() < 2)
    return 1005;
  return static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                               static_cast<uint8_t>(payload[1]));
}

}  // namespace parley::net
