#define CAF_SUITE net_io_shard
#include "caf/test/unit_test.hpp"

#include <chrono>
#include <functional>

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
