#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "actors/client_link.hpp"

namespace parley::test {

/// A client_link that records what actors push at it, in order.
class recording_link : public actors::client_link {
public:
  using item = std::variant<actors::event_ptr, actors::reply>;

  void deliver(actors::event_ptr ev) override {
    std::lock_guard lock{mu_};
    items_.push_back(std::move(ev));
    delivery_calls_.push_back(1);
  }
  void deliver_all(std::span<const actors::event_ptr> evs) override {
    std::lock_guard lock{mu_};
    items_.insert(items_.end(), evs.begin(), evs.end());
    delivery_calls_.push_back(evs.size());
  }
  void send_reply(actors::reply r) override {
    std::lock_guard lock{mu_};
    items_.push_back(std::move(r));
  }
  void close(actors::close_code code, std::string) override {
    std::lock_guard lock{mu_};
    closed_ = code;
  }
  /// As a connection with a tick would, if `has_tick`: the test sends the sweeps.
  bool tick_sweeps(bool on) override {
    if (!has_tick)
      return false;
    sweeps_wanted = on;
    return true;
  }

  void lane_done() override { ++lane_done_calls; }

  bool has_tick = false;
  std::atomic<bool> sweeps_wanted{false};
  std::atomic<int> lane_done_calls{0};

  std::vector<item> items() {
    std::lock_guard lock{mu_};
    return items_;
  }
  std::optional<actors::close_code> closed() {
    std::lock_guard lock{mu_};
    return closed_;
  }
  void clear() {
    std::lock_guard lock{mu_};
    items_.clear();
    delivery_calls_.clear();
  }
  /// How many events each deliver / deliver_all call brought, in order.
  std::vector<size_t> delivery_calls() {
    std::lock_guard lock{mu_};
    return delivery_calls_;
  }

  /// The seqs of the persistent events received, in order.
  std::vector<int64_t> seqs() {
    std::vector<int64_t> out;
    for (auto& i : items())
      if (auto ev = std::get_if<actors::event_ptr>(&i); ev && (*ev)->seq() > 0)
        out.push_back((*ev)->seq());
    return out;
  }

  /// A compact transcript: "e3" for event seq 3, "t:bob" for typing, "r:bob" for read,
  /// "ok" / "error:code" / "other" for replies.
  std::vector<std::string> transcript() {
    std::vector<std::string> out;
    for (auto& i : items()) {
      if (auto ev = std::get_if<actors::event_ptr>(&i)) {
        auto& p = (*ev)->payload();
        if (auto e = std::get_if<storage::event>(&p))
          out.push_back("e" + std::to_string(e->seq));
        else if (auto t = std::get_if<actors::typing_event>(&p))
          out.push_back("t:" + t->user);
        else if (auto r = std::get_if<actors::read_event>(&p))
          out.push_back("r:" + r->user);
        continue;
      }
      auto& r = std::get<actors::reply>(i);
      if (auto err = std::get_if<actors::error_info>(&r.body))
        out.push_back(std::string{"error:"} + actors::to_string(err->code));
      else if (std::holds_alternative<actors::ok_join>(r.body))
        out.push_back("ok_join");
      else
        out.push_back("ok");
    }
    return out;
  }

private:
  std::mutex mu_;
  std::vector<item> items_;
  std::vector<size_t> delivery_calls_;
  std::optional<actors::close_code> closed_;
};

}  // namespace parley::test
