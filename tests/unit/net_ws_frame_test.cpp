#define CAF_SUITE net_ws_frame
#include "caf/test/unit_test.hpp"

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "net/ws_frame.hpp"

using namespace parley::net;
using status = ws_frame_parser::status;

namespace {

constexpr uint8_t fin = 0x80;
constexpr size_t big_limit = 1 << 20;

enum class len_form { minimal, ext16, ext64 };

/// A client-to-server frame: first byte `b0` as given (FIN, RSV, opcode), payload masked
/// with `key` unless `masked` is false.
std::string frame(uint8_t b0, std::string_view payload, len_form form = len_form::minimal,
                  bool masked = true, uint32_t key = 0x37fa213d) {
  std::string out;
  out += static_cast<char>(b0);
  const uint8_t mask_bit = masked ? 0x80 : 0x00;
  const uint64_t n = payload.size();
  if (form == len_form::minimal && n < 126) {
    out += static_cast<char>(mask_bit | n);
  } else if (form != len_form::ext64 && n <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i)
      out += static_cast<char>((n >> (8 * i)) & 0xFF);
  }
  if (!masked)
    return out + std::string{payload};
  const uint8_t k[4] = {static_cast<uint8_t>(key >> 24), static_cast<uint8_t>(key >> 16),
                        static_cast<uint8_t>(key >> 8), static_cast<uint8_t>(key)};
  out.append(reinterpret_cast<const char*>(k), 4);
  for (size_t i = 0; i < payload.size(); ++i)
    out += static_cast<char>(static_cast<uint8_t>(payload[i]) ^ k[i & 3]);
  return out;
}

/// Only the header (and optionally the mask key) of a masked frame claiming `len` bytes.
std::string header_only(uint8_t b0, uint64_t len, bool with_key = true) {
  std::string out;
  out += static_cast<char>(b0);
  if (len < 126) {
    out += static_cast<char>(0x80 | len);
  } else if (len <= 0xFFFF) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(len >> 8);
    out += static_cast<char>(len & 0xFF);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i)
      out += static_cast<char>((len >> (8 * i)) & 0xFF);
  }
  if (with_key)
    out += std::string("\x01\x02\x03\x04", 4);
  return out;
}

std::string pattern(size_t n, uint8_t seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 31 + seed) & 0xFF);
  return s;
}

const char* str(status s) {
  switch (s) {
    case status::ok: return "ok";
    case status::protocol_error: return "protocol_error";
    case status::too_big: return "too_big";
  }
  return "?";
}

/// What a parser made of an input: the final status and every message it delivered.
struct outcome {
  status st = status::ok;
  std::vector<ws_message> msgs;
  size_t buffered = 0;

  friend bool operator==(const outcome& x, const outcome& y) {
    if (x.st != y.st || x.msgs.size() != y.msgs.size() || x.buffered != y.buffered)
      return false;
    for (size_t i = 0; i < x.msgs.size(); ++i)
      if (x.msgs[i].op != y.msgs[i].op || x.msgs[i].payload != y.msgs[i].payload)
        return false;
    return true;
  }
};

std::string describe(const outcome& o) {
  std::ostringstream out;
  out << str(o.st) << " buffered=" << o.buffered << " [";
  for (auto& m : o.msgs)
    out << " op" << static_cast<int>(m.op) << ":" << m.payload.size() << "B";
  out << " ]";
  return out.str();
}

/// Feeds `input` cut at the given offsets (ascending, each in [0, size]).
outcome run(std::string_view input, const std::vector<size_t>& cuts,
            size_t limit = big_limit) {
  ws_frame_parser p{limit};
  outcome o;
  size_t from = 0;
  auto feed = [&](size_t to) {
    o.st = p.feed(input.substr(from, to - from), o.msgs);
    from = to;
  };
  for (auto c : cuts)
    feed(c);
  feed(input.size());
  o.buffered = p.buffered();
  return o;
}

outcome whole(std::string_view input, size_t limit = big_limit) {
  return run(input, {}, limit);
}

outcome bytewise(std::string_view input, size_t limit = big_limit) {
  ws_frame_parser p{limit};
  outcome o;
  o.st = p.feed(std::string_view{}, o.msgs);
  for (char c : input)
    o.st = p.feed(std::string_view{&c, 1}, o.msgs);
  o.buffered = p.buffered();
  return o;
}

/// Feeds `input` whole, split at every single offset (or every `stride`-th offset beyond
/// the first and last 64 bytes, for big inputs), at every pair of offsets (inputs up to
/// 300 bytes) and one byte at a time; every run must give `expected`. Returns a description
/// of the first mismatch, or "" when all agree.
std::string first_mismatch(std::string_view input, const outcome& expected,
                           size_t limit = big_limit, size_t stride = 1) {
  auto got = whole(input, limit);
  if (!(got == expected))
    return "whole: " + describe(got) + " expected " + describe(expected);
  for (size_t i = 0; i <= input.size(); ++i) {
    if (stride > 1 && i > 64 && i + 64 < input.size() && i % stride != 0)
      continue;
    got = run(input, {i}, limit);
    if (!(got == expected))
      return "split at " + std::to_string(i) + ": " + describe(got);
  }
  if (input.size() <= 300) {
    for (size_t i = 0; i <= input.size(); ++i)
      for (size_t j = i; j <= input.size(); ++j) {
        got = run(input, {i, j}, limit);
        if (!(got == expected))
          return "split at " + std::to_string(i) + "," + std::to_string(j) + ": " +
                 describe(got);
      }
  }
  got = bytewise(input, limit);
  if (!(got == expected))
    return "bytewise: " + describe(got);
  return {};
}

outcome expect_ok(std::vector<ws_message> msgs) {
  return {status::ok, std::move(msgs), 0};
}

outcome expect_error(status st, std::vector<ws_message> msgs = {}) {
  return {st, std::move(msgs), 0};
}

/// After an error, `buffered` is whatever the parser held; compare status and messages.
std::string first_error_mismatch(std::string_view input, const outcome& expected,
                                 size_t limit = big_limit) {
  auto strip = [](outcome o) {
    o.buffered = 0;
    return o;
  };
  auto check = [&](const outcome& got, const std::string& how) -> std::string {
    if (!(strip(got) == expected))
      return how + ": " + describe(got) + " expected " + describe(expected);
    return {};
  };
  if (auto m = check(whole(input, limit), "whole"); !m.empty())
    return m;
  for (size_t i = 0; i <= input.size(); ++i)
    if (auto m = check(run(input, {i}, limit), "split at " + std::to_string(i)); !m.empty())
      return m;
  for (size_t i = 0; i <= input.size() && input.size() <= 300; ++i)
    for (size_t j = i; j <= input.size(); ++j)
      if (auto m = check(run(input, {i, j}, limit),
                         "split at " + std::to_string(i) + "," + std::to_string(j));
          !m.empty())
        return m;
  return check(bytewise(input, limit), "bytewise");
}

ws_message msg(ws_opcode op, std::string payload) {
  return {op, std::move(payload)};
}

}  // namespace

// -- valid frames -------------------------------------------------------------------------

CAF_TEST(the frame builder matches the masked example of RFC 6455 section 5.7) {
  const std::string rfc("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  CAF_CHECK_EQUAL(frame(fin | 0x1, "Hello"), rfc);
  CAF_CHECK_EQUAL(first_mismatch(rfc, expect_ok({msg(ws_opcode::text, "Hello")})), "");
}

CAF_TEST(masked text and binary frames with 7 bit lengths) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{124},
                   size_t{125}}) {
    auto text = frame(fin | 0x1, std::string(n, 'a'));
    CAF_CHECK_EQUAL(text.size(), 2 + 4 + n);
    CAF_CHECK_EQUAL(first_mismatch(text, expect_ok({msg(ws_opcode::text, std::string(n, 'a'))})),
                    "");
    auto payload = pattern(n, 7);
    auto bin = frame(fin | 0x2, payload, len_form::minimal, true, 0xdeadbeef);
    CAF_CHECK_EQUAL(first_mismatch(bin, expect_ok({msg(ws_opcode::binary, payload)})), "");
  }
}

CAF_TEST(masked payloads of every length up to 40 unmask in every phase of the key) {
  // The parser unmasks eight bytes at a time and the rest one by one: every length's tail.
  for (size_t n = 0; n <= 40; ++n) {
    auto payload = pattern(n, 11);
    auto f = frame(fin | 0x2, payload, len_form::minimal, true, 0x01fe7f80);
    CAF_CHECK_EQUAL(first_mismatch(f, expect_ok({msg(ws_opcode::binary, payload)})), "");
  }
}

CAF_TEST(masked frames with 16 bit lengths) {
  for (size_t n : {size_t{126}, size_t{127}, size_t{300}, size_t{4096}}) {
    auto payload = pattern(n, 3);
    auto f = frame(fin | 0x2, payload);
    CAF_CHECK_EQUAL(static_cast<uint8_t>(f[1]), 0x80 | 126);
    CAF_CHECK_EQUAL(first_mismatch(f, expect_ok({msg(ws_opcode::binary, payload)}), big_limit,
                                   n > 300 ? 7 : 1),
                    "");
  }
  // The largest 16-bit length: every offset in the header and the tail, a stride between.
  auto payload = pattern(65535, 9);
  auto f = frame(fin | 0x1, payload);
  CAF_CHECK_EQUAL(f.size(), 4u + 4u + 65535u);
  CAF_CHECK_EQUAL(first_mismatch(f, expect_ok({msg(ws_opcode::text, payload)}), big_limit, 997),
                  "");
}

CAF_TEST(masked frames with 64 bit lengths) {
  for (size_t n : {size_t{65536}, size_t{70000}}) {
    auto payload = pattern(n, 5);
    auto f = frame(fin | 0x2, payload);
    CAF_CHECK_EQUAL(static_cast<uint8_t>(f[1]), 0x80 | 127);
    CAF_CHECK_EQUAL(f.size(), 10 + 4 + n);
    CAF_CHECK_EQUAL(first_mismatch(f, expect_ok({msg(ws_opcode::binary, payload)}), big_limit,
                                   1009),
                    "");
  }
}

CAF_TEST(non minimal length encodings are accepted) {
  // RFC 6455 asks senders for the minimal encoding; the parser is lenient and reads them.
  auto f16 = frame(fin | 0x1, "abc", len_form::ext16);
  auto f64 = frame(fin | 0x1, "abc", len_form::ext64);
  auto f64e = frame(fin | 0x2, "", len_form::ext64);
  CAF_CHECK_EQUAL(f16.size(), 4u + 4u + 3u);
  CAF_CHECK_EQUAL(f64.size(), 10u + 4u + 3u);
  CAF_CHECK_EQUAL(first_mismatch(f16, expect_ok({msg(ws_opcode::text, "abc")})), "");
  CAF_CHECK_EQUAL(first_mismatch(f64, expect_ok({msg(ws_opcode::text, "abc")})), "");
  CAF_CHECK_EQUAL(first_mismatch(f64e, expect_ok({msg(ws_opcode::binary, "")})), "");
}

CAF_TEST(empty payloads) {
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x1, ""), expect_ok({msg(ws_opcode::text, "")})),
                  "");
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x2, ""), expect_ok({msg(ws_opcode::binary, "")})),
                  "");
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x9, ""), expect_ok({msg(ws_opcode::ping, "")})),
                  "");
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0xA, ""), expect_ok({msg(ws_opcode::pong, "")})),
                  "");
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x8, ""), expect_ok({msg(ws_opcode::close, "")})),
                  "");
}

CAF_TEST(control frames up to 125 bytes) {
  auto p125 = pattern(125, 1);
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x9, p125), expect_ok({msg(ws_opcode::ping, p125)})),
                  "");
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0xA, "pong!"),
                                 expect_ok({msg(ws_opcode::pong, "pong!")})),
                  "");
  auto close = close_payload(1000, "bye");
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x8, close), expect_ok({msg(ws_opcode::close, close)})),
                  "");
  auto reason = std::string(123, 'r');
  auto long_close = close_payload(4001, reason);
  CAF_CHECK_EQUAL(long_close.size(), 125u);
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x8, long_close),
                                 expect_ok({msg(ws_opcode::close, long_close)})),
                  "");
}

CAF_TEST(a close frame delivers its code and reason) {
  auto f = frame(fin | 0x8, close_payload(1001, "going away"));
  auto o = whole(f);
  CAF_CHECK_EQUAL(str(o.st), std::string{"ok"});
  if (o.msgs.size() == 1) {
    CAF_CHECK(o.msgs[0].op == ws_opcode::close);
    CAF_CHECK_EQUAL(close_code_of(o.msgs[0].payload), 1001);
    CAF_CHECK_EQUAL(o.msgs[0].payload.substr(2), "going away");
  } else {
    CAF_CHECK_EQUAL(o.msgs.size(), 1u);
  }
}

CAF_TEST(a fragmented message with an interleaved ping) {
  // Ping is delivered when it arrives; the message once its last fragment is in.
  auto input = frame(0x01, "Hel") + frame(fin | 0x9, "p1") + frame(0x00, "lo, ") +
               frame(fin | 0xA, "") + frame(fin | 0x00, "world");
  CAF_CHECK_EQUAL(first_mismatch(input, expect_ok({msg(ws_opcode::ping, "p1"),
                                                   msg(ws_opcode::pong, ""),
                                                   msg(ws_opcode::text, "Hello, world")})),
                  "");
}

CAF_TEST(fragmented messages with empty fragments and a binary opcode) {
  auto input = frame(0x02, "") + frame(0x00, "\x01\x02") + frame(0x00, "") +
               frame(fin | 0x00, "\x03");
  CAF_CHECK_EQUAL(first_mismatch(input, expect_ok({msg(ws_opcode::binary, "\x01\x02\x03")})),
                  "");
  auto all_empty = frame(0x01, "") + frame(fin | 0x00, "");
  CAF_CHECK_EQUAL(first_mismatch(all_empty, expect_ok({msg(ws_opcode::text, "")})), "");
  // Fragments in different length encodings.
  auto mixed = frame(0x01, std::string(200, 'x')) + frame(0x00, "y", len_form::ext64) +
               frame(fin | 0x00, std::string(130, 'z'));
  CAF_CHECK_EQUAL(first_mismatch(mixed, expect_ok({msg(ws_opcode::text, std::string(200, 'x') +
                                                                           "y" +
                                                                           std::string(130, 'z'))}),
                                 big_limit, 5),
                  "");
}

CAF_TEST(a close frame inside a fragmented message is delivered at once) {
  auto input = frame(0x01, "ab") + frame(fin | 0x8, close_payload(1000, ""));
  auto o = whole(input);
  CAF_CHECK_EQUAL(str(o.st), std::string{"ok"});
  CAF_CHECK_EQUAL(o.msgs.size(), 1u);
  CAF_CHECK_EQUAL(o.buffered, 2u);  // the first fragment waits for its continuation
  CAF_CHECK_EQUAL(first_mismatch(input, outcome{status::ok,
                                                {msg(ws_opcode::close, close_payload(1000, ""))},
                                                2}),
                  "");
}

CAF_TEST(several frames in one feed) {
  auto bin = pattern(300, 2);
  auto input = frame(fin | 0x1, "one") + frame(fin | 0x2, bin) + frame(fin | 0x9, "p") +
               frame(fin | 0x1, "") + frame(0x01, "t") + frame(fin | 0x0, "wo") +
               frame(fin | 0x8, close_payload(1000, "done"));
  auto expected = expect_ok({msg(ws_opcode::text, "one"), msg(ws_opcode::binary, bin),
                             msg(ws_opcode::ping, "p"), msg(ws_opcode::text, ""),
                             msg(ws_opcode::text, "two"),
                             msg(ws_opcode::close, close_payload(1000, "done"))});
  CAF_CHECK_EQUAL(first_mismatch(input, expected, big_limit, 3), "");
}

CAF_TEST(a partial frame is held and counted as buffered) {
  auto f = frame(fin | 0x1, "hello world");
  ws_frame_parser p{big_limit};
  std::vector<ws_message> out;
  CAF_CHECK_EQUAL(str(p.feed(std::string_view{f}.substr(0, 1), out)), std::string{"ok"});
  CAF_CHECK_EQUAL(p.buffered(), 1u);
  CAF_CHECK_EQUAL(str(p.feed(std::string_view{f}.substr(1, 8), out)), std::string{"ok"});
  CAF_CHECK_EQUAL(p.buffered(), 9u);
  CAF_CHECK(out.empty());
  CAF_CHECK_EQUAL(str(p.feed(f.substr(9) + frame(fin | 0x1, "x").substr(0, 3), out)),
                  std::string{"ok"});
  CAF_CHECK_EQUAL(out.size(), 1u);
  CAF_CHECK_EQUAL(p.buffered(), 3u);
  p.shrink();
  CAF_CHECK_EQUAL(p.buffered(), 3u);
  CAF_CHECK_EQUAL(str(p.feed(frame(fin | 0x1, "x").substr(3), out)), std::string{"ok"});
  CAF_CHECK_EQUAL(out.size(), 2u);
  CAF_CHECK_EQUAL(p.buffered(), 0u);
  p.shrink();
  CAF_CHECK_EQUAL(str(p.feed(frame(fin | 0x2, "again"), out)), std::string{"ok"});
  CAF_CHECK_EQUAL(out.size(), 3u);
}

CAF_TEST(a message exactly at the limit is accepted) {
  auto payload = pattern(1000, 4);
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x2, payload),
                                 expect_ok({msg(ws_opcode::binary, payload)}), 1000),
                  "");
  auto fragmented = frame(0x02, payload.substr(0, 600)) + frame(fin | 0x9, "") +
                    frame(fin | 0x00, payload.substr(600));
  CAF_CHECK_EQUAL(first_mismatch(fragmented,
                                 expect_ok({msg(ws_opcode::ping, ""),
                                            msg(ws_opcode::binary, payload)}),
                                 1000, 3),
                  "");
  // Control frames do not count towards the data limit.
  CAF_CHECK_EQUAL(first_mismatch(frame(fin | 0x9, pattern(125)),
                                 expect_ok({msg(ws_opcode::ping, pattern(125))}), 10),
                  "");
}

// -- malformed frames ---------------------------------------------------------------------

CAF_TEST(an unmasked frame is a protocol error) {
  auto f = frame(fin | 0x1, "Hello", len_form::minimal, false);
  CAF_CHECK_EQUAL(first_error_mismatch(f, expect_error(status::protocol_error)), "");
  CAF_CHECK_EQUAL(first_error_mismatch(frame(fin | 0x9, "", len_form::minimal, false),
                                       expect_error(status::protocol_error)),
                  "");
  CAF_CHECK_EQUAL(first_error_mismatch(frame(fin | 0x2, pattern(200), len_form::minimal, false),
                                       expect_error(status::protocol_error)),
                  "");
  // Refused from the first two bytes.
  ws_frame_parser p{big_limit};
  std::vector<ws_message> out;
  CAF_CHECK_EQUAL(str(p.feed(f.substr(0, 2), out)), std::string{"protocol_error"});
}

CAF_TEST(reserved bits are a protocol error) {
  for (uint8_t rsv : {uint8_t{0x40}, uint8_t{0x20}, uint8_t{0x10}, uint8_t{0x70}}) {
    CAF_CHECK_EQUAL(first_error_mismatch(frame(fin | rsv | 0x1, "x"),
                                         expect_error(status::protocol_error)),
                    "");
    CAF_CHECK_EQUAL(first_error_mismatch(frame(fin | rsv | 0x9, ""),
                                         expect_error(status::protocol_error)),
                    "");
    // On a continuation frame too.
    CAF_CHECK_EQUAL(first_error_mismatch(frame(0x01, "a") + frame(fin | rsv, "b"),
                                         expect_error(status::protocol_error)),
                    "");
  }
}

CAF_TEST(unknown opcodes are a protocol error) {
  for (uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    CAF_CHECK_EQUAL(first_error_mismatch(frame(static_cast<uint8_t>(fin | op), "x"),
                                         expect_error(status::protocol_error)),
                    "");
    CAF_CHECK_EQUAL(first_error_mismatch(frame(static_cast<uint8_t>(op), ""),
                                         expect_error(status::protocol_error)),
                    "");
  }
}

CAF_TEST(control frames longer than 125 bytes are a protocol error) {
  for (uint8_t op : {0x8, 0x9, 0xA}) {
    auto b0 = static_cast<uint8_t>(fin | op);
    CAF_CHECK_EQUAL(first_error_mismatch(frame(b0, pattern(126)),
                                         expect_error(status::protocol_error)),
                    "");
    CAF_CHECK_EQUAL(first_error_mismatch(frame(b0, pattern(127)),
                                         expect_error(status::protocol_error)),
                    "");
    // Refused from the header, before the payload arrives.
    ws_frame_parser p{big_limit};
    std::vector<ws_message> out;
    CAF_CHECK_EQUAL(str(p.feed(header_only(b0, 70000, false), out)),
                    std::string{"protocol_error"});
  }
}

CAF_TEST(fragmented control frames are a protocol error) {
  for (uint8_t op : {0x8, 0x9, 0xA}) {
    CAF_CHECK_EQUAL(first_error_mismatch(frame(op, "x"), expect_error(status::protocol_error)),
                    "");
    CAF_CHECK_EQUAL(first_error_mismatch(frame(0x01, "a") + frame(op, ""),
                                         expect_error(status::protocol_error)),
                    "");
  }
}

CAF_TEST(a continuation without a started message is a protocol error) {
  CAF_CHECK_EQUAL(first_error_mismatch(frame(fin | 0x0, "x"), expect_error(status::protocol_error)),
                  "");
  CAF_CHECK_EQUAL(first_error_mismatch(frame(0x0, "x"), expect_error(status::protocol_error)),
                  "");
  // After a complete message, a continuation has nothing to continue.
  CAF_CHECK_EQUAL(first_error_mismatch(frame(0x01, "a") + frame(fin | 0x0, "b") +
                                         frame(fin | 0x0, "c"),
                                       expect_error(status::protocol_error,
                                                    {msg(ws_opcode::text, "ab")})),
                  "");
}

CAF_TEST(a new data frame inside a fragmented message is a protocol error) {
  for (uint8_t b0 : {uint8_t{0x01}, uint8_t{0x81}, uint8_t{0x02}, uint8_t{0x82}}) {
    CAF_CHECK_EQUAL(first_error_mismatch(frame(0x01, "a") + frame(fin | 0x9, "") + frame(b0, "b"),
                                         expect_error(status::protocol_error,
                                                      {msg(ws_opcode::ping, "")})),
                    "");
  }
}

CAF_TEST(a 64 bit length with the most significant bit set is a protocol error) {
  std::string f;
  f += static_cast<char>(fin | 0x2);
  f += static_cast<char>(0x80 | 127);
  f += std::string("\x80\x00\x00\x00\x00\x00\x00\x05", 8);
  CAF_CHECK_EQUAL(first_error_mismatch(f + "\x01\x02\x03\x04" + "abcde",
                                       expect_error(status::protocol_error)),
                  "");
  // On a control frame as well, and before the mask key arrives.
  ws_frame_parser p{big_limit};
  std::vector<ws_message> out;
  f[0] = static_cast<char>(fin | 0x9);
  CAF_CHECK_EQUAL(str(p.feed(f, out)), std::string{"protocol_error"});
  // All ones is refused the same way (not as too_big).
  std::string ones;
  ones += static_cast<char>(fin | 0x2);
  ones += static_cast<char>(0xFF);
  ones += std::string(8, '\xFF');
  CAF_CHECK_EQUAL(first_error_mismatch(ones, expect_error(status::protocol_error), 100), "");
}

CAF_TEST(frames before an error are still delivered) {
  auto input = frame(fin | 0x1, "a") + frame(fin | 0x9, "b") +
               frame(fin | 0x1, "c", len_form::minimal, false) + frame(fin | 0x1, "d");
  CAF_CHECK_EQUAL(first_error_mismatch(input, expect_error(status::protocol_error,
                                                           {msg(ws_opcode::text, "a"),
                                                            msg(ws_opcode::ping, "b")})),
                  "");
}

CAF_TEST(the parser stays failed after an error) {
  for (auto& bad : {frame(fin | 0x1, "x", len_form::minimal, false), frame(fin | 0x43, "x"),
                    frame(fin | 0x0, "x")}) {
    ws_frame_parser p{big_limit};
    std::vector<ws_message> out;
    CAF_CHECK_EQUAL(str(p.feed(bad, out)), std::string{"protocol_error"});
    CAF_CHECK_EQUAL(str(p.feed(frame(fin | 0x1, "fine"), out)), std::string{"protocol_error"});
    CAF_CHECK_EQUAL(str(p.feed(std::string_view{}, out)), std::string{"protocol_error"});
    CAF_CHECK(out.empty());
  }
  ws_frame_parser p{10};
  std::vector<ws_message> out;
  CAF_CHECK_EQUAL(str(p.feed(frame(fin | 0x1, std::string(11, 'a')), out)),
                  std::string{"too_big"});
  CAF_CHECK_EQUAL(str(p.feed(frame(fin | 0x1, "ok"), out)), std::string{"too_big"});
  CAF_CHECK(out.empty());
}

// -- size limit ---------------------------------------------------------------------------

CAF_TEST(an oversized frame is refused from its header alone) {
  // 16-bit length, 1001 > 1000: refused after 4 bytes, nothing of the payload needed.
  for (size_t cut : {size_t{4}, size_t{5}, size_t{8}}) {
    ws_frame_parser p{1000};
    std::vector<ws_message> out;
    auto h = header_only(fin | 0x2, 1001);
    CAF_CHECK_EQUAL(str(p.feed(h.substr(0, cut), out)), std::string{"too_big"});
    CAF_CHECK(out.empty());
  }
  // Until the length is complete there is nothing to refuse.
  {
    ws_frame_parser p{1000};
    std::vector<ws_message> out;
    auto h = header_only(fin | 0x2, 1001);
    CAF_CHECK_EQUAL(str(p.feed(h.substr(0, 3), out)), std::string{"ok"});
    CAF_CHECK_EQUAL(str(p.feed(h.substr(3, 1), out)), std::string{"too_big"});
  }
  // 64-bit lengths: just over the limit, and absurdly large.
  for (uint64_t len : {uint64_t{1001}, uint64_t{70000}, uint64_t{1} << 40,
                       (uint64_t{1} << 63) - 1}) {
    std::string h;
    h += static_cast<char>(fin | 0x1);
    h += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i)
      h += static_cast<char>((len >> (8 * i)) & 0xFF);
    ws_frame_parser p{1000};
    std::vector<ws_message> out;
    CAF_CHECK_EQUAL(str(p.feed(h, out)), std::string{"too_big"});
    CAF_CHECK(p.buffered() <= h.size());
  }
  // Whole frame, split anywhere: same answer.
  CAF_CHECK_EQUAL(first_error_mismatch(frame(fin | 0x1, pattern(1001)),
                                       expect_error(status::too_big), 1000),
                  "");
}

CAF_TEST(a fragmented message over the limit is refused) {
  auto input = frame(0x02, pattern(600)) + frame(fin | 0x9, "x") + frame(0x00, pattern(300)) +
               frame(fin | 0x00, pattern(101));
  CAF_CHECK_EQUAL(first_error_mismatch(input, expect_error(status::too_big,
                                                           {msg(ws_opcode::ping, "x")}),
                                       1000),
                  "");
  // The last fragment's header suffices.
  ws_frame_parser p{1000};
  std::vector<ws_message> out;
  CAF_CHECK_EQUAL(str(p.feed(frame(0x02, pattern(600)) + frame(0x00, pattern(300)), out)),
                  std::string{"ok"});
  CAF_CHECK_EQUAL(p.buffered(), 900u);
  CAF_CHECK_EQUAL(str(p.feed(header_only(fin | 0x00, 101, false), out)),
                  std::string{"too_big"});
  // Many small fragments add up too.
  std::string many = frame(0x01, "");
  for (int i = 0; i < 101; ++i)
    many += frame(0x00, "0123456789");
  many += frame(fin | 0x00, "");
  CAF_CHECK_EQUAL(str(whole(many, 1000).st), std::string{"too_big"});
  CAF_CHECK_EQUAL(str(whole(many, 1010).st), std::string{"ok"});
}

// -- writing ------------------------------------------------------------------------------

CAF_TEST(write_frame_header picks the shortest length encoding) {
  struct row {
    ws_opcode op;
    size_t size;
    std::string bytes;
  };
  std::vector<row> rows{
    {ws_opcode::text, 0, std::string("\x81\x00", 2)},
    {ws_opcode::binary, 125, std::string("\x82\x7d", 2)},
    {ws_opcode::text, 126, std::string("\x81\x7e\x00\x7e", 4)},
    {ws_opcode::binary, 65535, std::string("\x82\x7e\xff\xff", 4)},
    {ws_opcode::binary, 65536, std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10)},
    {ws_opcode::text, (size_t{1} << 32) + 5,
     std::string("\x81\x7f\x00\x00\x00\x01\x00\x00\x00\x05", 10)},
    {ws_opcode::close, 2, std::string("\x88\x02", 2)},
    {ws_opcode::ping, 0, std::string("\x89\x00", 2)},
    {ws_opcode::pong, 125, std::string("\x8a\x7d", 2)},
  };
  for (auto& r : rows) {
    uint8_t buf[16];
    std::fill(std::begin(buf), std::end(buf), 0xEE);
    auto n = write_frame_header(buf, r.op, r.size);
    CAF_CHECK_EQUAL(std::string(reinterpret_cast<char*>(buf), n), r.bytes);
    CAF_CHECK_EQUAL(buf[n], 0xEE);  // writes nothing past its length
  }
}

CAF_TEST(a server header with a mask added parses back to the same payload) {
  for (size_t size : {size_t{0}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}}) {
    uint8_t buf[16];
    auto n = write_frame_header(buf, ws_opcode::binary, size);
    std::string f(reinterpret_cast<char*>(buf), n);
    f[1] = static_cast<char>(f[1] | 0x80);
    f += std::string(4, '\0');  // mask key 0: the payload is sent as is
    auto payload = pattern(size, 11);
    f += payload;
    auto o = whole(f);
    CAF_CHECK_EQUAL(str(o.st), std::string{"ok"});
    CAF_CHECK_EQUAL(o.msgs.size(), 1u);
    if (o.msgs.size() == 1)
      CAF_CHECK(o.msgs[0].payload == payload);
  }
}

CAF_TEST(close payload and close code round trip) {
  CAF_CHECK_EQUAL(close_payload(1000, "bye"), std::string("\x03\xe8" "bye", 5));
  CAF_CHECK_EQUAL(close_payload(4009, ""), std::string("\x0f\xa9", 2));
  for (uint16_t code : {uint16_t{1000}, uint16_t{1001}, uint16_t{1002}, uint16_t{1009},
                        uint16_t{4001}, uint16_t{4003}, uint16_t{4008}, uint16_t{4009},
                        uint16_t{0}, uint16_t{65535}}) {
    CAF_CHECK_EQUAL(close_code_of(close_payload(code, "reason")), code);
    CAF_CHECK_EQUAL(close_code_of(close_payload(code, "")), code);
  }
  // The reason is cut so the payload fits a control frame.
  auto p = close_payload(1000, std::string(500, 'x'));
  CAF_CHECK_EQUAL(p.size(), 125u);
  CAF_CHECK_EQUAL(close_code_of(p), 1000);
  CAF_CHECK_EQUAL(close_payload(1000, std::string(123, 'y')).size(), 125u);
  CAF_CHECK_EQUAL(close_payload(1000, std::string(122, 'y')).size(), 124u);
  // No status.
  CAF_CHECK_EQUAL(close_code_of(""), 1005);
  CAF_CHECK_EQUAL(close_code_of(std::string("\x03", 1)), 1005);
}

CAF_TEST(a client close is answered with a code that may be sent) {
  CAF_CHECK_EQUAL(close_reply_code(""), 1000);
  CAF_CHECK_EQUAL(close_reply_code(std::string(1, '\x03')), 1002);  // 1 byte: malformed
  CAF_CHECK_EQUAL(close_reply_code(close_payload(1000, "bye")), 1000);
  CAF_CHECK_EQUAL(close_reply_code(close_payload(1001, "")), 1001);
  CAF_CHECK_EQUAL(close_reply_code(close_payload(4000, "app")), 4000);
  for (uint16_t never : {999, 1004, 1005, 1006, 1015, 2999, 5000})
    CAF_CHECK_EQUAL(close_reply_code(close_payload(never, "")), 1002);
}
