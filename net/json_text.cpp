#include "net/json_text.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace parley::net {
namespace {

/// Boost.JSON's escapes (impl/serializer.ipp): the short forms for \b \t \n \f \r, \u00XX
/// in lower-case hex for the other control characters, and \" and \\. Everything else,
/// DEL and UTF-8 included, goes as it is.
char escape_of(unsigned char c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\t': return 't';
    case '\n': return 'n';
    case '\f': return 'f';
    case '\r': return 'r';
    default: return c < 0x20 ? 'u' : 0;
  }
}

/// Whether any of the eight bytes at `p` is below 0x20, '"' or '\\'. The bit tricks are
/// the "has zero byte" and "has less than" tests of Bit Twiddling Hacks (Sean Eron
/// Anderson): exact on whether any byte matches, for every byte value.
bool may_need_escape(const char* p) {
  constexpr uint64_t ones = 0x0101010101010101u;
  constexpr uint64_t highs = 0x8080808080808080u;
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  auto has_zero = [&](uint64_t v) { return (v - ones) & ~v & highs; };
  auto below_space = (x - ones * 0x20) & ~x & highs;
  return below_space | has_zero(x ^ (ones * '"')) | has_zero(x ^ (ones * '\\'));
}

}  // namespace

json_text::json_text(size_t reserve) {
  out_.reserve(reserve);
  out_.push_back('{');
}

void json_text::key(std::string_view k) {
  // Keys are the protocol's own names, which need no escape: written as they are.
  if (out_.size() > 1)
    out_.push_back(',');
  out_.push_back('"');
  out_.append(k);
  out_.append("\":", 2);
}

void json_text::quoted(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out_.push_back('"');
  size_t run = 0;  // the start of the characters that need no escape, copied in one go
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight at a time while none needs an escape (a message body seldom has one): a
    // character at a time was 3 % of the broker's CPU in the 200-room fan-out.
    while (i + 8 <= s.size() && !may_need_escape(s.data() + i))
      i += 8;
    if (i == s.size())
      break;
    auto c = static_cast<unsigned char>(s[i]);
    auto e = escape_of(c);
    if (!e)
      continue;
    out_.append(s.data() + run, i - run);
    run = i + 1;
    out_.push_back('\\');
    out_.push_back(e);
    if (e == 'u') {
      out_.append("00");
      out_.push_back(hex[c >> 4]);
      out_.push_back(hex[c & 15]);
    }
  }
  out_.append(s.data() + run, s.size() - run);
  out_.push_back('"');
}

json_text& json_text::field(std::string_view k, std::string_view value) {
  key(k);
  quoted(value);
  return *this;
}

json_text& json_text::field(std::string_view k, int64_t value) {
  key(k);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, end);
  return *this;
}

json_text& json_text::field(std::string_view k, bool value) {
  key(k);
  out_.append(value ? "true" : "false");
  return *this;
}

json_text& json_text::field(std::string_view k, const boost::json::value& value) {
  key(k);
  out_.append(boost::json::serialize(value));
  return *this;
}

std::string json_text::finish() && {
  out_.push_back('}');
  return std::move(out_);
}

}  // namespace parley::net
