#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <utility>

namespace parley::net {

/// A bound on the catch-up requests (`join`, `history`, `rooms`: what a client sends right
/// after it connects) that one I/O shard's connections have in the actor system at once.
///
/// Why: CAF 0.17 runs actors from one job queue, in the order they got work, with no
/// priorities. In a reconnect storm (a deploy, a network blip) thousands of new
/// connections each queue a room lookup, a join and a replay there, ahead of the live
/// sessions' sends, with no bound but each connection's own request limit. With the lane,
/// at most `capacity` catch-up requests per shard are queued; the others wait at their
/// connection, which stops reading meanwhile (its requests keep their order), and take a
/// slot as one comes back, first come first served. Live requests (send, typing, read, …)
/// never wait here. The storm is served at the pace the actor threads take it, no slower:
/// the lane is full only while they are busy. Measured (docs/benchmarks.md): 18,000 joins
/// replaying 100 messages each beside live traffic cost its p99 little with the lane or
/// without (1–3 ms apart, inside the noise), since a replay's work is mostly the I/O
/// thread's; the lane is the bound, not a speed-up.
///
/// One shard's thread only: each connection takes and returns its slots on its own shard.
class catch_up_lane {
public:
  /// Called with a slot handed over to a waiting connection: true if it takes the slot,
  /// false if it no longer wants it (closed meanwhile), and the slot goes to the next.
  using waiter = std::function<bool()>;

  /// `capacity` 0: no bound (every request takes a slot at once).
  explicit catch_up_lane(size_t capacity = 0) : capacity_(capacity) {}

  /// Before the shard's thread runs.
  void set_capacity(size_t capacity) { capacity_ = capacity; }

  /// Takes a slot if one is free and nobody waits for one (waiters are served in order).
  bool try_take() {
    if (capacity_ != 0 && (in_use_ >= capacity_ || !waiters_.empty()))
      return false;
    ++in_use_;
    return true;
  }

  /// Queues `w` for the next slot (after `try_take` failed).
  void wait(waiter w) { waiters_.push_back(std::move(w)); }

  /// A slot comes back: it goes to the first waiter that takes it, or becomes free.
  void give_back() {
    while (!waiters_.empty()) {
      auto w = std::move(waiters_.front());
      waiters_.pop_front();
      if (w())
        return;
    }
    if (in_use_ > 0)
      --in_use_;
  }

  size_t in_use() const { return in_use_; }
  size_t waiting() const { return waiters_.size(); }
  size_t capacity() const { return capacity_; }

private:
  size_t capacity_;
  size_t in_use_ = 0;
  std::deque<waiter> waiters_;
};

}  // namespace parley::net
