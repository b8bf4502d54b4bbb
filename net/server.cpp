#include "net/server.hpp"

#include <boost/asio/post.hpp>

#include "actors/thread_name.hpp"
#include "net/http_session.hpp"

namespace parley::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::vector<std::unique_ptr<io_shard>> make_shards(int n) {
  std::vector<std::unique_ptr<io_shard>> out;
  for (int i = 0; i < std::max(1, n); ++i)
    out.push_back(std::make_unique<io_shard>());
  return out;
}

}  // namespace

server::server(std::shared_ptr<server_context> ctx, int threads)
  : ctx_(std::move(ctx)), shards_(make_shards(threads)), acceptor_(shards_[0]->context()) {}

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
  // Deal connections to the shards in turn; a connection stays on its shard for life.
  auto& shard = *shards_[next_shard_++ % shards_.size()];
  acceptor_.async_accept(shard.context(), [this, &shard](boost::system::error_code ec,
                                                         tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      return;
    if (!ec && !ctx_->stopping())
      std::make_shared<http_session>(std::move(socket), shard, ctx_)->run();
    // Out of file descriptors or similar: keep accepting; the error is per connection.
    do_accept();
  });
}

void server::start() {
  auto& s = ctx_->settings();
  auto period = io_shard::tick_period(std::min(s.heartbeat_ms, s.auth_deadline_ms));
  for (auto& shard : shards_) {
    shard->start_ticks(period);
    shard->catch_up().set_capacity(static_cast<size_t>(s.catch_up_in_flight));
    threads_.emplace_back([&ctx = shard->context()] {
      actors::name_this_thread("parley.io");
      // Keep running while idle: handlers arrive from actor threads at any time.
      auto guard = asio::make_work_guard(ctx);
      ctx.run();
    });
  }
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
  for (auto& shard : shards_)
    shard->context().stop();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
  ctx_->abort_all();
}

}  // namespace parley::net
