#define CAF_SUITE net_codec_encode
#include "caf/test/unit_test.hpp"

#include "net_codec_support.hpp"

#include <limits>

#include "net/json_schema.hpp"

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

CAF_TEST(presence and conversation list messages) {
  auto v = event_json(presence_entry{"bob", true, 1700000000000});
  CAF_CHECK_EQUAL(json::serialize(v),
                  R"({"user":"bob","status":"online","last_seen":1700000000000,"t":"presence"})");
  v = event_json(presence_entry{"bob", false, 5});
  CAF_CHECK_EQUAL(at(v, "status"), "offline");
  v = event_json(room_update{"r1", 7, 3, std::nullopt});
  CAF_CHECK_EQUAL(shape(v), "head:int64 last:null room:string t:string unread:int64");
  storage::message_state last{msg_event(), 0, false, {}};
  v = event_json(room_update{"r1", 42, 1, last});
  CAF_CHECK_EQUAL(at(at(v, "last"), "seq"), 42);
  CAF_CHECK_EQUAL(at(at(v, "last"), "deleted"), false);
  v = reply_json(request_id::of(int64_t{4}), ok_presence{{{"a", true, 9}, {"b", false, 0}}});
  CAF_CHECK_EQUAL(shape(v), "id:int64 presence:array t:string");
  CAF_CHECK_EQUAL(json::serialize(v.as_object().at("presence")),
                  R"([{"user":"a","status":"online","last_seen":9},)"
                  R"({"user":"b","status":"offline","last_seen":0}])");
  storage::room_summary s;
  s.room = "r1";
  s.title = "Team";
  s.head = 42;
  s.read = 40;
  s.unread = 2;
  s.last = last;
  v = reply_json(request_id::of(int64_t{5}), ok_rooms{{s}});
  auto& line = v.as_object().at("rooms").as_array().at(0);
  CAF_CHECK_EQUAL(shape(line), "head:int64 last:object read:int64 room:string title:string "
                               "unread:int64");
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

// -- the text written straight (net/json_text.hpp) ---------------------------------------------

namespace {

/// A string of `n` characters drawn from every ASCII byte (the control characters, quote,
/// backslash and DEL among them) and a few UTF-8 sequences.
std::string random_text(std::mt19937& rng, size_t n) {
  static const char* utf8[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x91\x8D", "\xEF\xBF\xBF"};
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 8 == 0)
      s += utf8[rng() % 4];
    else
      s.push_back(static_cast<char>(rng() % 128));
  }
  return s;
}

/// Mostly plain text (the common body), with a few characters that need an escape at
/// random places, so that both the eight-at-a-time scan and its way out are exercised.
std::string plain_text(std::mt19937& rng, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i)
    s.push_back(static_cast<char>(' ' + rng() % 95));
  for (auto k = rng() % 4; k > 0 && !s.empty(); --k)
    s[rng() % s.size()] = "\"\\\n\x01\x1F"[rng() % 5];
  return s;
}

request_id random_id(std::mt19937& rng) {
  switch (rng() % 5) {
    case 0: return {};
    case 1: return request_id::of(static_cast<int64_t>(rng()) - (int64_t{1} << 31));
    case 2: return request_id::of(std::numeric_limits<int64_t>::min());
    case 3: return {request_id::kind::real, 0, (static_cast<double>(rng()) - 2e9) / 7.0, {}};
    default: return request_id::of(random_text(rng, rng() % 12));
  }
}

}  // namespace

CAF_TEST(hot path JSON text equals the serialized tree byte for byte) {
  // The message event and the send's ack skip the JSON tree (codec.cpp); a client must
  // not be able to tell: same keys, order, escapes and number forms.
  std::mt19937 rng{20261203};
  const char* metas[] = {"", R"({"a":[1,{"b":2.5}],"u":"\u0001\"x"})", "{bad", "[1]",
                         R"({"n":-9223372036854775808,"big":18446744073709551615})"};
  size_t mismatches = 0;
  for (int i = 0; i < 3000; ++i) {
    auto e = msg_event();
    e.room = random_text(rng, 1 + rng() % 20);
    e.sender = random_text(rng, rng() % 10);
    e.cid = random_text(rng, rng() % 10);
    e.body = rng() % 2 ? random_text(rng, rng() % 200) : plain_text(rng, rng() % 300);
    e.subtype = rng() % 3 ? "" : random_text(rng, rng() % 6);
    e.seq = static_cast<int64_t>(rng()) * (rng() % 2 ? 1 : 1 << 20);
    e.ts = rng() % 2 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(rng());
    e.target = rng() % 2 ? static_cast<int64_t>(rng() % 1000) - 10 : 0;
    e.meta = metas[rng() % std::size(metas)];
    event_payload ev = e;
    auto text = encode_event(ev, encoding::json);
    auto tree = json::serialize(net::schema::event_to_json(ev));
    if (text != tree && ++mismatches <= 3)
      CAF_CHECK_EQUAL(text, tree);

    reply r{random_id(rng), ok_send{e.room, e.seq, e.ts}};
    if (rng() % 3 == 0)
      r.body = ok_empty{};
    text = encode_reply(r, encoding::json);
    tree = json::serialize(net::schema::reply_to_json(r));
    if (text != tree && ++mismatches <= 3)
      CAF_CHECK_EQUAL(text, tree);
  }
  CAF_CHECK_EQUAL(mismatches, 0u);
  // And they are the text that the fixed example in the msg events test expects.
  CAF_CHECK_EQUAL(encode_reply(reply{request_id::of(7), ok_send{"r\"1", 3, 4}}, encoding::json),
                  R"({"t":"ok","room":"r\"1","seq":3,"ts":4,"id":7})");
  CAF_CHECK_EQUAL(encode_event(event_payload{msg_event()}, encoding::json),
                  R"({"t":"msg","room":"r1","seq":42,"from":"alice","body":"hello",)"
                  R"("kind":"text","ts":1763780000123,"cid":"c-42"})");
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
