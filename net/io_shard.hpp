#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "net/catch_up_lane.hpp"

namespace parley::net {

class ws_connection;

/// Something on a shard with deadlines to check (a connection's auth deadline, heartbeat,
/// token expiry, closing linger): the shard's one periodic tick calls it, instead of a timer
/// per connection. An idle connection so saves the timer and its pending wait (~260 B).
class ticking {
public:
  virtual void on_tick(std::chrono::steady_clock::time_point now) = 0;

protected:
  ~ticking() = default;

private:
  friend class io_shard;
  static constexpr uint32_t detached = UINT32_MAX;
  uint32_t tick_slot_ = detached;  ///< Index in the shard's list.
};

/// One I/O thread's world: an io_context run by exactly one thread, and the connections that
/// live on it. A connection never moves, so its handlers never run concurrently and need no
/// strand.
///
/// Fan-out batching: when a room event reaches N idle connections of this shard, they do not
/// each post a handler (N wake-ups, N allocations, a reactor poll between each); the first
/// one posts a single `flush_dirty`, and the others only join the dirty list. One handler
/// then writes to all of them.
///
/// Flush window: a pass that starts right after the previous one waits until as long as that
/// pass took has gone by (at most `max_flush_gap`). An idle shard writes at once; a busy
/// one spends at most about half its time in passes, and each connection collects the
/// frames of that time for one write. Without it a room of 2,000 at half of its saturated
/// rate got one frame per `sendmsg` (a pass per message), needed more CPU than saturation
/// did, and fell seconds behind; batching then happened only under backlog. Measured
/// (one room × 2,000, interleaved, window off vs on): at 320 msg/s open loop, p99 0.75 s vs
/// 0.11–0.13 s and 11.0 vs 8.6–9.6 s of CPU; closed loop +9 % deliveries/s. The gap scales
/// with the pass, so a shard writing a few acks waits microseconds, not the cap.
class io_shard {
public:
  io_shard() : ioc_(1), flush_timer_(ioc_), tick_timer_(ioc_) {}

  /// The longest a pass waits behind the previous one.
  static constexpr std::chrono::microseconds max_flush_gap{20'000};

  /// How long after a pass that began at `start` and ended at `end` the next may begin.
  static std::chrono::steady_clock::time_point next_pass_after(
    std::chrono::steady_clock::time_point start, std::chrono::steady_clock::time_point end) {
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(end - start);
    return end + std::min(took, max_flush_gap);
  }

  boost::asio::io_context& context() { return ioc_; }

  /// Asks for `c->on_flush()` on this shard's thread soon. Any thread.
  void schedule_flush(std::shared_ptr<ws_connection> c);

  /// Starts ticking: every attached entry once per `period`, a slice of them at a time (call
  /// once, before the shard's thread runs).
  void start_ticks(std::chrono::milliseconds period);

  /// The shortest time between two slices of a tick. A period of 1 s is ticked in 100 slices
  /// of 10 ms, each visiting 1 % of the connections, instead of all of them at once: what a
  /// visit does (a heartbeat ping is one `sendmsg` each) then comes in small steps between
  /// other work, not as one burst that holds the thread. Measured with 18,000 idle
  /// connections opened together beside a fan-out of 200 msg/s: see first_ping_delay
  /// (net/heartbeat.hpp) for the figures.
  static constexpr std::chrono::milliseconds min_tick_step{10};

  /// In how many slices a tick of `period` is done (at least one).
  static int64_t tick_slices(std::chrono::milliseconds period) {
    return std::max<int64_t>(1, period / min_tick_step);
  }

  /// Adds `t` to / removes it from the tick (the shard's thread; detaching twice is fine).
  void attach(ticking* t);
  void detach(ticking* t);

  /// Milliseconds between ticks for these deadlines: a quarter of the shortest, so each
  /// fires at most 25 % late; within [10 ms, 1 s].
  static std::chrono::milliseconds tick_period(int64_t shortest_deadline_ms);

  /// The shard's bound on its connections' catch-up requests (the shard's thread only).
  catch_up_lane& catch_up() { return catch_up_; }

  /// Runs `job` soon, in order with the other deferred jobs but at most
  /// `deferred_per_turn` of them per turn of the shard's loop, so that what else is ready
  /// (a live socket's frame, a flush) runs between the batches (the shard's thread).
  ///
  /// For the teardown of connections whose peer is gone. In a mass disconnect epoll reports
  /// the peers' FINs in the order they came, and each teardown (the socket's close, its
  /// epoll removal, the session's exit) took ~20 µs: a live frame behind 10,000 FINs waited
  /// 0.2–0.4 s. Deferred, a FIN costs its read until the batches get to it.
  void defer(std::function<void()> job);
  static constexpr size_t deferred_per_turn = 16;

private:
  void wake();
  void start_pass();
  void flush_dirty();
  void arm_tick();
  void tick();
  void run_deferred();

  boost::asio::io_context ioc_;
  std::mutex mu_;
  std::vector<std::shared_ptr<ws_connection>> dirty_;
  bool posted_ = false;

  boost::asio::steady_timer flush_timer_;              ///< A pass held back by the window.
  std::chrono::steady_clock::time_point next_pass_{};  ///< The shard's thread only.

  boost::asio::steady_timer tick_timer_;
  std::chrono::milliseconds tick_period_{1000};
  std::chrono::steady_clock::duration tick_step_{tick_period_};
  int64_t tick_slices_ = 1;
  std::vector<ticking*> ticking_;  ///< The shard's thread only.
  size_t tick_cursor_ = 0;         ///< The next entry of ticking_ the tick visits.

  catch_up_lane catch_up_;

  std::vector<std::function<void()>> deferred_;  ///< The shard's thread only.
  size_t deferred_next_ = 0;                     ///< The first of deferred_ not run yet.
  bool deferred_posted_ = false;
};

}  // namespace parley::net
