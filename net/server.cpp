#include "net/server.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "net/http_session.hpp"

namespace parley::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

server::server(std::shared_ptr<server_context> ctx)
  : ctx_(std::move(ctx)), acceptor_(asio::make_strand(ioc_)) {}

server::~server() {
  stop();
}

std::string server::listen(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec)
    return "bad listen address '" + host + "': " + ec.message();
  tcp::endpoint ep{address, port};
  acceptor_.open(ep.protocol(), ec);
  if (!ec)
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(ep, ec);
  if (!ec)
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
  do_accept();
  return {};
}

tcp::endpoint server::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void server::do_accept() {
  // Each connection gets its own strand, so its handlers never run concurrently.
  acceptor_.async_accept(asio::make_strand(ioc_), [this](boost::system::error_code ec,
                                                         tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      return;
    if (!ec && !ctx_->stopping())
      std::make_shared<http_session>(std::move(socket), ctx_)->run();
    // Out of file descriptors or similar: keep accepting; the error is per connection.
    do_accept();
  });
}

void server::start(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i)
    threads_.emplace_back([this] { ioc_.run(); });
}

void server::close_connections(std::chrono::milliseconds grace) {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  ctx_->close_all();
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (ctx_->connection_count() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
}

void server::stop() {
  ioc_.stop();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
  ctx_->abort_all();
}

}  // namespace parley::net
