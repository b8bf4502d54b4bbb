#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/io_shard.hpp"
#include "net/server_context.hpp"

namespace parley::net {

/// The HTTP + WebSocket server: one listening socket and `threads` I/O shards (an io_context
/// and its one thread each); accepted connections are dealt to the shards in turn.
/// Shutdown has an explicit shape: stop accepting, close every connection with 1001, wait
/// (bounded) for them to finish, then stop the threads.
class server {
public:
  server(std::shared_ptr<server_context> ctx, int threads);
  ~server();

  /// Binds and listens; "" on success, else why not.
  std::string listen(const std::string& host, uint16_t port);

  /// The bound address (the real port when asked for port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  /// Starts the I/O threads.
  void start();

  /// Stops accepting and closes all connections with 1001; returns once they are gone or
  /// `grace` has passed.
  void close_connections(std::chrono::milliseconds grace);

  /// Stops the I/O threads (after close_connections).
  void stop();

private:
  void do_accept();

  std::shared_ptr<server_context> ctx_;
  std::vector<std::unique_ptr<io_shard>> shards_;
  size_t next_shard_ = 0;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace parley::net
