#define CAF_SUITE net_utf8
#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/utf8.hpp"

using parley::net::valid_utf8;

namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list)
    s += static_cast<char>(b);
  return s;
}

/// The oracle: the well-formed byte sequences of the Unicode standard, Table 3-7, as
/// ranges per position (a formulation independent of decoding code points).
size_t well_formed_prefix(const uint8_t* p, size_t n) {
  auto in = [](uint8_t b, int lo, int hi) { return b >= lo && b <= hi; };
  if (n == 0)
    return 0;
  uint8_t b0 = p[0];
  if (b0 <= 0x7F)
    return 1;
  struct rule {
    int lo0, hi0, lo1, hi1, len;
  };
  static constexpr rule rules[] = {
    {0xC2, 0xDF, 0x80, 0xBF, 2}, {0xE0, 0xE0, 0xA0, 0xBF, 3}, {0xE1, 0xEC, 0x80, 0xBF, 3},
    {0xED, 0xED, 0x80, 0x9F, 3}, {0xEE, 0xEF, 0x80, 0xBF, 3}, {0xF0, 0xF0, 0x90, 0xBF, 4},
    {0xF1, 0xF3, 0x80, 0xBF, 4}, {0xF4, 0xF4, 0x80, 0x8F, 4},
  };
  for (auto& r : rules) {
    if (!in(b0, r.lo0, r.hi0))
      continue;
    if (n < static_cast<size_t>(r.len) || !in(p[1], r.lo1, r.hi1))
      return 0;
    for (int i = 2; i < r.len; ++i)
      if (!in(p[i], 0x80, 0xBF))
        return 0;
    return static_cast<size_t>(r.len);
  }
  return 0;
}

bool oracle(const std::string& s) {
  auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    auto k = well_formed_prefix(p + i, s.size() - i);
    if (k == 0)
      return false;
    i += k;
  }
  return true;
}

}  // namespace

CAF_TEST(ascii and the empty string are valid) {
  CAF_CHECK(valid_utf8(""));
  CAF_CHECK(valid_utf8("hello, world"));
  CAF_CHECK(valid_utf8(std::string("a\0b", 3)));  // NUL is a character
  CAF_CHECK(valid_utf8(bytes({0x7F})));
}

CAF_TEST(well formed multi byte sequences are valid) {
  CAF_CHECK(valid_utf8("\xC2\x80"));          // U+0080, smallest 2-byte
  CAF_CHECK(valid_utf8("\xDF\xBF"));          // U+07FF
  CAF_CHECK(valid_utf8("\xE0\xA0\x80"));      // U+0800, smallest 3-byte
  CAF_CHECK(valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
  CAF_CHECK(valid_utf8("\xEE\x80\x80"));      // U+E000, just above them
  CAF_CHECK(valid_utf8("\xEF\xBF\xBF"));      // U+FFFF (a noncharacter, still valid)
  CAF_CHECK(valid_utf8("\xEF\xBB\xBF"));      // BOM
  CAF_CHECK(valid_utf8("\xF0\x90\x80\x80"));  // U+10000, smallest 4-byte
  CAF_CHECK(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  CAF_CHECK(valid_utf8("gr\xC3\xBC\xC3\x9F" "e \xE2\x82\xAC \xF0\x9F\x98\x80 \xE6\x97\xA5"));
}

CAF_TEST(overlong encodings are invalid) {
  CAF_CHECK(!valid_utf8(bytes({0xC0, 0x80})));              // NUL in 2 bytes
  CAF_CHECK(!valid_utf8(bytes({0xC0, 0xAF})));              // '/' in 2 bytes
  CAF_CHECK(!valid_utf8(bytes({0xC1, 0xBF})));              // U+007F in 2 bytes
  CAF_CHECK(!valid_utf8(bytes({0xE0, 0x80, 0x80})));        // NUL in 3 bytes
  CAF_CHECK(!valid_utf8(bytes({0xE0, 0x9F, 0xBF})));        // U+07FF in 3 bytes
  CAF_CHECK(!valid_utf8(bytes({0xF0, 0x80, 0x80, 0x80})));  // NUL in 4 bytes
  CAF_CHECK(!valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})));  // U+FFFF in 4 bytes
}

CAF_TEST(surrogates are invalid) {
  CAF_CHECK(!valid_utf8(bytes({0xED, 0xA0, 0x80})));  // U+D800
  CAF_CHECK(!valid_utf8(bytes({0xED, 0xAD, 0xBF})));  // U+DB7F
  CAF_CHECK(!valid_utf8(bytes({0xED, 0xB0, 0x80})));  // U+DC00
  CAF_CHECK(!valid_utf8(bytes({0xED, 0xBF, 0xBF})));  // U+DFFF
  // A surrogate pair encoded as two 3-byte sequences (CESU-8) is not UTF-8 either.
  CAF_CHECK(!valid_utf8(bytes({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80})));
}

CAF_TEST(code points above U+10FFFF are invalid) {
  CAF_CHECK(!valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  CAF_CHECK(!valid_utf8(bytes({0xF5, 0x80, 0x80, 0x80})));
  CAF_CHECK(!valid_utf8(bytes({0xF7, 0xBF, 0xBF, 0xBF})));
  CAF_CHECK(!valid_utf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));        // 5-byte form
  CAF_CHECK(!valid_utf8(bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));  // 6-byte form
  CAF_CHECK(!valid_utf8(bytes({0xFE})));
  CAF_CHECK(!valid_utf8(bytes({0xFF})));
}

CAF_TEST(stray and missing continuation bytes are invalid) {
  CAF_CHECK(!valid_utf8(bytes({0x80})));
  CAF_CHECK(!valid_utf8(bytes({0xBF})));
  CAF_CHECK(!valid_utf8(bytes({0x41, 0x80, 0x41})));
  CAF_CHECK(!valid_utf8(bytes({0xC3, 0x41})));               // lead, then ASCII
  CAF_CHECK(!valid_utf8(bytes({0xE2, 0x82, 0x41})));
  CAF_CHECK(!valid_utf8(bytes({0xF0, 0x9F, 0x98, 0x41})));
  CAF_CHECK(!valid_utf8(bytes({0xC3, 0xC3, 0xBC})));         // lead, then another lead
  CAF_CHECK(!valid_utf8(bytes({0xC3, 0xBC, 0xBC})));         // one continuation too many
}

CAF_TEST(truncated sequences are invalid at every cut) {
  // Every proper prefix of a multi-byte character is invalid, at the end of the input and
  // in front of more text.
  const std::string chars[] = {"\xC3\xBC", "\xE2\x82\xAC", "\xED\x9F\xBF", "\xF0\x9F\x98\x80",
                               "\xF4\x8F\xBF\xBF"};
  for (auto& c : chars) {
    CAF_CHECK(valid_utf8(c));
    for (size_t k = 1; k < c.size(); ++k) {
      CAF_CHECK(!valid_utf8(c.substr(0, k)));
      CAF_CHECK(!valid_utf8("ab" + c.substr(0, k)));
      CAF_CHECK(!valid_utf8("ab" + c.substr(0, k) + "cd"));
    }
  }
  // Views cut out of a longer buffer: the bytes after the view must not be read.
  const std::string buffer = "ab\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80";
  for (size_t k = 0; k <= buffer.size(); ++k) {
    bool boundary = k == 0 || k == 1 || k == 2 || k == 4 || k == 7 || k == 11;
    CAF_CHECK_EQUAL(valid_utf8(std::string_view{buffer.data(), k}), boundary);
  }
  // A valid text cut at every offset: valid exactly at character boundaries.
  const std::string text = "a\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80z";
  const std::vector<size_t> boundaries{0, 1, 3, 6, 10, 11};
  for (size_t k = 0; k <= text.size(); ++k) {
    bool boundary = std::find(boundaries.begin(), boundaries.end(), k) != boundaries.end();
    CAF_CHECK_EQUAL(valid_utf8(text.substr(0, k)), boundary);
    CAF_CHECK_EQUAL(valid_utf8(text.substr(k)), boundary);
  }
}

CAF_TEST(agrees with the table of well formed sequences) {
  // Every 1- and 2-byte string; every 3-byte string whose last byte is at an edge of a
  // range; every 4-byte string with edge values in the last two positions. Each also
  // embedded between ASCII.
  const int edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  size_t disagreements = 0, checked = 0;
  std::string first_bad;
  auto check = [&](const std::string& s) {
    ++checked;
    bool want = oracle(s);
    if (valid_utf8(s) != want || valid_utf8("x" + s + "y") != want) {
      if (disagreements++ == 0)
        for (unsigned char c : s)
          first_bad += std::to_string(c) + " ";
    }
  };
  for (int a = 0; a < 256; ++a) {
    check(bytes({a}));
    for (int b = 0; b < 256; ++b) {
      check(bytes({a, b}));
      for (int c : edges) {
        check(bytes({a, b, c}));
        if (a >= 0xF0)
          for (int d : edges)
            check(bytes({a, b, c, d}));
      }
    }
  }
  CAF_MESSAGE("compared " << checked << " strings");
  CAF_CHECK_EQUAL(disagreements, 0u);
  CAF_CHECK_EQUAL(first_bad, "");
}
