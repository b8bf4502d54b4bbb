#pragma once

#include <chrono>
#include <cstddef>

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

}  // namespace parley::bench
