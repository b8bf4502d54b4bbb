#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "actors/protocol.hpp"
#include "actors/wire_event.hpp"

namespace parley::net {

/// A frame that is not a valid request: answered with `bad_request` (with the id when the
/// frame had a readable one), and counted towards the bad-frame limit.
struct decode_error {
  actors::request_id id;
  std::string message;
};

using decode_result = std::variant<actors::inbound, decode_error>;

/// One schema, two encodings (PROTOCOL §1): both decode into the same structs, and both
/// encode the same keys and value types. Runs on I/O threads.
decode_result decode_frame(std::string_view payload, actors::encoding enc);

std::string encode_reply(const actors::reply& r, actors::encoding enc);

/// Encodes a room event; `wire_event` calls this once per encoding and shares the result.
std::string encode_event(const actors::event_payload& ev, actors::encoding enc);

}  // namespace parley::net
