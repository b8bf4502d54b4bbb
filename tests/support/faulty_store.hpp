#pragma once

#include <atomic>
#include <memory>

#include "storage/store.hpp"

namespace parley::test {

/// What the next writes of a faulty_store do: fail without writing, or write and then
/// claim failure (a commit whose outcome the caller cannot know).
struct fault_plan {
  std::atomic<bool> down{false};  ///< Every call fails with unavailable, as if unreachable.
  std::atomic<int> fail_writes{0};
  std::atomic<int> doubtful_writes{0};
  std::atomic<int> writes{0};  ///< write() calls seen (group commits).
  std::atomic<int> pings{0};
};

/// A store that forwards to a real one, except for the faults its plan injects.
class faulty_store : public storage::store {
public:
  faulty_store(std::unique_ptr<storage::store> inner, std::shared_ptr<fault_plan> plan)
    : inner_(std::move(inner)), plan_(std::move(plan)) {}

  storage::status migrate() override { return inner_->migrate(); }
  storage::result<int> schema_version() override { return inner_->schema_version(); }
  storage::status ping() override {
    ++plan_->pings;
    return plan_->down ? unreachable() : inner_->ping();
  }
  storage::status create_room(const storage::room_record& r) override {
    return inner_->create_room(r);
  }
  storage::result<std::optional<storage::room_record>> load_room(std::string_view r) override {
    if (plan_->down)
      return unreachable();
    return inner_->load_room(r);
  }
  storage::result<std::vector<storage::event>> events_after(std::string_view r, int64_t a,
                                                            int64_t l) override {
    return inner_->events_after(r, a, l);
  }
  storage::result<std::vector<storage::event>> recent_events(std::string_view r,
                                                             int64_t l) override {
    return inner_->recent_events(r, l);
  }
  storage::result<storage::history_page> history(const storage::history_query& q) override {
    return inner_->history(q);
  }
  storage::result<std::optional<storage::event>> find_message(std::string_view r,
                                                              std::string_view s,
                                                              std::string_view c) override {
    return inner_->find_message(r, s, c);
  }

  storage::result<std::vector<storage::room_summary>> rooms_of(std::string_view u,
                                                              int64_t limit) override {
    if (plan_->down)
      return unreachable();
    return inner_->rooms_of(u, limit);
  }
  storage::result<std::vector<storage::room_summary>>
  room_summaries(std::string_view room, std::span<const std::string> users) override {
    if (plan_->down)
      return unreachable();
    return inner_->room_summaries(room, users);
  }
  storage::status set_last_seen(std::span<const storage::user_seen> seen) override {
    if (plan_->down)
      return unreachable();
    return inner_->set_last_seen(seen);
  }
  storage::result<std::vector<storage::user_seen>>
  last_seen(std::span<const std::string> users) override {
    if (plan_->down)
      return unreachable();
    return inner_->last_seen(users);
  }

  std::vector<storage::room_write_outcome>
  write(std::span<const storage::room_writes> batch) override {
    ++plan_->writes;
    auto all = [&](storage::errc code) {
      return std::vector<storage::room_write_outcome>(batch.size(),
                                                      storage::room_write_outcome{code, "injected", {}});
    };
    if (plan_->down)
      return all(storage::errc::unavailable);
    if (plan_->fail_writes > 0) {
      --plan_->fail_writes;
      return all(storage::errc::unavailable);
    }
    if (plan_->doubtful_writes > 0) {
      --plan_->doubtful_writes;
      inner_->write(batch);
      return all(storage::errc::in_doubt);
    }
    return inner_->write(batch);
  }

private:
  static storage::error unreachable() { return {storage::errc::unavailable, "injected outage"}; }

  std::unique_ptr<storage::store> inner_;
  std::shared_ptr<fault_plan> plan_;
};

}  // namespace parley::test
