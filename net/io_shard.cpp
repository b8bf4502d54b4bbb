#include "net/io_shard.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "actors/delivery_batch.hpp"
#include "net/ws_connection.hpp"

namespace parley::net {

void io_shard::schedule_flush(std::shared_ptr<ws_connection> c) {
  bool wake_now = false;
  {
    std::lock_guard lock{mu_};
    dirty_.push_back(std::move(c));
    wake_now = !posted_;
    posted_ = true;
  }
  // In a broadcast, wake this shard once when the broadcast is done (delivery_batch).
  if (wake_now && !actors::delivery_batch::defer_wake(this, [](void* shard) {
        static_cast<io_shard*>(shard)->wake();
      }))
    wake();
}

void io_shard::wake() {
  boost::asio::post(ioc_, [this] { start_pass(); });
}

void io_shard::start_pass() {
  // posted_ stays true while the pass waits: connections that turn dirty meanwhile join
  // the list and are written by this same pass.
  if (std::chrono::steady_clock::now() >= next_pass_) {
    flush_dirty();
    return;
  }
  flush_timer_.expires_at(next_pass_);
  flush_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec)
      flush_dirty();
  });
}

void io_shard::flush_dirty() {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<ws_connection>> batch;
  {
    std::lock_guard lock{mu_};
    batch.swap(dirty_);
    posted_ = false;
  }
  for (auto& c : batch)
    c->on_flush();
  next_pass_ = next_pass_after(start, std::chrono::steady_clock::now());
}

std::chrono::milliseconds io_shard::tick_period(int64_t shortest_deadline_ms) {
  return std::chrono::milliseconds{std::clamp<int64_t>(shortest_deadline_ms / 4, 10, 1000)};
}

void io_shard::start_ticks(std::chrono::milliseconds period) {
  tick_period_ = period;
  tick_slices_ = tick_slices(period);
  tick_step_ = std::chrono::steady_clock::duration{period} / tick_slices_;
  arm_tick();
}

void io_shard::arm_tick() {
  // A shard without connections wakes once a period, not once a step.
  if (ticking_.empty())
    tick_timer_.expires_after(tick_period_);
  else
    tick_timer_.expires_after(tick_step_);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec)
      return;  // the shard is stopping
    tick();
    arm_tick();
  });
}

void io_shard::tick() {
  auto now = std::chrono::steady_clock::now();
  if (tick_cursor_ >= ticking_.size())
    tick_cursor_ = 0;  // a new round
  // The slice is sized from the list as it is now, so a round over a list that grows or
  // shrinks meanwhile still takes about `tick_slices_` steps: each entry once per period.
  auto slice = (ticking_.size() + static_cast<size_t>(tick_slices_) - 1)
               / static_cast<size_t>(tick_slices_);
  for (size_t n = 0; n < slice && tick_cursor_ < ticking_.size(); ++n) {
    auto* t = ticking_[tick_cursor_];
    t->on_tick(now);
    // An entry that detached itself was replaced by the last one, not visited yet this
    // round: the cursor stays to visit it.
    if (tick_cursor_ < ticking_.size() && ticking_[tick_cursor_] == t)
      ++tick_cursor_;
  }
}

void io_shard::defer(std::function<void()> job) {
  deferred_.push_back(std::move(job));
  if (!deferred_posted_) {
    deferred_posted_ = true;
    boost::asio::post(ioc_, [this] { run_deferred(); });
  }
}

void io_shard::run_deferred() {
  auto end = std::min(deferred_.size(), deferred_next_ + deferred_per_turn);
  while (deferred_next_ < end) {
    auto job = std::move(deferred_[deferred_next_++]);
    job();  // may defer more: they go to the end of deferred_
  }
  if (deferred_next_ < deferred_.size()) {
    // Behind whatever became ready meanwhile (the reactor's events are queued by now).
    boost::asio::post(ioc_, [this] { run_deferred(); });
    return;
  }
  std::vector<std::function<void()>>{}.swap(deferred_);  // a storm's list is not kept
  deferred_next_ = 0;
  deferred_posted_ = false;
}

void io_shard::attach(ticking* t) {
  if (t->tick_slot_ != ticking::detached)
    return;
  t->tick_slot_ = static_cast<uint32_t>(ticking_.size());
  ticking_.push_back(t);
}

void io_shard::detach(ticking* t) {
  auto i = t->tick_slot_;
  if (i == ticking::detached)
    return;
  ticking_[i] = ticking_.back();
  ticking_[i]->tick_slot_ = i;
  ticking_.pop_back();
  t->tick_slot_ = ticking::detached;
}

}  // namespace parley::net
