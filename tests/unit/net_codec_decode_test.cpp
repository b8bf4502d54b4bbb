#define CAF_SUITE net_codec_decode
#include "caf/test/unit_test.hpp"

#include "net_codec_support.hpp"

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

CAF_TEST(edit delete react invite and remove decode) {
  for (auto e : both) {
    CAF_CHECK_EQUAL(decode(R"({"t":"edit","room":"r","target":3,"body":"fixed"})", e),
                    "id=none edit room=r target=3 body=fixed");
    CAF_CHECK_EQUAL(decode(R"({"t":"delete","room":"r","target":4,"id":1})", e),
                    "id=1 delete room=r target=4");
    CAF_CHECK_EQUAL(decode(R"({"t":"react","room":"r","target":5,"emoji":"👍","on":false})", e),
                    "id=none react room=r target=5 emoji=👍 on=false");
    CAF_CHECK_EQUAL(decode(R"({"t":"react","room":"r","target":5,"emoji":"x"})", e),
                    "id=none react room=r target=5 emoji=x on=true");
    CAF_CHECK_EQUAL(decode(R"({"t":"invite","room":"r","user":"bob"})", e),
                    "id=none invite room=r user=bob");
    CAF_CHECK_EQUAL(decode(R"({"t":"remove","room":"r","user":"bob"})", e),
                    "id=none remove room=r user=bob");
    CAF_CHECK(is_error(decode_frame(frame_of(R"({"t":"edit","room":"r","body":"x"})", e), e)));
    CAF_CHECK(is_error(decode_frame(frame_of(R"({"t":"react","room":"r","target":"5","emoji":"x"})", e), e)));
    CAF_CHECK(is_error(decode_frame(frame_of(R"({"t":"invite","room":"r"})", e), e)));
  }
}

CAF_TEST(rooms and presence decode) {
  for (auto e : both) {
    CAF_CHECK_EQUAL(decode(R"({"t":"rooms"})", e), "id=none rooms limit=50");
    CAF_CHECK_EQUAL(decode(R"({"t":"rooms","limit":7,"id":3})", e), "id=3 rooms limit=7");
    CAF_CHECK_EQUAL(decode(R"({"t":"presence","users":["a","b"]})", e),
                    "id=none presence users=[a,b]");
    CAF_CHECK(is_error(decode_frame(frame_of(R"({"t":"presence","users":"a"})", e), e)));
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

