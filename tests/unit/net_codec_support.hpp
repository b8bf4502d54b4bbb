#pragma once

// Helpers shared by the codec suites (net_codec_decode_test.cpp, net_codec_encode_test.cpp).

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "net/codec.hpp"
#include "net/msgpack_bridge.hpp"

using namespace parley;
using namespace parley::actors;
using parley::net::decode_error;
using parley::net::decode_frame;
using parley::net::encode_event;
using parley::net::encode_reply;
namespace json = boost::json;

namespace parley::test::codec {

inline constexpr encoding both[] = {encoding::json, encoding::msgpack};

inline const char* name(encoding e) {
  return e == encoding::json ? "json" : "msgpack";
}

/// The frame payload carrying the JSON text `text` in encoding `e`.
inline std::string frame_of(std::string_view text, encoding e) {
  if (e == encoding::json)
    return std::string{text};
  return net::json_to_msgpack(json::parse(text));
}

inline std::string show_id(const request_id& id) {
  switch (id.k) {
    case request_id::kind::none: return "id=none";
    case request_id::kind::integer: return "id=" + std::to_string(id.integer);
    case request_id::kind::real: {
      std::ostringstream out;
      out.precision(17);
      out << "id=real:" << id.real;
      return out.str();
    }
    case request_id::kind::text: return "id=text:" + id.text;
  }
  return "id=?";
}

inline std::string show_opt(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : "none";
}

struct request_printer {
  std::string operator()(const auth_req& r) const { return "auth token=" + r.token; }
  std::string operator()(const ping_req&) const { return "ping"; }
  std::string operator()(const create_req& r) const {
    std::string members;
    for (auto& m : r.members)
      members += (members.empty() ? "" : ",") + m;
    return "create room=" + (r.room ? "=" + *r.room : std::string{"none"}) + " members=[" +
           members + "] title=" + r.title;
  }
  std::string operator()(const join_req& r) const {
    return "join room=" + r.room + " since=" + show_opt(r.since);
  }
  std::string operator()(const leave_req& r) const { return "leave room=" + r.room; }
  std::string operator()(const send_req& r) const {
    return "send room=" + r.room + " cid=" + r.cid + " body=" + r.body + " kind=" + r.kind +
           " reply_to=" + std::to_string(r.reply_to) + " meta=" + r.meta;
  }
  std::string operator()(const typing_req& r) const {
    return "typing room=" + r.room + " on=" + (r.on ? "true" : "false");
  }
  std::string operator()(const read_req& r) const {
    return "read room=" + r.room + " seq=" + std::to_string(r.seq);
  }
  std::string operator()(const history_req& r) const {
    return "history room=" + r.room + " before=" + show_opt(r.before) +
           " after=" + show_opt(r.after) + " limit=" + std::to_string(r.limit);
  }
  std::string operator()(const edit_req& r) const {
    return "edit room=" + r.room + " target=" + std::to_string(r.target) + " body=" + r.body;
  }
  std::string operator()(const delete_req& r) const {
    return "delete room=" + r.room + " target=" + std::to_string(r.target);
  }
  std::string operator()(const react_req& r) const {
    return "react room=" + r.room + " target=" + std::to_string(r.target) + " emoji=" + r.emoji +
           " on=" + (r.on ? "true" : "false");
  }
  std::string operator()(const invite_req& r) const {
    return "invite room=" + r.room + " user=" + r.user;
  }
  std::string operator()(const remove_req& r) const {
    return "remove room=" + r.room + " user=" + r.user;
  }
  std::string operator()(const rooms_req& r) const {
    return "rooms limit=" + std::to_string(r.limit);
  }
  std::string operator()(const presence_req& r) const {
    std::string users;
    for (auto& u : r.users)
      users += (users.empty() ? "" : ",") + u;
    return "presence users=[" + users + "]";
  }
};

/// "<id> <request fields>" or "error <id>: <message>".
inline std::string show(const net::decode_result& r) {
  if (auto e = std::get_if<decode_error>(&r))
    return "error " + show_id(e->id) + ": " + e->message;
  auto& in = std::get<inbound>(r);
  return show_id(in.id) + " " + std::visit(request_printer{}, in.req);
}

inline std::string decode(std::string_view text, encoding e) {
  return show(decode_frame(frame_of(text, e), e));
}

inline bool is_error(const net::decode_result& r) {
  return std::holds_alternative<decode_error>(r);
}

// -- reading encoder output -------------------------------------------------------------------

inline const char* kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "bool";
    case json::kind::int64: return "int64";
    case json::kind::uint64: return "uint64";
    case json::kind::double_: return "double";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "?";
}

/// An object's keys with their value kinds, sorted: "id:int64 t:string".
inline std::string shape(const json::value& v) {
  if (!v.is_object())
    return std::string{"not an object: "} + kind_name(v);
  std::vector<std::string> keys;
  for (auto& kv : v.get_object())
    keys.push_back(std::string{kv.key()} + ":" + kind_name(kv.value()));
  std::sort(keys.begin(), keys.end());
  std::string out;
  for (auto& k : keys)
    out += (out.empty() ? "" : " ") + k;
  return out;
}

inline json::value read_output(const std::string& bytes, encoding e) {
  if (e == encoding::json) {
    json::error_code ec;
    auto v = json::parse(bytes, ec);
    return ec ? json::value{"<unparsable JSON>"} : v;
  }
  if (bytes.empty() || !((static_cast<uint8_t>(bytes[0]) & 0xF0) == 0x80 ||
                         static_cast<uint8_t>(bytes[0]) == 0xDE ||
                         static_cast<uint8_t>(bytes[0]) == 0xDF))
    return json::value{"<not a MessagePack map>"};
  std::string error;
  auto v = net::msgpack_to_json(bytes, error);
  return v ? *v : json::value{"<unreadable MessagePack: " + error + ">"};
}

/// Encodes with `fn` in both encodings, checks that both read back to the same JSON value,
/// and returns it (the JSON form).
template <class Fn>
inline json::value encoded(Fn fn) {
  auto j = read_output(fn(encoding::json), encoding::json);
  auto m = read_output(fn(encoding::msgpack), encoding::msgpack);
  CAF_CHECK_EQUAL(json::serialize(j), json::serialize(m));
  CAF_CHECK(j == m);
  CAF_CHECK_EQUAL(shape(j), shape(m));  // same kinds, key by key
  return j;
}

inline json::value reply_json(request_id id, reply_body body) {
  reply r{std::move(id), std::move(body)};
  return encoded([&](encoding e) { return encode_reply(r, e); });
}

inline json::value event_json(event_payload ev) {
  return encoded([&](encoding e) { return encode_event(ev, e); });
}

/// A copy (not a reference: CAF_CHECK_EQUAL binds its operands past the full expression,
/// so a reference into a temporary would dangle).
inline json::value at(const json::value& v, std::string_view key) {
  if (!v.is_object())
    return "<missing>";
  auto p = v.get_object().if_contains(key);
  return p ? *p : json::value{"<missing>"};
}

inline storage::event msg_event() {
  storage::event e;
  e.room = "r1";
  e.seq = 42;
  e.kind = storage::event_kind::msg;
  e.sender = "alice";
  e.cid = "c-42";
  e.body = "hello";
  e.subtype = "text";
  e.ts = 1763780000123;
  return e;
}

// -- hand-built MessagePack -------------------------------------------------------------------

inline std::string mp_str(std::string_view s) {
  std::string out;
  if (s.size() < 32) {
    out += static_cast<char>(0xA0 | s.size());
  } else {
    out += '\xD9';
    out += static_cast<char>(s.size());
  }
  return out + std::string{s};
}

/// A map of `n` entries: `entries` is their concatenated keys and values.
inline std::string mp_map(int n, const std::string& entries) {
  return std::string(1, static_cast<char>(0x80 | n)) + entries;
}

inline const std::string ping_entry = mp_str("t") + mp_str("ping");

}  // namespace parley::test::codec

using namespace parley::test::codec;
