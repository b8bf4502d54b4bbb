#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace parley::bench {

/// When publisher `i` of `n`, each sending every `interval`, sends first (after the start of
/// the timed phase): the publishers are spread evenly over one interval, so that together
/// they offer a steady rate. Started all at once (as the bench first did), 200 publishers at
/// 200 msg/s sent one burst of 200 messages per second: an "open loop at half of
/// saturation" was in truth a saturating burst and an idle gap, and the latency it measured
/// was the burst's (25 ms p50 for NATS at 1 % load).
template <class Duration>
Duration publisher_phase(Duration interval, size_t i, size_t n) {
  if (n == 0)
    return Duration::zero();
  return Duration{static_cast<typename Duration::rep>(
    static_cast<long double>(interval.count()) * static_cast<long double>(i % n) /
    static_cast<long double>(n))};
}

/// The open loop's sends in time order, for one timer to pace them all.
///
/// n publishers, each sending every `interval` from its phase (publisher_phase), make one
/// round-robin sequence: send j is publisher j % n's (j / n)-th, due at
/// start + publisher_phase(interval, j % n, n) + (j / n) * interval.
///
/// Why one timer and not one per publisher: Asio keeps its timers behind one timerfd and
/// re-arms it (timerfd_settime) whenever the earliest expiry changes, which with a timer
/// per publisher is once per send; on this VM that call was a quarter of the load
/// generator's CPU at 55,000 msg/s, enough to saturate its core, so the "half of
/// saturation" latencies measured the load generator as much as the server. The pacer
/// wakes at most once per `min_gap` and sends everything due by then: a send leaves at
/// most about `min_gap` after its due time (below that rate, exactly on time), and the
/// timer is re-armed at most 1 / min_gap times a second.
template <class Clock>
class open_loop_schedule {
public:
  using time_point = typename Clock::time_point;
  using duration = typename Clock::duration;

  open_loop_schedule(time_point start, duration interval, size_t publishers)
    : start_(start), interval_(interval), n_(publishers) {}

  /// When send `j` is due.
  time_point due(uint64_t j) const {
    if (n_ == 0)
      return time_point::max();
    return start_ + publisher_phase(interval_, j % n_, n_) +
           interval_ * static_cast<typename duration::rep>(j / n_);
  }

  /// The first send not taken yet, and when it is due.
  uint64_t next() const { return next_; }
  time_point next_due() const { return due(next_); }

  /// Calls `send(publisher, due)` for every send due at or before `now` and before `end`,
  /// in order; returns how many.
  template <class Send>
  size_t take_due(time_point now, time_point end, Send&& send) {
    size_t taken = 0;
    for (auto at = due(next_); n_ > 0 && at <= now && at < end; at = due(next_)) {
      send(static_cast<size_t>(next_ % n_), at);
      ++next_;
      ++taken;
    }
    return taken;
  }

  /// When the pacer should wake next: when the next send is due, but not sooner than
  /// `min_gap` after `now`.
  time_point wake_at(time_point now, duration min_gap) const {
    return std::max(next_due(), now + min_gap);
  }

private:
  time_point start_;
  duration interval_;
  size_t n_;
  uint64_t next_ = 0;
};

}  // namespace parley::bench
