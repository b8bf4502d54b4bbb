#include "net/io_shard.hpp"

#include <boost/asio/post.hpp>

#include "net/ws_connection.hpp"

namespace parley::net {

void io_shard::schedule_flush(std::shared_ptr<ws_connection> c) {
  std::lock_guard lock{mu_};
  dirty_.push_back(std::move(c));
  if (!posted_) {
    posted_ = true;
    boost::asio::post(ioc_, [this] { flush_dirty(); });
  }
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
