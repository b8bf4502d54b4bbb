#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace parley::net {

class ws_connection;

/// One I/O thread's world: an io_context run by exactly one thread, and the connections that
/// live on it. A connection never moves, so its handlers never run concurrently and need no
/// strand.
///
/// Fan-out batching: when a room event reaches N idle connections of this shard, they do not
/// each post a handler (N wake-ups, N allocations, a reactor poll between each); the first
/// one posts a single `flush_dirty`, and the others only join the dirty list. One handler
/// then writes to all of them.
class io_shard {
public:
  io_shard() : ioc_(1) {}

  boost::asio::io_context& context() { return ioc_; }

  /// Asks for `c->on_flush()` on this shard's thread soon. Any thread.
  void schedule_flush(std::shared_ptr<ws_connection> c);

private:
  void wake();
  void flush_dirty();

  boost::asio::io_context ioc_;
  std::mutex mu_;
  std::vector<std::shared_ptr<ws_connection>> dirty_;
  bool posted_ = false;
};

}  // namespace parley::net
