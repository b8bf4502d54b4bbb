#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "actors/token_bucket.hpp"

namespace parley::actors {

/// Token buckets per user, shared by all of a user's sessions (WebSocket connections and
/// HTTP requests), so nobody multiplies their rate by opening connections. Sessions run on
/// any scheduler thread, hence the lock; it is held for a map lookup and a few arithmetic
/// operations. Idle users' buckets (full again) are swept as the map grows, so its size
/// follows the number of recently active users.
class rate_limiter {
public:
  using time_point = token_bucket::time_point;

  rate_limiter(double per_s, double burst) : per_s_(per_s), burst_(burst) {}

  /// Takes a token for `user`: nullopt when allowed, else the milliseconds to wait.
  std::optional<int64_t> take(const std::string& user, time_point now) {
    std::lock_guard lock{mu_};
    auto [it, fresh] = buckets_.try_emplace(user, per_s_, burst_, now);
    if (fresh && buckets_.size() > sweep_at_)
      sweep(now);
    if (it->second.try_take(now))
      return std::nullopt;
    return it->second.wait_ms(now);
  }

  size_t users() const {
    std::lock_guard lock{mu_};
    return buckets_.size();
  }

private:
  void sweep(time_point now) {
    for (auto i = buckets_.begin(); i != buckets_.end();)
      i = i->second.full(now) ? buckets_.erase(i) : std::next(i);
    sweep_at_ = std::max<size_t>(1024, buckets_.size() * 2);
  }

  double per_s_;
  double burst_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, token_bucket> buckets_;
  size_t sweep_at_ = 1024;
};

}  // namespace parley::actors
