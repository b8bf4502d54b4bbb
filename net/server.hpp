#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/server_context.hpp"

namespace parley::net {

/// The HTTP + WebSocket server: one listening socket, one io_context run by a few threads.
/// Shutdown has an explicit shape: stop accepting, close every connection with 1001, wait
/// (bounded) for them to finish, then stop the threads.
class server {
public:
  explicit server(std::shared_ptr<server_context> ctx);
  ~server();

  /// Binds and listens; "" on success, else why not.
  std::string listen(const std::string& host, uint16_t port);

  /// The bound address (the real port when asked for port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  /// Starts the I/O threads.
  void start(int threads);

  /// Stops accepting and closes all connections with 1001; returns once they are gone or
  /// `grace` has passed.
  void close_connections(std::chrono::milliseconds grace);

  /// Stops the I/O threads (after close_connections).
  void stop();

private:
  void do_accept();

  std::shared_ptr<server_context> ctx_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace parley::net
