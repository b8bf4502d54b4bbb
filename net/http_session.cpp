#include "net/http_session.hpp"

#include <sstream>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/empty_body.hpp>

#include "actors/metrics.hpp"
#include "net/http_api.hpp"
#include "net/http_routes.hpp"
#include "net/ws_connection.hpp"
#include "net/ws_handshake.hpp"

namespace parley::net {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

namespace {

constexpr size_t max_header_bytes = 8 * 1024;
constexpr size_t max_body_bytes = 64 * 1024;
constexpr auto read_timeout = 30s;

std::optional<std::string_view> header(const http_session::request& req, http::field f) {
  auto i = req.find(f);
  if (i == req.end())
    return std::nullopt;
  return std::string_view{i->value().data(), i->value().size()};
}

bool header_has_token(const http_session::request& req, http::field f, std::string_view token) {
  auto v = header(req, f);
  if (!v)
    return false;
  std::string lower{*v};
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(token) != std::string::npos;
}

/// The peer's address as text ("" when the socket is gone); an IPv4 client of an IPv6
/// listener counts as its IPv4 address.
std::string peer_ip(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec)
    return {};
  auto address = ep.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  return address.to_string();
}

}  // namespace

http_session::http_session(boost::asio::ip::tcp::socket socket, io_shard& shard,
                           std::shared_ptr<server_context> ctx)
  : stream_(std::move(socket)), shard_(shard), ctx_(std::move(ctx)) {}

void http_session::run() {
  do_read();
}

void http_session::do_read() {
  parser_.emplace();
  parser_->header_limit(max_header_bytes);
  parser_->body_limit(max_body_bytes);
  stream_.expires_after(read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                     self->on_read(ec, n);
                   });
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == boost::asio::error::operation_aborted) {
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec) {
    // Malformed or oversized request: say so once, then close.
    auto status = ec == http::error::body_limit ? http::status::payload_too_large
                                                : http::status::bad_request;
    auto res = error_response(status, 11, false, "bad_request", ec.message());
    write(std::move(res));
    return;
  }
  auto req = parser_->release();
  auto path = handshake::path_of(req.target());
  if (path == "/ws" && req.method() == http::verb::get &&
      header_has_token(req, http::field::upgrade, "websocket")) {
    upgrade(req);
    return;
  }
  // Browser-facing API routes (the client API and dev tokens; not the server API, which
  // backends call) obey the Origin allow-list like the WebSocket upgrade.
  if (path.starts_with("/api/") && !path.starts_with("/api/server/")) {
    if (auto origin = header(req, http::field::origin); !ctx_->origin_allowed(origin)) {
      write(error_response(http::status::forbidden, req.version(), req.keep_alive(),
                           "forbidden",
                           "origin '" + std::string{*origin} +
                             "' is not allowed (http.allowed_origins)"));
      return;
    }
  }
  if (is_api_path(path)) {
    // Answered from an actor thread; written on this connection's thread.
    auto self = shared_from_this();
    serve_api(req, *ctx_, [self](response res) {
      boost::asio::post(self->stream_.get_executor(),
                        [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    });
    return;
  }
  write(route(req, *ctx_));
}

void http_session::write(response res) {
  auto sp = std::make_shared<response>(std::move(res));
  http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, size_t) {
    if (ec || sp->need_eof()) {
      self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
      return;
    }
    self->do_read();
  });
}

void http_session::upgrade(request& req) {
  auto fail = [&](http::status status, const char* code, const std::string& message) {
    write(error_response(status, req.version(), false, code, message));
  };
  if (ctx_->stopping())
    return fail(http::status::service_unavailable, "unavailable", "server shutting down");
  auto key = header(req, http::field::sec_websocket_key);
  auto version = header(req, http::field::sec_websocket_version);
  if (!key || key->empty() || !version || *version != "13")
    return fail(http::status::bad_request, "bad_request",
                "needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13");
  // Browsers always send Origin; other clients need not, and are let through.
  if (auto origin = header(req, http::field::origin); !ctx_->origin_allowed(origin))
    return fail(http::status::forbidden, "forbidden",
                "origin '" + std::string{*origin} + "' is not allowed (http.allowed_origins)");
  auto proto = handshake::choose_subprotocol(header(req, http::field::sec_websocket_protocol));
  if (!proto.acceptable)
    return fail(http::status::bad_request, "bad_request",
                "offer parley.v1.json or parley.v1.msgpack");

  // Counted from here until the connection ends (the slot goes with it); checked before
  // the token, so an address over its limit costs no signature check.
  auto ip = peer_ip(stream_.socket());
  if (ip.empty())
    return;  // the peer is gone already
  auto ip_slot = ctx_->acquire_ip(ip);
  if (!ip_slot) {
    actors::global_metrics().connections_refused.inc();
    return fail(http::status::too_many_requests, "rate_limited",
                "too many connections from " + ip + " (limits.connections_per_ip)");
  }

  // A token on the upgrade authenticates now; a bad one is refused before the upgrade.
  std::optional<std::string> token;
  if (auto auth = header(req, http::field::authorization))
    token = handshake::bearer_token(*auth);
  if (!token)
    token = handshake::query_param(req.target(), "token");
  std::optional<token_claims> claims;
  connection_slot user_slot;
  if (token) {
    auto result = ctx_->verifier().verify(*token, unix_seconds());
    if (auto why = std::get_if<std::string>(&result)) {
      actors::global_metrics().auth_failures.inc();
      return fail(http::status::unauthorized, "unauthorized", *why);
    }
    claims = std::get<token_claims>(result);
    user_slot = ctx_->acquire_user(claims->sub);
    if (!user_slot) {
      actors::global_metrics().connections_refused.inc();
      return fail(http::status::too_many_requests, "rate_limited",
                  "too many connections for user '" + claims->sub +
                    "' (limits.connections_per_user)");
    }
  }

  http::response<http::empty_body> res{http::status::switching_protocols, req.version()};
  res.set(http::field::upgrade, "websocket");
  res.set(http::field::connection, "Upgrade");
  res.set(http::field::sec_websocket_accept, handshake::accept_key(*key));
  if (!proto.echo.empty())
    res.set(http::field::sec_websocket_protocol, proto.echo);
  stream_.expires_never();
  // Not written here: the connection writes it together with its first frames.
  std::ostringstream response;
  response << res;
  // Bytes the client sent right after its request belong to the WebSocket.
  auto leftover = beast::buffers_to_string(buffer_.data());
  auto conn = std::make_shared<ws_connection>(stream_.release_socket(), shard_, ctx_, proto.enc,
                                              std::move(ip_slot));
  conn->start(std::move(response).str(), claims, std::move(user_slot), std::move(leftover));
}

}  // namespace parley::net
