#include "net/io_shard.hpp"

#include <boost/asio/post.hpp>

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
  boost::asio::post(ioc_, [this] { flush_dirty(); });
}

void io_shard::flush_dirty() {
  std::vector<std::shared_ptr<ws_connection>> batch;
  {
    std::lock_guard lock{mu_};
    batch.swap(dirty_);
    posted_ = false;
  }
  for (auto& c : batch)
    c->on_flush();
}

}  // namespace parley::net
