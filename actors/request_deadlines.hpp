#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "actors/protocol.hpp"

namespace parley::actors {

/// The client requests a session has taken and not yet answered, each with its deadline.
///
/// Why not CAF's request timeouts: in CAF 0.17 every `request(dest, timeout, ...)` hands an
/// entry to the clock thread and every reply hands it a cancellation, each a condition
/// variable broadcast; on a loaded, pinned broker that was one clock-thread wake-up and one
/// preemption of the worker per message (100,000 context switches in 9 s of the durable
/// benchmark). Here the deadlines live in the session and one timer per busy session
/// checks them (`session_config::request_timeout` / 4 apart): a deadline is kept to within
/// a quarter of the timeout, which is what a client's retry needs.
///
/// All requests of a session share one timeout, so tickets are issued in deadline order and
/// the table is a queue: `open` appends, `expire` pops from the front, `close` marks in place
/// (answers may come in any order). Settled entries at the front are dropped as they reach
/// it, so the queue holds at most the requests of one timeout period.
template <class TimePoint>
class request_deadlines {
public:
  using ticket = uint64_t;

  /// Starts tracking the client request `id`, due by `deadline`; `lane`: it holds a
  /// catch-up slot (inbound::lane), handed back to `expire`'s callback.
  ticket open(request_id id, TimePoint deadline, bool lane = false) {
    entries_.push_back(entry{std::move(id), deadline, true, lane});
    ++open_;
    return first_ + (entries_.size() - head_) - 1;
  }

  /// The answer for `t` arrived: true if the request was still waiting for it, false if its
  /// deadline had passed already (the client got a timeout error and this answer is late).
  bool close(ticket t) {
    if (t < first_ || t - first_ >= entries_.size() - head_)
      return false;
    auto& e = entries_[head_ + (t - first_)];
    if (!e.waiting)
      return false;
    e.waiting = false;
    --open_;
    drop_settled_front();
    return true;
  }

  /// True while `t` waits for its answer (neither answered nor expired).
  bool waiting(ticket t) const {
    return t >= first_ && t - first_ < entries_.size() - head_
           && entries_[head_ + (t - first_)].waiting;
  }

  /// Calls `on_expired(id, lane)` for every waiting request whose deadline is at or before
  /// `now`, oldest first, and stops tracking it.
  template <class F>
  void expire(TimePoint now, F on_expired) {
    while (head_ < entries_.size() && entries_[head_].deadline <= now) {
      auto& e = entries_[head_];
      if (e.waiting) {
        e.waiting = false;
        --open_;
        on_expired(e.id, e.lane);
      }
      ++head_;
      ++first_;
    }
    compact();
  }

  /// Requests still waiting for an answer.
  size_t waiting() const { return open_; }

private:
  struct entry {
    request_id id;
    TimePoint deadline;
    bool waiting;
    bool lane;
  };

  void drop_settled_front() {
    while (head_ < entries_.size() && !entries_[head_].waiting) {
      ++head_;
      ++first_;
    }
    compact();
  }

  /// Gives the vector's front back: all of it when empty (an idle session holds nothing),
  /// else once the dropped part is the larger half (amortised O(1) per entry).
  void compact() {
    if (head_ == entries_.size()) {
      std::vector<entry>{}.swap(entries_);  // an idle session holds no memory for this
      head_ = 0;
    } else if (head_ > 32 && head_ * 2 > entries_.size()) {
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  std::vector<entry> entries_;  ///< From `head_` on: tickets first_, first_ + 1, ...
  uint32_t head_ = 0;  ///< Index of ticket `first_` in entries_.
  uint32_t open_ = 0;  ///< (32 bits: a session's requests of one timeout period.)
  ticket first_ = 0;
};

}  // namespace parley::actors
