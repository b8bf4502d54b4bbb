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
