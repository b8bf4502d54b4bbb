#include "net/codec.hpp"

#include <boost/json.hpp>

#include "net/json_schema.hpp"
#include "net/msgpack_bridge.hpp"

namespace parley::net {
namespace json = boost::json;

namespace {

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
  auto v = json::parse(payload, ec, {}, opts);
  if (ec)
    return decode_error{{}, "malformed JSON"};
  return schema::request_from_json(v);
}

std::string encode_reply(const actors::reply& r, actors::encoding enc) {
  return serialize(schema::reply_to_json(r), enc);
}

std::string encode_event(const actors::event_payload& ev, actors::encoding enc) {
  return serialize(schema::event_to_json(ev), enc);
}

}  // namespace parley::net
