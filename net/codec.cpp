#include "net/codec.hpp"

#include <boost/json.hpp>

#include "net/json_schema.hpp"
#include "net/msgpack_bridge.hpp"

namespace parley::net {
namespace json = boost::json;

namespace {

/// A frame's JSON values are built in a buffer on the stack, not on the heap: one
/// allocation per key, string and object was a third of a send's allocations. Larger
/// frames (a history page) spill over into heap blocks that the resource frees at once.
class frame_arena {
public:
  json::storage_ptr storage() { return &resource_; }

private:
  unsigned char buffer_[4096];
  json::monotonic_resource resource_{buffer_, sizeof buffer_};
};

std::string serialize(const json::value& v, actors::encoding enc) {
  if (enc == actors::encoding::msgpack)
    return json_to_msgpack(v);
  return json::serialize(v);
}

}  // namespace

decode_result decode_frame(std::string_view payload, actors::encoding enc) {
  if (enc == actors::encoding::msgpack) {
    std::string error;
    auto v = msgpack_to_json(payload, error);
    if (!v)
      return decode_error{{}, error};
    return schema::request_from_json(*v);
  }
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 32;
  frame_arena arena;
  auto v = json::parse(payload, ec, arena.storage(), opts);
  if (ec)
    return decode_error{{}, "malformed JSON"};
  return schema::request_from_json(v);
}

std::string encode_reply(const actors::reply& r, actors::encoding enc) {
  if (enc == actors::encoding::json)
    if (auto text = schema::reply_text(r))
      return std::move(*text);
  frame_arena arena;
  return serialize(schema::reply_to_json(r, arena.storage()), enc);
}

std::string encode_event(const actors::event_payload& ev, actors::encoding enc) {
  if (enc == actors::encoding::json)
    if (auto text = schema::event_text(ev))
      return std::move(*text);
  frame_arena arena;
  return serialize(schema::event_to_json(ev, arena.storage()), enc);
}

}  // namespace parley::net
