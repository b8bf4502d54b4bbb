#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace parley::actors {

/// A token bucket: `burst` requests at once, refilled at `per_s` a second. The caller passes
/// the time, so an actor's (virtual, in tests) clock drives it.
class token_bucket {
public:
  using time_point = std::chrono::steady_clock::time_point;

  token_bucket(double per_s, double burst, time_point now)
    : per_s_(per_s), burst_(burst), tokens_(burst), last_(now) {}

  /// Takes one token; false when empty.
  bool try_take(time_point now) {
    refill(now);
    if (tokens_ < 1.0)
      return false;
    tokens_ -= 1.0;
    return true;
  }

  /// Whether the bucket has refilled completely (its user has been idle).
  bool full(time_point now) {
    refill(now);
    return tokens_ >= burst_;
  }

  /// Milliseconds until one token is available (0 if one is).
  int64_t wait_ms(time_point now) {
    refill(now);
    if (tokens_ >= 1.0)
      return 0;
    return static_cast<int64_t>((1.0 - tokens_) / per_s_ * 1000.0) + 1;
  }

private:
  void refill(time_point now) {
    if (now <= last_)
      return;
    std::chrono::duration<double> dt = now - last_;
    tokens_ = std::min(burst_, tokens_ + dt.count() * per_s_);
    last_ = now;
  }

  double per_s_;
  double burst_;
  double tokens_;
  time_point last_;
};

}  // namespace parley::actors
