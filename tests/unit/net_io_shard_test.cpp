#define CAF_SUITE net_io_shard
#include "caf/test/unit_test.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/post.hpp>

#include "net/heartbeat.hpp"
#include "net/io_shard.hpp"

using namespace parley::net;
using namespace std::chrono_literals;

namespace {

/// Counts its ticks; may detach itself from within one, as a connection that closes does.
struct probe : ticking {
  explicit probe(io_shard& s, bool detach_on_tick = false)
    : shard(s), detach_on_tick(detach_on_tick) {}
  void on_tick(std::chrono::steady_clock::time_point) override {
    ++ticks;
    if (detach_on_tick)
      shard.detach(this);
  }
  io_shard& shard;
  bool detach_on_tick;
  int ticks = 0;
};

/// Runs the shard's handlers until `done()` (at most 5 s): the ticks are its only handlers.
bool run_until(io_shard& shard, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline)
    shard.context().run_one_for(100ms);
  return done();
}

}  // namespace

CAF_TEST(the tick period is a quarter of the shortest deadline within 10 ms and 1 s) {
  CAF_CHECK_EQUAL(io_shard::tick_period(25'000).count(), 1000);
  CAF_CHECK_EQUAL(io_shard::tick_period(300).count(), 75);
  CAF_CHECK_EQUAL(io_shard::tick_period(20).count(), 10);
}

CAF_TEST(every attached connection is ticked also when one detaches itself meanwhile) {
  io_shard shard;
  probe a{shard}, leaving{shard, true}, c{shard};
  shard.attach(&a);
  shard.attach(&leaving);
  shard.attach(&c);
  shard.attach(&a);  // twice: still once in the list
  shard.start_ticks(10ms);
  CAF_REQUIRE(run_until(shard, [&] { return a.ticks >= 2; }));
  CAF_CHECK_EQUAL(leaving.ticks, 1);  // detached on its first tick
  CAF_CHECK_EQUAL(c.ticks, a.ticks);
  shard.detach(&leaving);  // detaching again is harmless
  shard.detach(&a);
  auto a_ticks = a.ticks;
  CAF_REQUIRE(run_until(shard, [&] { return c.ticks >= a_ticks + 2; }));
  CAF_CHECK_EQUAL(a.ticks, a_ticks);
  CAF_CHECK_EQUAL(leaving.ticks, 1);
  shard.detach(&c);
}

CAF_TEST(deferred jobs run in order a batch per turn with other handlers between batches) {
  io_shard shard;
  std::vector<int> ran;
  for (int i = 0; i < 40; ++i)
    shard.defer([&ran, i] { ran.push_back(i); });
  // Ready after the first batch was asked for (as a live socket's frame would be): it runs
  // after that batch, not after all forty.
  boost::asio::post(shard.context(), [&ran] { ran.push_back(-1); });
  CAF_REQUIRE(run_until(shard, [&] { return ran.size() == 41; }));
  std::vector<int> want;
  for (int i = 0; i < 16; ++i)
    want.push_back(i);
  want.push_back(-1);
  for (int i = 16; i < 40; ++i)
    want.push_back(i);
  CAF_CHECK_EQUAL(ran, want);
  static_assert(io_shard::deferred_per_turn == 16);
  // Drained: the next job is run again.
  shard.context().restart();  // (it ran out of work: run_one_for left it stopped)
  shard.defer([&ran] { ran.push_back(99); });
  CAF_REQUIRE(run_until(shard, [&] { return ran.size() == 42; }));
  CAF_CHECK_EQUAL(ran.back(), 99);
}

CAF_TEST(a pass waits behind the previous one as long as that one took and at most 20 ms) {
  auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  // A short pass (an ack): the next may start 20 µs later.
  CAF_CHECK(io_shard::next_pass_after(t0, t0 + 20us) == t0 + 40us);
  // A fan-out pass of 2 ms: the next one waits 2 ms, collecting frames meanwhile.
  CAF_CHECK(io_shard::next_pass_after(t0, t0 + 2ms) == t0 + 4ms);
  // Under backlog a pass may take long; the wait is capped.
  CAF_CHECK(io_shard::next_pass_after(t0, t0 + 40ms) == t0 + 60ms);
  CAF_CHECK_EQUAL(io_shard::max_flush_gap.count(), 20000);
}

CAF_TEST(a tick of 1 s is done in 100 slices of 10 ms and a short one in one) {
  CAF_CHECK_EQUAL(io_shard::tick_slices(1000ms), 100);
  CAF_CHECK_EQUAL(io_shard::tick_slices(75ms), 7);
  CAF_CHECK_EQUAL(io_shard::tick_slices(10ms), 1);
  CAF_CHECK_EQUAL(io_shard::tick_slices(5ms), 1);
}

CAF_TEST(each step of a tick visits its slice and a round visits every entry once) {
  io_shard shard;
  std::vector<std::unique_ptr<probe>> probes;
  for (int i = 0; i < 95; ++i) {
    probes.push_back(std::make_unique<probe>(shard));
    shard.attach(probes.back().get());
  }
  auto ticked = [&] {
    int n = 0;
    for (auto& p : probes)
      n += p->ticks;
    return n;
  };
  shard.start_ticks(100ms);  // 10 slices of 10 ms: 10 entries a step (95 / 10, rounded up)
  // The timer is the shard's only handler: one handler run is one step.
  CAF_REQUIRE_EQUAL(shard.context().run_one_for(5s), 1u);
  CAF_CHECK_EQUAL(ticked(), 10);
  for (int step = 2; step <= 10; ++step)
    CAF_REQUIRE_EQUAL(shard.context().run_one_for(5s), 1u);
  for (auto& p : probes)
    CAF_CHECK_EQUAL(p->ticks, 1);
  // The next round starts from the first entry again.
  CAF_REQUIRE_EQUAL(shard.context().run_one_for(5s), 1u);
  CAF_CHECK_EQUAL(probes.front()->ticks, 2);
  CAF_CHECK_EQUAL(ticked(), 105);
  for (auto& p : probes)
    shard.detach(p.get());
}

CAF_TEST(an entry that detaches itself mid-slice does not cost the entry moved into its place) {
  io_shard shard;
  probe a{shard}, leaving{shard, true}, b{shard}, c{shard};
  for (auto* p : {&a, &leaving, &b, &c})
    shard.attach(p);
  shard.start_ticks(20ms);  // 2 slices: 2 entries a step
  CAF_REQUIRE_EQUAL(shard.context().run_one_for(5s), 1u);
  // a, then leaving (which detaches, c takes its place), then c in the same slot.
  CAF_CHECK_EQUAL(a.ticks, 1);
  CAF_CHECK_EQUAL(leaving.ticks, 1);
  CAF_CHECK_EQUAL(b.ticks, 0);
  CAF_REQUIRE_EQUAL(shard.context().run_one_for(5s), 1u);
  CAF_CHECK_EQUAL(c.ticks, 1);
  CAF_CHECK_EQUAL(b.ticks, 1);
  CAF_CHECK_EQUAL(leaving.ticks, 1);
  shard.detach(&a);
  shard.detach(&b);
  shard.detach(&c);
}

CAF_TEST(first pings fall in the second half of the interval as the random draw says) {
  using parley::net::first_ping_delay;
  CAF_CHECK_EQUAL(first_ping_delay(25'000ms, 0).count(), 12'500);
  CAF_CHECK_EQUAL(first_ping_delay(25'000ms, 12'500).count(), 25'000);
  CAF_CHECK_EQUAL(first_ping_delay(25'000ms, 12'501).count(), 12'500);  // wraps
  CAF_CHECK_EQUAL(first_ping_delay(25'000ms, 7'000).count(), 19'500);
  CAF_CHECK_EQUAL(first_ping_delay(10ms, 3).count(), 8);
  CAF_CHECK_EQUAL(first_ping_delay(1ms, 99).count(), 1);
  for (uint64_t r : {0ull, 1ull, 999ull, ~0ull}) {
    auto d = first_ping_delay(3'000ms, r);
    CAF_CHECK(d >= 1'500ms && d <= 3'000ms);
  }
}

CAF_TEST(a shard without connections waits a whole period between ticks) {
  io_shard shard;
  shard.start_ticks(200ms);  // 20 slices of 10 ms while anything is attached
  auto start = std::chrono::steady_clock::now();
  CAF_REQUIRE_EQUAL(shard.context().run_one_for(5s), 1u);
  // Timers never fire early: a step of 10 ms would have come back long before.
  CAF_CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  probe a{shard};
  shard.attach(&a);
  CAF_REQUIRE_EQUAL(shard.context().run_one_for(5s), 1u);  // the period armed before
  CAF_REQUIRE_EQUAL(shard.context().run_one_for(5s), 1u);  // one step: all of one entry
  CAF_CHECK_EQUAL(a.ticks, 2);
  shard.detach(&a);
}
