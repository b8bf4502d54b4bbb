#define CAF_SUITE bench_open_loop
#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "parley-bench/open_loop.hpp"

using parley::bench::publisher_phase;
using std::chrono::microseconds;
using std::chrono::nanoseconds;

CAF_TEST(publishers are spread evenly over one interval) {
  // 200 publishers sending every second (200 msg/s together): one every 5 ms, not 200 at once.
  auto interval = nanoseconds{std::chrono::seconds{1}};
  std::vector<nanoseconds> phases;
  for (size_t i = 0; i < 200; ++i)
    phases.push_back(publisher_phase(interval, i, 200));
  CAF_CHECK_EQUAL(phases.front(), nanoseconds::zero());
  for (size_t i = 1; i < phases.size(); ++i)
    CAF_CHECK_EQUAL(phases[i] - phases[i - 1], nanoseconds{5'000'000});
  CAF_CHECK(phases.back() < interval);
}

CAF_TEST(every phase is distinct and inside the interval for uneven counts) {
  auto interval = microseconds{1'000};
  std::set<microseconds> seen;
  for (size_t i = 0; i < 7; ++i) {
    auto p = publisher_phase(interval, i, 7);
    CAF_CHECK(p >= microseconds::zero());
    CAF_CHECK(p < interval);
    seen.insert(p);
  }
  CAF_CHECK_EQUAL(seen.size(), 7u);
}

CAF_TEST(one publisher starts at once and no publishers is harmless) {
  auto interval = microseconds{2'500};
  CAF_CHECK_EQUAL(publisher_phase(interval, 0, 1), microseconds::zero());
  CAF_CHECK_EQUAL(publisher_phase(interval, 0, 0), microseconds::zero());
}

namespace {

/// A clock for the schedule's arithmetic: only its types are used.
struct test_clock {
  using duration = std::chrono::microseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<test_clock>;
  static constexpr bool is_steady = true;
};

using schedule = parley::bench::open_loop_schedule<test_clock>;
using tp = test_clock::time_point;

tp at(int64_t us) {
  return tp{microseconds{us}};
}

}  // namespace

CAF_TEST(the schedule is every publisher in turn at its own phase) {
  // 4 publishers every 1,000 us: one send every 250 us, publishers 0 1 2 3 0 1 ...
  schedule s{at(10'000), microseconds{1'000}, 4};
  for (uint64_t j = 0; j < 12; ++j) {
    auto i = j % 4;
    CAF_CHECK_EQUAL(s.due(j), at(10'000) + publisher_phase(microseconds{1'000}, i, 4) +
                                microseconds{1'000} * static_cast<int64_t>(j / 4));
    CAF_CHECK_EQUAL(s.due(j), at(10'000 + 250 * static_cast<int64_t>(j)));
  }
}

CAF_TEST(a wake takes exactly the sends due by then in order) {
  schedule s{at(0), microseconds{1'000}, 4};
  std::vector<std::pair<size_t, int64_t>> sent;
  auto send = [&](size_t i, tp due) { sent.emplace_back(i, due.time_since_epoch().count()); };
  CAF_CHECK_EQUAL(s.take_due(at(0), at(1'000'000), send), 1u);  // send 0 is due at once
  CAF_CHECK_EQUAL(s.take_due(at(249), at(1'000'000), send), 0u);
  CAF_CHECK_EQUAL(s.take_due(at(1'100), at(1'000'000), send), 4u);  // 250, 500, 750, 1000
  std::vector<std::pair<size_t, int64_t>> want{{0, 0}, {1, 250}, {2, 500}, {3, 750}, {0, 1'000}};
  CAF_CHECK(sent == want);
  CAF_CHECK_EQUAL(s.next(), 5u);
  CAF_CHECK_EQUAL(s.next_due(), at(1'250));
}

CAF_TEST(nothing due at or after the end is taken) {
  schedule s{at(0), microseconds{100}, 1};
  size_t n = 0;
  CAF_CHECK_EQUAL(s.take_due(at(10'000), at(500), [&](size_t, tp) { ++n; }), 5u);  // 0..400
  CAF_CHECK_EQUAL(n, 5u);
  CAF_CHECK_EQUAL(s.next_due(), at(500));
}

CAF_TEST(the pacer sleeps until the next send but at least the minimum gap) {
  schedule s{at(0), microseconds{2'000}, 1};  // a send every 2 ms: paced exactly
  s.take_due(at(0), at(1'000'000), [](size_t, tp) {});
  CAF_CHECK_EQUAL(s.wake_at(at(0), microseconds{200}), at(2'000));
  schedule fast{at(0), microseconds{10}, 1};  // every 10 us: at most one wake per 200 us
  fast.take_due(at(0), at(1'000'000), [](size_t, tp) {});
  CAF_CHECK_EQUAL(fast.wake_at(at(0), microseconds{200}), at(200));
  CAF_CHECK_EQUAL(fast.take_due(at(200), at(1'000'000), [](size_t, tp) {}), 20u);  // 10..200
}

CAF_TEST(a schedule without publishers sends nothing and never wakes) {
  schedule s{at(0), microseconds{1'000}, 0};
  CAF_CHECK_EQUAL(s.take_due(at(1'000'000), at(2'000'000), [](size_t, tp) {}), 0u);
  CAF_CHECK(s.next_due() == tp::max());
}
