#define CAF_SUITE net_codec
#include "caf/test/unit_test.hpp"

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

namespace {

constexpr encoding both[] = {encoding::json, encoding::msgpack};

const char* name(encoding e) {
  return e == encoding::json ? "json" : "msgpack";
}

/// The frame payload carrying the JSON text `text` in encoding `e`.
std::string frame_of(std::string_view text, encoding e) {
  if (e == encoding::json)
    return std::string{text};
  return net::json_to_msgpack(json::parse(text));
}

std::string show_id(const request_id& id) {
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

std::string show_opt(const std::optional<int64_t>& v) {
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
};

/// "<id> <request fields>" or "error <id>: <message>".
std::string show(const net::decode_result& r) {
  if (auto e = std::get_if<decode_error>(&r))
    return "error " + show_id(e->id) + ": " + e->message;
  auto& in = std::get<inbound>(r);
  return show_id(in.id) + " " + std::visit(request_printer{}, in.req);
}

std::string decode(std::string_view text, encoding e) {
  return show(decode_frame(frame_of(text, e), e));
}

bool is_error(const net::decode_result& r) {
  return std::holds_alternative<decode_error>(r);
}

// -- reading encoder output -------------------------------------------------------------------

const char* kind_name(const json::value& v) {
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
std::string shape(const json::value& v) {
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

json::value read_output(const std::string& bytes, encoding e) {
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
json::value encoded(Fn fn) {
  auto j = read_output(fn(encoding::json), encoding::json);
  auto m = read_output(fn(encoding::msgpack), encoding::msgpack);
  CAF_CHECK_EQUAL(json::serialize(j), json::serialize(m));
  CAF_CHECK(j == m);
  CAF_CHECK_EQUAL(shape(j), shape(m));  // same kinds, key by key
  return j;
}

json::value reply_json(request_id id, reply_body body) {
  reply r{std::move(id), std::move(body)};
  return encoded([&](encoding e) { return encode_reply(r, e); });
}

json::value event_json(event_payload ev) {
  return encoded([&](encoding e) { return encode_event(ev, e); });
}

/// A copy (not a reference: CAF_CHECK_EQUAL binds its operands past the full expression,
/// so a reference into a temporary would dangle).
json::value at(const json::value& v, std::string_view key) {
  if (!v.is_object())
    return "<missing>";
  auto p = v.get_object().if_contains(key);
  return p ? *p : json::value{"<missing>"};
}

storage::event msg_event() {
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

std::string mp_str(std::string_view s) {
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
std::string mp_map(int n, const std::string& entries) {
  return std::string(1, static_cast<char>(0x80 | n)) + entries;
}

const std::string ping_entry = mp_str("t") + mp_str("ping");

}  // namespace

// -- decoding: every request type, both encodings ---------------------------------------------

CAF_TEST(send decodes with every field) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"t":"send","id":1,"room":"r1","cid":"c-1","body":"hi ü",)"
                           R"("kind":"sticker","reply_to":7,"meta":{"mentions":["bob"],"n":1}})",
                           e),
                    R"(id=1 send room=r1 cid=c-1 body=hi ü kind=sticker reply_to=7 )"
                    R"(meta={"mentions":["bob"],"n":1})");
    CAF_CHECK_EQUAL(decode(R"({"t":"send","room":"r1","cid":"c","body":""})", e),
                    "id=none send room=r1 cid=c body= kind=text reply_to=0 meta=");
    // null counts as absent.
    CAF_CHECK_EQUAL(decode(R"({"t":"send","room":"r","cid":"c","body":"b","kind":null,)"
                           R"("reply_to":null,"meta":null})",
                           e),
                    "id=none send room=r cid=c body=b kind=text reply_to=0 meta=");
    CAF_CHECK_EQUAL(decode(R"({"t":"send","room":"r","cid":"c","body":"b","meta":{}})", e),
                    "id=none send room=r cid=c body=b kind=text reply_to=0 meta={}");
  }
}

CAF_TEST(join decodes with and without since) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"t":"join","id":2,"room":"r1","since":17})", e),
                    "id=2 join room=r1 since=17");
    CAF_CHECK_EQUAL(decode(R"({"t":"join","id":2,"room":"r1","since":0})", e),
                    "id=2 join room=r1 since=0");
    CAF_CHECK_EQUAL(decode(R"({"t":"join","room":"r1"})", e), "id=none join room=r1 since=none");
    CAF_CHECK_EQUAL(decode(R"({"t":"join","room":"r1","since":null})", e),
                    "id=none join room=r1 since=none");
  }
}

CAF_TEST(history decodes cursors and limit) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"t":"history","id":"h","room":"r","before":100,"limit":20})", e),
                    "id=text:h history room=r before=100 after=none limit=20");
    CAF_CHECK_EQUAL(decode(R"({"t":"history","room":"r","after":5})", e),
                    "id=none history room=r before=none after=5 limit=50");
    CAF_CHECK_EQUAL(decode(R"({"t":"history","room":"r"})", e),
                    "id=none history room=r before=none after=none limit=50");
    CAF_CHECK_EQUAL(decode(R"({"t":"history","room":"r","before":9,"after":3,"limit":1})", e),
                    "id=none history room=r before=9 after=3 limit=1");
    // A whole number written as a float is an integer.
    CAF_CHECK_EQUAL(decode(R"({"t":"history","room":"r","limit":10.0})", e),
                    "id=none history room=r before=none after=none limit=10");
  }
}

CAF_TEST(create decodes with and without room) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"t":"create","id":3,"room":"team","members":["bob","carol"],)"
                           R"("title":"Team"})",
                           e),
                    "id=3 create room==team members=[bob,carol] title=Team");
    CAF_CHECK_EQUAL(decode(R"({"t":"create","id":3,"members":["bob"]})", e),
                    "id=3 create room=none members=[bob] title=");
    CAF_CHECK_EQUAL(decode(R"({"t":"create","members":[]})", e),
                    "id=none create room=none members=[] title=");
  }
}

CAF_TEST(typing defaults to on) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"t":"typing","room":"r"})", e), "id=none typing room=r on=true");
    CAF_CHECK_EQUAL(decode(R"({"t":"typing","room":"r","on":true})", e),
                    "id=none typing room=r on=true");
    CAF_CHECK_EQUAL(decode(R"({"t":"typing","room":"r","on":false})", e),
                    "id=none typing room=r on=false");
  }
}

CAF_TEST(read leave auth and ping decode) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"t":"read","id":4,"room":"r","seq":12})", e),
                    "id=4 read room=r seq=12");
    CAF_CHECK_EQUAL(decode(R"({"t":"leave","id":5,"room":"r"})", e), "id=5 leave room=r");
    CAF_CHECK_EQUAL(decode(R"({"t":"auth","id":6,"token":"a.b.c"})", e),
                    "id=6 auth token=a.b.c");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":7})", e), "id=7 ping");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping"})", e), "id=none ping");
  }
}

CAF_TEST(ids may be integers strings or absent) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":0})", e), "id=0 ping");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":-3})", e), "id=-3 ping");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":9007199254740993})", e),
                    "id=9007199254740993 ping");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":"r-1"})", e), "id=text:r-1 ping");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":""})", e), "id=text: ping");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping"})", e), "id=none ping");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":null})", e), "id=none ping");
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":1.5})", e), "id=real:1.5 ping");
    // Beyond int64: kept as a number (a double).
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","id":18446744073709551615})", e),
                    "id=real:1.8446744073709552e+19 ping");
  }
}

CAF_TEST(unknown keys are ignored) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"t":"ping","x":{"y":[1,2,{"z":null}]},"zz":null,"v":2})", e),
                    "id=none ping");
    CAF_CHECK_EQUAL(decode(R"({"future":true,"t":"join","room":"r","since":1,"extra":"x"})", e),
                    "id=none join room=r since=1");
    // Fields of other request types are ignored too.
    CAF_CHECK_EQUAL(decode(R"({"t":"leave","room":"r","body":5,"members":"x"})", e),
                    "id=none leave room=r");
  }
}

CAF_TEST(json and msgpack decode every example the same way) {
  const char* examples[] = {
    R"({"t":"send","id":1,"room":"r1","cid":"c-1","body":"x","kind":"k","reply_to":3,"meta":{"a":[1,{"b":2.5}]}})",
    R"({"t":"join","id":"j","room":"r","since":4})",
    R"({"t":"history","room":"r","before":1,"after":2,"limit":3})",
    R"({"t":"create","room":"r","members":["a"],"title":"T"})",
    R"({"t":"typing","room":"r","on":false})",
    R"({"t":"read","room":"r","seq":1})",
    R"({"t":"leave","room":"r"})",
    R"({"t":"auth","token":"t"})",
    R"({"t":"ping","id":-1})",
    R"({"t":"join","id":9,"room":7})",
    R"({"id":[1],"t":"ping"})",
    R"({"t":"ping","t":"dance"})",
    R"({"t":"dance","t":"ping"})",
  };
  for (auto text : examples)
    CAF_CHECK_EQUAL(decode(text, encoding::json), decode(text, encoding::msgpack));
}

// -- decoding: malformed frames ---------------------------------------------------------------

CAF_TEST(a frame that is not an object is refused without an id) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    for (auto text : {"[1,2]", R"("ping")", "42", "null", "true", "[]", R"([{"t":"ping"}])"})
      CAF_CHECK_EQUAL(decode(text, e), "error id=none: a frame must hold one object");
  }
}

CAF_TEST(a missing or non string t is refused with the id) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"id":3})", e), "error id=3: 't' must be a string");
    CAF_CHECK_EQUAL(decode(R"({})", e), "error id=none: 't' must be a string");
    CAF_CHECK_EQUAL(decode(R"({"id":"a","t":5})", e), "error id=text:a: 't' must be a string");
    CAF_CHECK_EQUAL(decode(R"({"id":1,"t":null})", e), "error id=1: 't' must be a string");
    CAF_CHECK_EQUAL(decode(R"({"id":1,"t":["ping"]})", e), "error id=1: 't' must be a string");
    CAF_CHECK_EQUAL(decode(R"({"id":1,"T":"ping"})", e), "error id=1: 't' must be a string");
  }
}

CAF_TEST(an unknown t is refused with the id) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    CAF_CHECK_EQUAL(decode(R"({"id":4,"t":"dance"})", e), "error id=4: unknown type 'dance'");
    CAF_CHECK_EQUAL(decode(R"({"id":"x","t":""})", e), "error id=text:x: unknown type ''");
    CAF_CHECK_EQUAL(decode(R"({"t":"PING"})", e), "error id=none: unknown type 'PING'");
    // Server-to-client types are not requests.
    CAF_CHECK(is_error(decode_frame(frame_of(R"({"t":"pong"})", e), e)));
    CAF_CHECK(is_error(decode_frame(frame_of(R"({"t":"ok"})", e), e)));
  }
}

CAF_TEST(wrong field types are refused with the id) {
  struct row {
    const char* text;
    const char* expected;
  };
  const row rows[] = {
    {R"({"t":"join","id":9,"room":7})", "error id=9: 'room' must be a string"},
    {R"({"t":"join","id":9})", "error id=9: 'room' is required"},
    {R"({"t":"join","id":9,"room":"r","since":"5"})", "error id=9: 'since' must be an integer"},
    {R"({"t":"join","id":9,"room":"r","since":1.5})", "error id=9: 'since' must be an integer"},
    {R"({"t":"join","id":9,"room":"r","since":true})", "error id=9: 'since' must be an integer"},
    {R"({"t":"join","id":9,"room":"r","since":1e300})", "error id=9: 'since' must be an integer"},
    {R"({"t":"join","id":9,"room":"r","since":18446744073709551615})",
     "error id=9: 'since' must be an integer"},
    {R"({"t":"create","id":"c","members":"bob"})",
     "error id=text:c: 'members' must be an array of strings"},
    {R"({"t":"create","id":"c","members":["bob",7]})",
     "error id=text:c: 'members' must be an array of strings"},
    {R"({"t":"create","id":"c","members":[["bob"]]})",
     "error id=text:c: 'members' must be an array of strings"},
    {R"({"t":"create","id":"c","members":[null]})",
     "error id=text:c: 'members' must be an array of strings"},
    {R"({"t":"create","id":"c","room":5,"members":[]})", "error id=text:c: 'room' must be a string"},
    {R"({"t":"create","id":"c","members":[],"title":false})",
     "error id=text:c: 'title' must be a string"},
    {R"({"t":"send","id":1,"room":"r","cid":"c","body":"b","meta":[1]})",
     "error id=1: 'meta' must be an object"},
    {R"({"t":"send","id":1,"room":"r","cid":"c","body":"b","meta":"{}"})",
     "error id=1: 'meta' must be an object"},
    {R"({"t":"send","id":1,"room":"r","cid":"c","body":5})", "error id=1: 'body' must be a string"},
    {R"({"t":"send","id":1,"room":"r","cid":"c"})", "error id=1: 'body' is required"},
    {R"({"t":"send","id":1,"room":"r","body":"b"})", "error id=1: 'cid' is required"},
    {R"({"t":"send","id":1,"room":"r","cid":"c","body":"b","kind":1})",
     "error id=1: 'kind' must be a string"},
    {R"({"t":"send","id":1,"room":"r","cid":"c","body":"b","reply_to":"3"})",
     "error id=1: 'reply_to' must be an integer"},
    {R"({"t":"typing","id":2,"room":"r","on":1})", "error id=2: 'on' must be a boolean"},
    {R"({"t":"typing","id":2,"room":"r","on":"true"})", "error id=2: 'on' must be a boolean"},
    {R"({"t":"read","id":2,"room":"r"})", "error id=2: 'seq' is required"},
    {R"({"t":"read","id":2,"room":"r","seq":"1"})", "error id=2: 'seq' must be an integer"},
    {R"({"t":"history","id":2,"room":"r","limit":2.5})", "error id=2: 'limit' must be an integer"},
    {R"({"t":"history","id":2,"room":"r","before":[]})",
     "error id=2: 'before' must be an integer"},
    {R"({"t":"leave","id":2,"room":{}})", "error id=2: 'room' must be a string"},
    {R"({"t":"auth","id":2})", "error id=2: 'token' is required"},
    {R"({"t":"auth","id":2,"token":null})", "error id=2: 'token' is required"},
    {R"({"t":"auth","id":2,"token":123})", "error id=2: 'token' must be a string"},
    // The first problem is reported.
    {R"({"t":"send","id":1,"room":1,"cid":2,"body":3})", "error id=1: 'room' must be a string"},
  };
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    for (auto& r : rows)
      CAF_CHECK_EQUAL(decode(r.text, e), r.expected);
  }
}

CAF_TEST(an id of a bad type is refused without an id) {
  for (auto e : both) {
    CAF_MESSAGE("encoding " << name(e));
    for (auto text : {R"({"t":"ping","id":[1]})", R"({"t":"ping","id":{"n":1}})",
                      R"({"t":"ping","id":true})", R"({"t":"dance","id":[]})",
                      R"({"id":false})"})
      CAF_CHECK_EQUAL(decode(text, e), "error id=none: 'id' must be a number or a string");
  }
}

CAF_TEST(malformed JSON is refused) {
  const std::string bad[] = {
    "",
    " ",
    "{",
    R"({"t":)",
    R"({"t":"ping")",
    R"({"t":"ping",})",
    R"({"t":"ping"} x)",
    R"({"t":"ping"}{"t":"ping"})",
    R"({t:"ping"})",
    R"({'t':'ping'})",
    R"({"t":"ping","x":NaN})",
    R"({"t":"ping","x":Infinity})",
    R"({"t":"ping","x":01})",
    R"({"t":"ping"/*c*/})",
    R"({"t":"ping","x":"a
b"})",
    "\xEF\xBB\xBF{\"t\":\"ping\"}",  // a byte-order mark is not JSON
    std::string("{\"t\":\"ping\"}\0", 13),
  };
  for (auto& text : bad) {
    auto r = decode_frame(text, encoding::json);
    CAF_CHECK_EQUAL(show(r), "error id=none: malformed JSON");
  }
  // Whitespace around the object is fine.
  CAF_CHECK_EQUAL(show(decode_frame(" \n{\"t\":\"ping\"}\t ", encoding::json)), "id=none ping");
}

CAF_TEST(invalid UTF-8 in JSON text is refused) {
  const std::string bad[] = {
    "\xC3\x28",          // lead without continuation
    "\x80",              // stray continuation
    "\xC0\xAF",          // overlong
    "\xED\xA0\x80",      // surrogate
    "\xF4\x90\x80\x80",  // above U+10FFFF
    "\xF0\x9F\x98",      // truncated
    "\xFF",
  };
  for (auto& b : bad) {
    CAF_CHECK_EQUAL(show(decode_frame(R"({"t":"send","room":"r","cid":"c","body":")" + b + "\"}",
                                      encoding::json)),
                    "error id=none: malformed JSON");
    CAF_CHECK_EQUAL(show(decode_frame("{\"t\":\"ping\",\"" + b + "\":1}", encoding::json)),
                    "error id=none: malformed JSON");
  }
  // Escaped lone surrogates are refused as well.
  CAF_CHECK(is_error(decode_frame(R"({"t":"send","room":"r","cid":"c","body":"\ud800"})",
                                  encoding::json)));
  CAF_CHECK(is_error(decode_frame(R"({"t":"send","room":"r","cid":"c","body":"\udc00"})",
                                  encoding::json)));
  // An escaped pair is a valid character.
  CAF_CHECK_EQUAL(show(decode_frame(R"({"t":"send","room":"r","cid":"c","body":"\ud83d\ude00"})",
                                    encoding::json)),
                  "id=none send room=r cid=c body=\xF0\x9F\x98\x80 kind=text reply_to=0 meta=");
}

CAF_TEST(malformed MessagePack is refused) {
  auto refused = [](const std::string& bytes) {
    return show(decode_frame(bytes, encoding::msgpack));
  };
  const std::string junk[] = {
    std::string{},
    std::string("\xC1", 1),                   // never used
    std::string("\x81", 1),                   // map without its entry
    std::string("\x82\xA1t\xA4ping", 7),      // map of 2 with 1 entry
    std::string("\x81\xA1t\xA4pin", 7),       // string cut short
    std::string("\x81\xA1t\xDB\xFF\xFF\xFF\xFF", 8),  // str32 claiming 4 GiB
    std::string("\xDF\xFF\xFF\xFF\xFF", 5),   // map32 claiming 4 G entries
    std::string("\xDD\xFF\xFF\xFF\xFF", 5),   // array32 claiming 4 G entries
    std::string("\x81\xA1t\xCB\x00", 5),      // float64 cut short
  };
  for (auto& j : junk)
    CAF_CHECK(is_error(decode_frame(j, encoding::msgpack)));
  CAF_CHECK_EQUAL(refused(std::string("\xC1", 1)), "error id=none: malformed MessagePack");
  // Trailing bytes after the map.
  auto ping = mp_map(1, ping_entry);
  CAF_CHECK_EQUAL(refused(ping), "id=none ping");
  CAF_CHECK_EQUAL(refused(ping + std::string(1, '\0')),
                  "error id=none: one MessagePack value per frame");
  CAF_CHECK_EQUAL(refused(ping + ping), "error id=none: one MessagePack value per frame");
  CAF_CHECK_EQUAL(refused(ping + "\xC0"), "error id=none: one MessagePack value per frame");
}

CAF_TEST(msgpack map keys must be strings) {
  auto refused = [](const std::string& bytes) {
    return show(decode_frame(bytes, encoding::msgpack));
  };
  const std::string keys[] = {
    std::string("\x01", 1),      // int
    std::string("\xFF", 1),      // negative int
    std::string("\xC0", 1),      // nil
    std::string("\xC3", 1),      // true
    std::string("\x91\x01", 2),  // array
    std::string("\x80", 1),      // map
    std::string("\xC4\x01t", 3), // bin "t"
    std::string("\xCB\x3F\xF0\x00\x00\x00\x00\x00\x00", 9),  // float64 1.0
  };
  for (auto& k : keys) {
    CAF_CHECK_EQUAL(refused(mp_map(2, ping_entry + k + mp_str("x"))),
                    "error id=none: map keys must be strings");
    // Nested maps as well.
    CAF_CHECK_EQUAL(refused(mp_map(2, ping_entry + mp_str("x") + mp_map(1, k + "\x01"))),
                    "error id=none: map keys must be strings");
  }
  // A bin "t" instead of a str "t" is not the type key.
  CAF_CHECK(is_error(decode_frame(mp_map(1, std::string("\xC4\x01t", 3) + mp_str("ping")),
                                  encoding::msgpack)));
}

CAF_TEST(msgpack bin and ext values are refused) {
  const std::string values[] = {
    std::string("\xC4\x02" "ab", 4),                  // bin8
    std::string("\xC5\x00\x01" "a", 4),               // bin16
    std::string("\xC6\x00\x00\x00\x00", 5),           // bin32, empty
    std::string("\xD4\x01\x00", 3),                   // fixext1
    std::string("\xD6\xFF\x00\x00\x00\x01", 6),       // timestamp 32
    std::string("\xC7\x01\x05" "a", 4),               // ext8
    std::string("\xD8\x02" "0123456789abcdef", 18),   // fixext16
  };
  for (auto& v : values) {
    auto expected = "error id=none: binary and extension types are not part of the protocol";
    CAF_CHECK_EQUAL(show(decode_frame(mp_map(2, ping_entry + mp_str("x") + v), encoding::msgpack)),
                    expected);
    CAF_CHECK_EQUAL(show(decode_frame(mp_map(2, ping_entry + mp_str("x") + "\x91" + v),
                                      encoding::msgpack)),
                    expected);
    // As the value of a field the schema reads.
    CAF_CHECK(is_error(decode_frame(mp_map(1, mp_str("t") + v), encoding::msgpack)));
  }
  // A bin body where a string is expected.
  auto send = mp_map(4, mp_str("t") + mp_str("send") + mp_str("room") + mp_str("r") +
                          mp_str("cid") + mp_str("c") + mp_str("body") + "\xC4\x02hi");
  CAF_CHECK(is_error(decode_frame(send, encoding::msgpack)));
}

CAF_TEST(msgpack strings must be UTF-8) {
  const std::string bad[] = {"\xC3\x28", "\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                             "\xF0\x9F\x98", "\xFF"};
  for (auto& b : bad) {
    auto body = mp_map(4, mp_str("t") + mp_str("send") + mp_str("room") + mp_str("r") +
                            mp_str("cid") + mp_str("c") + mp_str("body") + mp_str(b));
    CAF_CHECK_EQUAL(show(decode_frame(body, encoding::msgpack)),
                    "error id=none: strings must be UTF-8");
    // In a key, and deep inside an ignored value.
    CAF_CHECK_EQUAL(show(decode_frame(mp_map(2, ping_entry + mp_str(b) + "\x01"),
                                      encoding::msgpack)),
                    "error id=none: strings must be UTF-8");
    CAF_CHECK_EQUAL(show(decode_frame(mp_map(2, ping_entry + mp_str("x") + "\x92\x01" + mp_str(b)),
                                      encoding::msgpack)),
                    "error id=none: strings must be UTF-8");
  }
  auto good = mp_map(4, mp_str("t") + mp_str("send") + mp_str("room") + mp_str("r") +
                          mp_str("cid") + mp_str("c") + mp_str("body") + mp_str("\xF0\x9F\x98\x80"));
  CAF_CHECK_EQUAL(show(decode_frame(good, encoding::msgpack)),
                  "id=none send room=r cid=c body=\xF0\x9F\x98\x80 kind=text reply_to=0 meta=");
}

CAF_TEST(msgpack floats must be finite) {
  // JSON has no NaN or Infinity: a MessagePack frame must not carry what JSON cannot.
  auto float64 = [](uint64_t bits) {
    std::string out = "\xCB";
    for (int i = 7; i >= 0; --i)
      out += static_cast<char>(bits >> (8 * i));
    return out;
  };
  const std::string non_finite[] = {
    float64(0x7FF8000000000000),            // NaN
    float64(0x7FF0000000000000),            // +Infinity
    float64(0xFFF0000000000000),            // -Infinity
    std::string("\xCA\x7F\xC0\x00\x00", 5),  // float32 NaN
    std::string("\xCA\xFF\x80\x00\x00", 5),  // float32 -Infinity
  };
  auto send_with_meta = [](const std::string& value) {
    return mp_map(5, mp_str("t") + mp_str("send") + mp_str("room") + mp_str("r") +
                       mp_str("cid") + mp_str("c") + mp_str("body") + mp_str("b") +
                       mp_str("meta") + mp_map(1, mp_str("x") + value));
  };
  for (auto& v : non_finite) {
    CAF_CHECK_EQUAL(show(decode_frame(send_with_meta(v), encoding::msgpack)),
                    "error id=none: numbers must be finite");
    CAF_CHECK(is_error(decode_frame(mp_map(2, ping_entry + mp_str("x") + v), encoding::msgpack)));
  }
  CAF_CHECK_EQUAL(show(decode_frame(send_with_meta(float64(0x3FF8000000000000)),  // 1.5
                                    encoding::msgpack)),
                  R"(id=none send room=r cid=c body=b kind=text reply_to=0 meta={"x":1.5E0})");
  CAF_CHECK_EQUAL(show(decode_frame(send_with_meta(std::string("\xCA\x3F\xC0\x00\x00", 5)),
                                    encoding::msgpack)),
                  R"(id=none send room=r cid=c body=b kind=text reply_to=0 meta={"x":1.5E0})");
}

CAF_TEST(nesting deeper than 32 is refused in both encodings) {
  // The frame's object is level 1; `x` adds `arrays` levels.
  for (int arrays = 1; arrays <= 40; ++arrays) {
    std::string text = R"({"t":"ping","x":)" + std::string(arrays, '[') + std::string(arrays, ']') +
                       "}";
    std::string mp = mp_map(2, ping_entry + mp_str("x") + std::string(arrays - 1, '\x91') + "\x90");
    auto j = decode_frame(text, encoding::json);
    auto m = decode_frame(mp, encoding::msgpack);
    bool should_pass = arrays + 1 <= 32;
    CAF_CHECK_EQUAL(is_error(j), !should_pass);
    CAF_CHECK_EQUAL(is_error(m), !should_pass);
  }
  // Deep maps too.
  std::string deep_mp = mp_map(2, ping_entry + mp_str("x"));
  for (int i = 0; i < 40; ++i)
    deep_mp += mp_map(1, mp_str("k"));
  deep_mp += "\x01";
  CAF_CHECK(is_error(decode_frame(deep_mp, encoding::msgpack)));
  // Far deeper than any limit: no stack exhaustion.
  CAF_CHECK(is_error(decode_frame(std::string(100000, '['), encoding::json)));
  CAF_CHECK(is_error(decode_frame(std::string(100000, '\x91'), encoding::msgpack)));
}

// -- encoding ---------------------------------------------------------------------------------

CAF_TEST(ok replies carry exactly their keys) {
  auto v = reply_json(request_id::of(1), ok_empty{});
  CAF_CHECK_EQUAL(shape(v), "id:int64 t:string");
  CAF_CHECK_EQUAL(json::serialize(v), R"({"t":"ok","id":1})");

  v = reply_json(request_id::of("c1"), ok_create{"room-7"});
  CAF_CHECK_EQUAL(shape(v), "id:string room:string t:string");
  CAF_CHECK_EQUAL(at(v, "t"), "ok");
  CAF_CHECK_EQUAL(at(v, "id"), "c1");
  CAF_CHECK_EQUAL(at(v, "room"), "room-7");

  v = reply_json(request_id::of(2), ok_send{"r1", 43, 1763780000123});
  CAF_CHECK_EQUAL(shape(v), "id:int64 room:string seq:int64 t:string ts:int64");
  CAF_CHECK_EQUAL(at(v, "seq"), 43);
  CAF_CHECK_EQUAL(at(v, "ts"), 1763780000123);
}

CAF_TEST(join replies carry reads only when given) {
  ok_join j;
  j.room = "r1";
  j.head = 10;
  j.has_reads = true;
  j.reads = {{"alice", 10}, {"bob", 7}};
  j.replayed = 3;
  j.gap = false;
  auto v = reply_json(request_id::of(5), j);
  CAF_CHECK_EQUAL(shape(v), "gap:bool head:int64 id:int64 reads:object replayed:int64 room:string "
                            "t:string");
  CAF_CHECK_EQUAL(shape(at(v, "reads")), "alice:int64 bob:int64");
  CAF_CHECK_EQUAL(at(at(v, "reads"), "bob"), 7);
  CAF_CHECK_EQUAL(at(v, "gap"), false);
  CAF_CHECK_EQUAL(at(v, "replayed"), 3);

  j.has_reads = false;
  j.reads.clear();
  j.gap = true;
  j.replayed = 0;
  v = reply_json(request_id::of(5), j);
  CAF_CHECK_EQUAL(shape(v), "gap:bool head:int64 id:int64 replayed:int64 room:string t:string");
  CAF_CHECK_EQUAL(at(v, "gap"), true);

  j.has_reads = true;  // a room without read markers: an empty object
  v = reply_json(request_id::of(5), j);
  CAF_CHECK_EQUAL(shape(at(v, "reads")), "");
}

CAF_TEST(history replies carry message states) {
  ok_history h;
  storage::message_state edited;
  edited.msg = msg_event();
  edited.msg.target = 40;
  edited.msg.meta = R"({"mentions":["bob"]})";
  edited.edited_ts = 1763780009999;
  edited.reactions = {{"\xF0\x9F\x91\x8D", {"bob", "carol"}}, {"x", {}}};
  storage::message_state deleted;
  deleted.msg = msg_event();
  deleted.msg.seq = 44;
  deleted.msg.body = "secret";
  deleted.msg.subtype = "";
  deleted.deleted = true;
  h.messages = {edited, deleted};
  h.more = true;
  auto v = reply_json(request_id::of("h"), h);
  CAF_CHECK_EQUAL(shape(v), "id:string messages:array more:bool t:string");
  CAF_CHECK_EQUAL(at(v, "more"), true);
  auto msgs = at(v, "messages");
  if (!msgs.is_array() || msgs.get_array().size() != 2) {
    CAF_CHECK_EQUAL(json::serialize(msgs), "an array of 2");
    return;
  }
  auto& m0 = msgs.get_array()[0];
  CAF_CHECK_EQUAL(shape(m0), "body:string cid:string deleted:bool edited_ts:int64 from:string "
                             "kind:string meta:object reactions:object reply_to:int64 "
                             "room:string seq:int64 t:string ts:int64");
  CAF_CHECK_EQUAL(at(m0, "t"), "msg");
  CAF_CHECK_EQUAL(at(m0, "body"), "hello");
  CAF_CHECK_EQUAL(at(m0, "reply_to"), 40);
  CAF_CHECK_EQUAL(json::serialize(at(m0, "meta")), R"({"mentions":["bob"]})");
  CAF_CHECK_EQUAL(json::serialize(at(m0, "reactions")),
                  "{\"\xF0\x9F\x91\x8D\":[\"bob\",\"carol\"],\"x\":[]}");
  auto& m1 = msgs.get_array()[1];
  CAF_CHECK_EQUAL(shape(m1), "body:string cid:string deleted:bool from:string kind:string "
                             "reactions:object room:string seq:int64 t:string ts:int64");
  CAF_CHECK_EQUAL(at(m1, "body"), "");  // a deleted message's body is not sent
  CAF_CHECK_EQUAL(at(m1, "deleted"), true);
  CAF_CHECK_EQUAL(at(m1, "kind"), "text");

  v = reply_json(request_id{}, ok_history{});
  CAF_CHECK_EQUAL(json::serialize(v), R"({"t":"ok","messages":[],"more":false})");
}

CAF_TEST(pong and hello replies) {
  auto v = reply_json(request_id::of(7), pong{});
  CAF_CHECK_EQUAL(json::serialize(v), R"({"t":"pong","id":7})");
  v = reply_json(request_id{}, pong{});
  CAF_CHECK_EQUAL(json::serialize(v), R"({"t":"pong"})");

  hello h;
  h.session = "s-9f2c";
  h.user = "alice";
  h.node = "n1";
  h.heartbeat_ms = 25000;
  h.max_frame = 65536;
  h.max_body = 16384;
  h.max_rooms = 1000;
  h.rate_per_s = 20.0;
  h.rate_burst = 40.0;
  h.server_time = 1763780000123;
  v = reply_json(request_id::of(1), h);
  CAF_CHECK_EQUAL(shape(v), "heartbeat_ms:int64 id:int64 limits:object node:string "
                            "server_time:int64 session:string t:string user:string");
  CAF_CHECK_EQUAL(at(v, "t"), "hello");
  CAF_CHECK_EQUAL(shape(at(v, "limits")), "body:int64 frame:int64 rate:object rooms:int64");
  CAF_CHECK_EQUAL(shape(at(at(v, "limits"), "rate")), "burst:int64 per_s:int64");
  CAF_CHECK_EQUAL(json::serialize(at(v, "limits")),
                  R"({"frame":65536,"body":16384,"rooms":1000,"rate":{"per_s":20,"burst":40}})");
  // A fractional rate stays a number with its fraction.
  h.rate_per_s = 2.5;
  v = reply_json(request_id{}, h);
  CAF_CHECK_EQUAL(shape(at(at(v, "limits"), "rate")), "burst:int64 per_s:double");
  CAF_CHECK_EQUAL(at(at(at(v, "limits"), "rate"), "per_s"), 2.5);
  CAF_CHECK(!v.get_object().contains("id"));
}

CAF_TEST(error replies for every code) {
  const error_code codes[] = {error_code::bad_request, error_code::unauthorized,
                              error_code::token_expired, error_code::forbidden,
                              error_code::not_found, error_code::too_large,
                              error_code::rate_limited, error_code::unavailable,
                              error_code::conflict, error_code::internal};
  const char* names[] = {"bad_request", "unauthorized", "token_expired", "forbidden",
                         "not_found", "too_large", "rate_limited", "unavailable",
                         "conflict", "internal"};
  for (size_t i = 0; i < std::size(codes); ++i) {
    auto v = reply_json(request_id::of(int64_t(i)), error_info{codes[i], "why", -1});
    CAF_CHECK_EQUAL(shape(v), "code:string id:int64 message:string retryable:bool t:string");
    CAF_CHECK_EQUAL(at(v, "t"), "error");
    CAF_CHECK_EQUAL(at(v, "code"), names[i]);
    CAF_CHECK_EQUAL(at(v, "message"), "why");
    bool retryable = codes[i] == error_code::rate_limited || codes[i] == error_code::unavailable;
    CAF_CHECK_EQUAL(at(v, "retryable"), retryable);
  }
  auto v = reply_json(request_id::of("s1"), error_info{error_code::rate_limited, "slow down", 250});
  CAF_CHECK_EQUAL(shape(v), "code:string id:string message:string retry_after_ms:int64 "
                            "retryable:bool t:string");
  CAF_CHECK_EQUAL(at(v, "retry_after_ms"), 250);
  v = reply_json(request_id{}, error_info{error_code::rate_limited, "", 0});
  CAF_CHECK_EQUAL(at(v, "retry_after_ms"), 0);
  // Requests without id get errors without id.
  v = reply_json(request_id{}, error_info{error_code::bad_request, "malformed JSON", -1});
  CAF_CHECK_EQUAL(json::serialize(v),
                  R"({"t":"error","code":"bad_request","message":"malformed JSON",)"
                  R"("retryable":false})");
}

CAF_TEST(reply ids keep their kind) {
  CAF_CHECK_EQUAL(shape(reply_json(request_id::of(-9), ok_empty{})), "id:int64 t:string");
  CAF_CHECK_EQUAL(at(reply_json(request_id::of(-9), ok_empty{}), "id"), -9);
  CAF_CHECK_EQUAL(shape(reply_json(request_id::of(""), ok_empty{})), "id:string t:string");
  request_id real{request_id::kind::real, 0, 1.5, {}};
  CAF_CHECK_EQUAL(shape(reply_json(real, ok_empty{})), "id:double t:string");
  CAF_CHECK_EQUAL(at(reply_json(real, ok_empty{}), "id"), 1.5);
  CAF_CHECK_EQUAL(shape(reply_json(request_id{}, ok_empty{})), "t:string");
  // An id decoded from a request comes back unchanged.
  for (auto e : both) {
    for (auto text : {R"({"t":"ping","id":12})", R"({"t":"ping","id":"abc"})",
                      R"({"t":"ping","id":0.25})"}) {
      auto decoded = decode_frame(frame_of(text, e), e);
      auto in = std::get_if<inbound>(&decoded);
      if (!in) {
        CAF_CHECK(in != nullptr);
        continue;
      }
      auto out = read_output(encode_reply(reply{in->id, pong{}}, e), e);
      CAF_CHECK(at(out, "id") == json::parse(text).get_object().at("id"));
    }
  }
}

CAF_TEST(msg events with and without reply_to and meta) {
  auto plain = msg_event();
  auto v = event_json(plain);
  CAF_CHECK_EQUAL(shape(v), "body:string cid:string from:string kind:string room:string "
                            "seq:int64 t:string ts:int64");
  CAF_CHECK_EQUAL(json::serialize(v),
                  R"({"t":"msg","room":"r1","seq":42,"from":"alice","body":"hello",)"
                  R"("kind":"text","ts":1763780000123,"cid":"c-42"})");

  auto full = msg_event();
  full.target = 41;
  full.subtype = "sticker";
  full.meta = R"({"att":[{"url":"u","size":3}],"f":1.5})";
  v = event_json(full);
  CAF_CHECK_EQUAL(shape(v), "body:string cid:string from:string kind:string meta:object "
                            "reply_to:int64 room:string seq:int64 t:string ts:int64");
  CAF_CHECK_EQUAL(at(v, "reply_to"), 41);
  CAF_CHECK_EQUAL(at(v, "kind"), "sticker");
  CAF_CHECK(at(v, "meta") == json::parse(full.meta));

  // An empty kind is "text"; unreadable or non-object meta is dropped.
  auto odd = msg_event();
  odd.subtype = "";
  odd.meta = "{not json";
  v = event_json(odd);
  CAF_CHECK_EQUAL(at(v, "kind"), "text");
  CAF_CHECK(!v.get_object().contains("meta"));
  odd.meta = "[1,2]";
  CAF_CHECK(!event_json(odd).get_object().contains("meta"));
}

CAF_TEST(other persistent events) {
  storage::event e = msg_event();
  e.kind = storage::event_kind::edit;
  e.target = 42;
  e.seq = 43;
  e.body = "hello!";
  auto v = event_json(e);
  CAF_CHECK_EQUAL(shape(v), "body:string from:string room:string seq:int64 t:string "
                            "target:int64 ts:int64");
  CAF_CHECK_EQUAL(at(v, "t"), "edit");

  e.kind = storage::event_kind::del;
  v = event_json(e);
  CAF_CHECK_EQUAL(shape(v), "from:string room:string seq:int64 t:string target:int64 ts:int64");
  CAF_CHECK_EQUAL(at(v, "t"), "delete");

  e.kind = storage::event_kind::react;
  e.body = "\xF0\x9F\x91\x8D";
  e.subtype = "off";
  v = event_json(e);
  CAF_CHECK_EQUAL(shape(v), "emoji:string from:string on:bool room:string seq:int64 t:string "
                            "target:int64 ts:int64");
  CAF_CHECK_EQUAL(at(v, "on"), false);
  e.subtype = "on";
  CAF_CHECK_EQUAL(at(event_json(e), "on"), true);

  e.kind = storage::event_kind::member;
  e.body = "dave";
  e.subtype = "added";
  v = event_json(e);
  CAF_CHECK_EQUAL(shape(v), "action:string from:string room:string seq:int64 t:string "
                            "ts:int64 user:string");
  CAF_CHECK_EQUAL(at(v, "action"), "added");
  CAF_CHECK_EQUAL(at(v, "user"), "dave");
}

CAF_TEST(typing and read events) {
  auto v = event_json(typing_event{"r1", "bob", true});
  CAF_CHECK_EQUAL(json::serialize(v), R"({"t":"typing","room":"r1","user":"bob","on":true})");
  v = event_json(typing_event{"r1", "bob", false});
  CAF_CHECK_EQUAL(shape(v), "on:bool room:string t:string user:string");
  CAF_CHECK_EQUAL(at(v, "on"), false);
  v = event_json(read_event{"r1", "carol", 17});
  CAF_CHECK_EQUAL(json::serialize(v), R"({"t":"read","room":"r1","user":"carol","seq":17})");
  CAF_CHECK_EQUAL(shape(v), "room:string seq:int64 t:string user:string");
}

CAF_TEST(wire_event encodes once per encoding) {
  auto ev = make_event(typing_event{"r", "u", true});
  auto& j1 = ev->encoded(encoding::json, &encode_event);
  auto& j2 = ev->encoded(encoding::json, &encode_event);
  auto& m1 = ev->encoded(encoding::msgpack, &encode_event);
  CAF_CHECK_EQUAL(&j1, &j2);
  CAF_CHECK_EQUAL(j1, encode_event(ev->payload(), encoding::json));
  CAF_CHECK_EQUAL(m1, encode_event(ev->payload(), encoding::msgpack));
  CAF_CHECK(j1 != m1);
}

// -- robustness -------------------------------------------------------------------------------

CAF_TEST(arbitrary bytes never crash the decoder) {
  std::mt19937 rng{20240611};
  auto byte = [&] { return static_cast<char>(rng() & 0xFF); };
  const std::string alphabet = "{}[]\":,. \\-+eE0123456789tnrufalsidmbyogcphk\x91\x81\xA1\xA4";
  std::vector<std::string> corpus;
  const char* examples[] = {
    R"({"t":"send","id":1,"room":"r1","cid":"c-1","body":"x","kind":"k","reply_to":3,"meta":{"a":[1,{"b":2.5}]}})",
    R"({"t":"join","id":"j","room":"r","since":4})",
    R"({"t":"history","room":"r","before":1,"after":2,"limit":3})",
    R"({"t":"create","room":"r","members":["a","b"],"title":"T"})",
    R"({"t":"typing","room":"r","on":false})",
    R"({"t":"read","room":"r","seq":1})",
    R"({"t":"leave","room":"r"})",
    R"({"t":"auth","token":"t.o.k"})",
    R"({"t":"ping","id":-1})",
  };
  for (auto text : examples) {
    corpus.push_back(frame_of(text, encoding::json));
    corpus.push_back(frame_of(text, encoding::msgpack));
  }
  size_t runs = 0, inbounds = 0, errors = 0, bad = 0;
  auto run = [&](const std::string& bytes) {
    for (auto e : both) {
      auto r = decode_frame(bytes, e);
      ++runs;
      if (r.valueless_by_exception())
        ++bad;
      else if (auto err = std::get_if<decode_error>(&r); err && err->message.empty())
        ++bad;  // every refusal says why
      else if (err)
        ++errors;
      else
        ++inbounds;
    }
  };
  // Random bytes, random text from a JSON/MessagePack-ish alphabet.
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s)
      c = byte();
    run(s);
    std::string t(rng() % 64, '\0');
    for (auto& c : t)
      c = alphabet[rng() % alphabet.size()];
    run(t);
    run("{" + t);
    run(std::string("\x81\xA1t", 3) + s);
  }
  // Mutations of valid frames.
  for (int i = 0; i < 3000; ++i) {
    auto s = corpus[rng() % corpus.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      size_t pos = rng() % s.size();
      switch (rng() % 6) {
        case 0: s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8))); break;
        case 1: s[pos] = byte(); break;
        case 2: s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), byte()); break;
        case 3: s.erase(pos, 1); break;
        case 4: s.resize(pos); break;
        case 5: s.insert(pos, s.substr(pos, rng() % 8)); break;
      }
    }
    run(s);
  }
  // Every truncation of every valid frame.
  for (auto& c : corpus)
    for (size_t k = 0; k <= c.size(); ++k)
      run(c.substr(0, k));
  CAF_MESSAGE(runs << " decodes: " << inbounds << " requests, " << errors << " errors");
  CAF_CHECK_EQUAL(bad, 0u);
  CAF_CHECK_EQUAL(inbounds + errors, runs);
  CAF_CHECK(inbounds > 0);
}
