#define CAF_SUITE actor_deadlines
#include "caf/test/unit_test.hpp"

#include <string>
#include <vector>

#include "actors/request_deadlines.hpp"

using namespace parley::actors;

namespace {

using deadlines = request_deadlines<int>;  // any ordered time type: ints keep tests plain

std::vector<int64_t> expire(deadlines& d, int now) {
  std::vector<int64_t> out;
  d.expire(now, [&](const request_id& id, bool) { out.push_back(id.integer); });
  return out;
}

}  // namespace

CAF_TEST(answered requests never expire) {
  deadlines d;
  auto a = d.open(request_id::of(1), 10);
  auto b = d.open(request_id::of(2), 11);
  CAF_CHECK_EQUAL(d.waiting(), 2u);
  CAF_CHECK(d.close(b));  // answers may come out of order
  CAF_CHECK(d.close(a));
  CAF_CHECK_EQUAL(d.waiting(), 0u);
  CAF_CHECK(expire(d, 100).empty());
}

CAF_TEST(expired requests are reported once and their late answers refused) {
  deadlines d;
  auto a = d.open(request_id::of(1), 10);
  auto b = d.open(request_id::of(2), 20);
  auto c = d.open(request_id::of(3), 30);
  CAF_CHECK(d.close(b));
  CAF_CHECK(expire(d, 9).empty());
  CAF_CHECK_EQUAL(expire(d, 25), (std::vector<int64_t>{1}));  // b was answered
  CAF_CHECK(!d.close(a));  // the client had its timeout; this answer is late
  CAF_CHECK(!d.close(b));  // and a second answer for b is refused too
  CAF_CHECK_EQUAL(d.waiting(), 1u);
  CAF_CHECK_EQUAL(expire(d, 30), (std::vector<int64_t>{3}));
  CAF_CHECK(!d.close(c));
  CAF_CHECK_EQUAL(d.waiting(), 0u);
}

CAF_TEST(tickets stay valid while the table compacts) {
  deadlines d;
  std::vector<deadlines::ticket> tickets;
  for (int i = 0; i < 1000; ++i)
    tickets.push_back(d.open(request_id::of(i), i));
  // Answer every even one, expire the first half: the rest must still be found.
  for (int i = 0; i < 1000; i += 2)
    CAF_CHECK(d.close(tickets[static_cast<size_t>(i)]));
  auto expired = expire(d, 499);
  CAF_CHECK_EQUAL(expired.size(), 250u);
  CAF_CHECK_EQUAL(expired.front(), 1);
  CAF_CHECK_EQUAL(expired.back(), 499);
  for (int i = 501; i < 1000; i += 2)
    CAF_CHECK(d.close(tickets[static_cast<size_t>(i)]));
  CAF_CHECK_EQUAL(d.waiting(), 0u);
  CAF_CHECK(!d.close(tickets.back() + 1));  // never issued
  auto next = d.open(request_id::of(7), 2000);
  CAF_CHECK_EQUAL(next, tickets.back() + 1);  // tickets keep counting up
  CAF_CHECK(d.close(next));
}
