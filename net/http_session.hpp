#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

#include "net/io_shard.hpp"
#include "net/server_context.hpp"

namespace parley::net {

/// One HTTP/1.1 connection: reads requests (keep-alive), serves the operational and API
/// routes, and hands a valid WebSocket upgrade on `/ws` to a ws_connection, after checking
/// the subprotocol (400) and a header or query token (401).
class http_session : public std::enable_shared_from_this<http_session> {
public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;

  http_session(boost::asio::ip::tcp::socket socket, io_shard& shard,
               std::shared_ptr<server_context> ctx);

  void run();

private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void write(response res);
  void upgrade(request& req);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  io_shard& shard_;
  std::shared_ptr<server_context> ctx_;
};

}  // namespace parley::net
