#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "storage/error.hpp"

namespace parley::actors {

/// A circuit breaker in front of one store connection. After the database failed, it says
/// "down" for a back-off (doubling from 100 ms up to 5 s), so requests fail fast with
/// `unavailable` instead of each waiting for a connect timeout, and the actor probes the
/// database once per back-off until it answers again. While any breaker is down, the shared
/// `unhealthy` gauge is above zero and /readyz answers 503.
class storage_breaker {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::milliseconds;

  static constexpr duration first_backoff{100};
  static constexpr duration max_backoff{5'000};

  explicit storage_breaker(std::shared_ptr<std::atomic<int>> unhealthy =
                             std::make_shared<std::atomic<int>>(0))
    : unhealthy_(std::move(unhealthy)) {}

  /// Whether to skip the database for now.
  bool down(time_point now) const { return down_ && now < retry_at_; }
  bool is_down() const { return down_; }
  duration backoff() const { return backoff_; }

  /// Records the outcome of a call; returns true when this failure took the breaker down
  /// (the caller then schedules a probe after `backoff()`).
  bool record(const storage::error& err, time_point now) {
    if (!is_storage_failure(err.code)) {
      recovered();
      return false;
    }
    bool was_down = down_;
    if (!down_) {
      down_ = true;
      unhealthy_->fetch_add(1);
    } else {
      backoff_ = std::min(backoff_ * 2, max_backoff);
    }
    retry_at_ = now + backoff_;
    return !was_down;
  }

  void recovered() {
    if (!down_)
      return;
    down_ = false;
    backoff_ = first_backoff;
    unhealthy_->fetch_sub(1);
  }

  /// Failures of the database itself, as opposed to a refused write (conflict, not_found).
  static bool is_storage_failure(storage::errc code) {
    return code == storage::errc::unavailable || code == storage::errc::in_doubt;
  }

private:
  std::shared_ptr<std::atomic<int>> unhealthy_;
  bool down_ = false;
  duration backoff_ = first_backoff;
  time_point retry_at_;
};

}  // namespace parley::actors
