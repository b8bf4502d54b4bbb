#define CAF_SUITE bench_client_ids
#include "caf/test/unit_test.hpp"

#include <cctype>
#include <set>
#include <string>

#include "parley-bench/client_ids.hpp"

using parley::bench::cid_source;
using parley::bench::cid_style;
using parley::bench::parse_cid_style;

namespace {

/// 8-4-4-4-12 lowercase hex digits, version 4, variant 10xx (RFC 4122, section 4.4).
bool is_uuid_v4(const std::string& s) {
  if (s.size() != 36)
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-'))
      return false;
    if (!dash && !(std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

}  // namespace

CAF_TEST(counter cids name the sender and the count) {
  cid_source cids{cid_style::counter, 1};
  CAF_CHECK_EQUAL(cids.next("p7", 1), "p7-1");
  CAF_CHECK_EQUAL(cids.next("p7", 1234), "p7-1234");
  CAF_CHECK_EQUAL(cids.next("d3", 2), "d3-2");
}

CAF_TEST(uuid cids are version 4 UUIDs and never repeat) {
  cid_source cids{cid_style::uuid, 42};
  std::set<std::string> seen;
  for (int64_t n = 1; n <= 20'000; ++n) {
    auto cid = cids.next("p1", n);
    CAF_REQUIRE(is_uuid_v4(cid));
    seen.insert(cid);
  }
  CAF_CHECK_EQUAL(seen.size(), 20'000u);
}

CAF_TEST(uuid cids of differently seeded processes differ) {
  cid_source a{cid_style::uuid, 1}, b{cid_style::uuid, 2};
  CAF_CHECK_NOT_EQUAL(a.next("p1", 1), b.next("p1", 1));
}

CAF_TEST(the check above refuses what is not a version 4 UUID) {
  CAF_CHECK(is_uuid_v4("123e4567-e89b-42d3-a456-426614174000"));
  CAF_CHECK(!is_uuid_v4("123e4567-e89b-12d3-a456-426614174000"));   // version 1
  CAF_CHECK(!is_uuid_v4("123e4567-e89b-42d3-c456-426614174000"));   // variant 110x
  CAF_CHECK(!is_uuid_v4("123e4567e89b42d3a456426614174000"));       // no dashes
  CAF_CHECK(!is_uuid_v4("123E4567-E89B-42D3-A456-426614174000"));   // upper case
}

CAF_TEST(the styles parse from their names only) {
  CAF_CHECK(parse_cid_style("counter") == cid_style::counter);
  CAF_CHECK(parse_cid_style("uuid") == cid_style::uuid);
  CAF_CHECK(!parse_cid_style("UUID"));
  CAF_CHECK(!parse_cid_style(""));
}
