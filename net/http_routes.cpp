#include "net/http_routes.hpp"

#include <boost/json.hpp>

#include <optional>

#include "actors/validation.hpp"
#include "net/metrics_text.hpp"
#include "net/ws_handshake.hpp"

namespace parley::net {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr int64_t dev_token_ttl_s = 24 * 3600;

http_session::response json_response(http::status status, const http_session::request& req,
                                     const json::value& body) {
  http_session::response res{status, req.version()};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = json::serialize(body);
  res.prepare_payload();
  return res;
}

http_session::response not_found(const http_session::request& req) {
  return error_response(http::status::not_found, req.version(), req.keep_alive(), "not_found",
                        "no such route");
}

http_session::response dev_token(const http_session::request& req, server_context& ctx) {
  if (!ctx.dev_tokens())
    return error_response(http::status::not_found, req.version(), req.keep_alive(), "not_found",
                          "dev tokens are disabled (auth.dev_tokens)");
  const auto& alg = ctx.verifier().config().alg;
  if (!alg_uses_secret(alg))
    return error_response(http::status::not_found, req.version(), req.keep_alive(), "not_found",
                          "dev tokens need auth.jwt_alg HS256: with " + alg +
                            " the broker has only the public key and cannot sign tokens");
  auto bad = [&](const char* message) {
    return error_response(http::status::bad_request, req.version(), req.keep_alive(),
                          "bad_request", message);
  };
  json::error_code ec;
  auto body = json::parse(req.body(), ec);
  if (ec || !body.is_object())
    return bad("body must be a JSON object {user, name?}");
  auto& o = body.get_object();
  auto user = o.if_contains("user");
  if (!user || !user->is_string() || !actors::valid_user_id(user->get_string()))
    return bad("'user' must be a string of 1-128 bytes");
  std::string name;
  if (auto n = o.if_contains("name"); n && n->is_string())
    name = std::string{n->get_string()};
  auto token = mint_token(ctx.verifier().config(), user->get_string(), name, unix_seconds(),
                          dev_token_ttl_s);
  return json_response(http::status::ok, req, json::object{{"token", token}});
}

// GET/HEAD of a static file (the demo page), with ETag revalidation: browsers re-check on
// every load (no-cache) and get 304 when nothing changed.
std::optional<http_session::response> static_file(const http_session::request& req,
                                                  std::string_view path, server_context& ctx) {
  auto method = req.method();
  if (!ctx.site() || (method != http::verb::get && method != http::verb::head))
    return std::nullopt;
  auto* f = ctx.site()->find(path);
  if (!f)
    return std::nullopt;
  bool fresh = req[http::field::if_none_match] == f->etag;
  http_session::response res{fresh ? http::status::not_modified : http::status::ok,
                             req.version()};
  res.set(http::field::content_type, f->content_type);
  res.set(http::field::etag, f->etag);
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "same-origin");
  res.keep_alive(req.keep_alive());
  if (!fresh && method == http::verb::get)
    res.body() = f->body;
  res.prepare_payload();
  if (method == http::verb::head)
    res.content_length(f->body.size());
  return res;
}

}  // namespace

http_session::response error_response(http::status status, unsigned version, bool keep_alive,
                                      const std::string& code, const std::string& message) {
  http_session::response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  json::object err{{"code", code}, {"message", message}};
  res.body() = json::serialize(json::object{{"error", std::move(err)}});
  res.prepare_payload();
  return res;
}

http_session::response route(const http_session::request& req, server_context& ctx) {
  auto path = handshake::path_of(req.target());
  auto method = req.method();
  if (path == "/healthz" && method == http::verb::get)
    return json_response(http::status::ok, req, json::object{{"status", "ok"}});
  if (path == "/readyz" && method == http::verb::get) {
    bool ready = ctx.ready();
    return json_response(ready ? http::status::ok : http::status::service_unavailable, req,
                         json::object{{"status", ready ? "ready" : "unavailable"}});
  }
  if (path == "/metrics" && method == http::verb::get) {
    auto& b = ctx.broker();
    http_session::response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    res.keep_alive(req.keep_alive());
    res.body() = render_metrics(actors::global_metrics(),
                                {b.writer_backlog(), b.storage_healthy()});
    res.prepare_payload();
    return res;
  }
  if (path == "/api/dev/token") {
    if (method != http::verb::post)
      return error_response(http::status::method_not_allowed, req.version(), req.keep_alive(),
                            "bad_request", "use POST");
    return dev_token(req, ctx);
  }
  if (path == "/ws")
    return error_response(http::status::bad_request, req.version(), req.keep_alive(),
                          "bad_request", "WebSocket upgrade expected");
  if (auto res = static_file(req, path, ctx))
    return std::move(*res);
  return not_found(req);
}

}  // namespace parley::net
