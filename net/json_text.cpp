#include "net/json_text.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
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
  out_.resize(std::max<size_t>(reserve, 16));
  out_[0] = '{';
  n_ = 1;
}

char* json_text::grow(size_t extra) {
  out_.resize(std::max(out_.size() * 2, n_ + extra));
  return out_.data() + n_;
}

void json_text::key(std::string_view k) {
  // Keys are the protocol's own names, which need no escape: written as they are.
  char* p = room(k.size() + 4);
  if (n_ > 1)
    *p++ = ',';
  *p++ = '"';
  std::memcpy(p, k.data(), k.size());
  p += k.size();
  *p++ = '"';
  *p++ = ':';
  n_ = static_cast<size_t>(p - out_.data());
}

void json_text::quoted(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  char* p = room(s.size() + 2);
  *p++ = '"';
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
    std::memcpy(p, s.data() + run, i - run);
    p += i - run;
    run = i + 1;
    n_ = static_cast<size_t>(p - out_.data());
    p = room(6 + (s.size() - run) + 1);  // this escape, the rest unescaped, the quote
    *p++ = '\\';
    *p++ = e;
    if (e == 'u') {
      *p++ = '0';
      *p++ = '0';
      *p++ = hex[c >> 4];
      *p++ = hex[c & 15];
    }
  }
  std::memcpy(p, s.data() + run, s.size() - run);
  p += s.size() - run;
  *p++ = '"';
  n_ = static_cast<size_t>(p - out_.data());
}

void json_text::raw(std::string_view text) {
  char* p = room(text.size());
  std::memcpy(p, text.data(), text.size());
  n_ += text.size();
}

json_text& json_text::field(std::string_view k, std::string_view value) {
  key(k);
  quoted(value);
  return *this;
}

json_text& json_text::field(std::string_view k, int64_t value) {
  key(k);
  char* p = room(20);  // "-9223372036854775808"
  auto [end, ec] = std::to_chars(p, p + 20, value);
  n_ = static_cast<size_t>(end - out_.data());
  return *this;
}

json_text& json_text::field(std::string_view k, bool value) {
  key(k);
  raw(value ? "true" : "false");
  return *this;
}

json_text& json_text::field(std::string_view k, const boost::json::value& value) {
  key(k);
  raw(boost::json::serialize(value));
  return *this;
}

std::string json_text::finish() && {
  room(1)[0] = '}';
  out_.resize(n_ + 1);
  return std::move(out_);
}

}  // namespace parley::net
