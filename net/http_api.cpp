#include "net/http_api.hpp"

#include <boost/json.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <optional>

#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "config/text.hpp"
#include "net/http_routes.hpp"
#include "net/json_schema.hpp"
#include "net/ws_handshake.hpp"

namespace parley::net {

namespace http = boost::beast::http;
namespace json = boost::json;
using actors::error_code;

namespace {

using respond_fn = std::function<void(http_session::response)>;

http::status status_of(error_code code) {
  switch (code) {
    case error_code::bad_request: return http::status::bad_request;
    case error_code::unauthorized:
    case error_code::token_expired: return http::status::unauthorized;
    case error_code::forbidden: return http::status::forbidden;
    case error_code::not_found: return http::status::not_found;
    case error_code::too_large: return http::status::payload_too_large;
    case error_code::rate_limited: return http::status::too_many_requests;
    case error_code::unavailable: return http::status::service_unavailable;
    case error_code::conflict: return http::status::conflict;
    case error_code::internal: return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

/// The HTTP form of a reply: the `ok`'s fields (without `t` and `id`) with 200, or the
/// error body of PROTOCOL §8 with a fitting status (and Retry-After for rate_limited).
http_session::response to_http(const actors::reply& r, unsigned version, bool keep_alive) {
  if (auto err = std::get_if<actors::error_info>(&r.body)) {
    auto res = error_response(status_of(err->code), version, keep_alive, to_string(err->code),
                              err->message);
    if (err->retry_after_ms >= 0)
      res.set(http::field::retry_after, std::to_string((err->retry_after_ms + 999) / 1000));
    return res;
  }
  auto v = schema::reply_to_json(r);
  json::object o;
  for (auto& kv : v.as_object())
    if (kv.key() != "t" && kv.key() != "id")
      o[kv.key()] = kv.value();
  http_session::response res{http::status::ok, version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = json::serialize(o);
  res.prepare_payload();
  return res;
}

/// The link of a session that serves one HTTP request: its one reply becomes the response;
/// events (the session never joins a room) and closes are ignored.
class http_link : public actors::client_link {
public:
  explicit http_link(std::function<void(actors::reply)> done) : done_(std::move(done)) {}

  void deliver(actors::event_ptr) override {}
  void close(actors::close_code, std::string) override {}
  void send_reply(actors::reply r) override {
    if (!answered_.exchange(true))
      done_(std::move(r));
  }

private:
  std::function<void(actors::reply)> done_;
  std::atomic<bool> answered_{false};
};

/// A request as the API sees it: who calls, and the request or the error to answer with.
struct call {
  std::string user;
  actors::broker::session_kind kind = actors::broker::session_kind::http_client;
  std::optional<actors::inbound> request;
  std::optional<actors::error_info> error;
};

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash);
  }
  return out;
}

/// Decodes `t` with the fields of the JSON body plus `extra` exactly like a WebSocket frame,
/// so both transports share one schema and one set of checks.
void decode_into(call& c, std::string_view t, std::string_view body, json::object extra) {
  json::object o;
  if (!body.empty()) {
    json::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) {
      c.error = actors::error_info{error_code::bad_request, "body must be a JSON object"};
      return;
    }
    o = std::move(v.get_object());
  }
  for (auto& kv : extra)
    o[kv.key()] = kv.value();
  o["t"] = t;
  o["id"] = 1;
  auto decoded = schema::request_from_json(o);
  if (auto err = std::get_if<decode_error>(&decoded))
    c.error = actors::error_info{error_code::bad_request, err->message};
  else
    c.request = std::get<actors::inbound>(std::move(decoded));
}

/// A query parameter as a JSON integer (absent: not added; not an integer: kept as text,
/// which the decoder refuses with bad_request).
void query_int(json::object& o, std::string_view target, const char* name) {
  auto v = handshake::query_param(target, name);
  if (!v)
    return;
  char* end = nullptr;
  auto n = std::strtoll(v->c_str(), &end, 10);
  if (!v->empty() && end && *end == '\0')
    o[name] = n;
  else
    o[name] = *v;
}

std::string decoded_segment(std::string_view s) {
  // Path segments carry room and user ids; the query-string decoder handles %XX.
  auto v = handshake::query_param("?x=" + std::string{s}, "x");
  return v ? *v : std::string{s};
}

call client_call(const http_session::request& req, server_context& ctx) {
  call c;
  auto auth = req.find(http::field::authorization);
  auto token = auth == req.end()
                 ? std::nullopt
                 : handshake::bearer_token({auth->value().data(), auth->value().size()});
  if (!token) {
    c.error = actors::error_info{error_code::unauthorized, "Authorization: Bearer <jwt>"};
    return c;
  }
  auto verified = ctx.verifier().verify(*token, unix_seconds());
  if (auto why = std::get_if<std::string>(&verified)) {
    actors::global_metrics().auth_failures.inc();
    c.error = actors::error_info{error_code::unauthorized, *why};
    return c;
  }
  c.user = std::get<token_claims>(verified).sub;
  auto target = std::string_view{req.target().data(), req.target().size()};
  auto parts = segments(handshake::path_of(target));  // api, rooms, ...
  auto method = req.method();
  auto& body = req.body();
  if (parts.size() < 2 || parts[1] != "rooms") {
    c.error = actors::error_info{error_code::not_found, "no such route"};
  } else if (parts.size() == 2 && method == http::verb::get) {
    json::object q;
    query_int(q, target, "limit");
    decode_into(c, "rooms", {}, std::move(q));
  } else if (parts.size() == 2 && method == http::verb::post) {
    decode_into(c, "create", body, {});
  } else if (parts.size() == 4 && parts[3] == "messages" && method == http::verb::get) {
    json::object q{{"room", decoded_segment(parts[2])}};
    for (auto name : {"before", "after", "limit"})
      query_int(q, target, name);
    decode_into(c, "history", {}, std::move(q));
  } else if (parts.size() == 4 && parts[3] == "messages" && method == http::verb::post) {
    decode_into(c, "send", body, {{"room", decoded_segment(parts[2])}});
  } else if (parts.size() == 4 && parts[3] == "read" && method == http::verb::post) {
    decode_into(c, "read", body, {{"room", decoded_segment(parts[2])}});
  } else {
    c.error = actors::error_info{error_code::not_found, "no such route"};
  }
  return c;
}

bool valid_api_key(const http_session::request& req, const server_context& ctx) {
  auto auth = req.find(http::field::authorization);
  if (auth == req.end())
    return false;
  std::string_view v{auth->value().data(), auth->value().size()};
  if (v.size() < 8 || (v.substr(0, 7) != "ApiKey " && v.substr(0, 7) != "apikey "))
    return false;
  auto key = v.substr(7);
  for (auto& k : ctx.settings().api_keys)
    if (!k.empty() && k == key)
      return true;
  return false;
}

call server_call(const http_session::request& req, server_context& ctx) {
  call c;
  c.kind = actors::broker::session_kind::server_api;
  c.user = "server";
  if (ctx.settings().api_keys.empty()) {
    c.error = actors::error_info{error_code::not_found, "the server API needs auth.api_keys"};
    return c;
  }
  if (!valid_api_key(req, ctx)) {
    c.error = actors::error_info{error_code::unauthorized, "Authorization: ApiKey <key>"};
    return c;
  }
  auto target = std::string_view{req.target().data(), req.target().size()};
  auto parts = segments(handshake::path_of(target));  // api, server, ...
  auto method = req.method();
  auto& body = req.body();
  // parts: api, server, then the route; "*" matches any one segment.
  auto is = [&](std::initializer_list<std::string_view> want) {
    if (parts.size() != want.size() + 2)
      return false;
    size_t i = 2;
    for (auto w : want) {
      if (w != "*" && parts[i] != w)
        return false;
      ++i;
    }
    return true;
  };
  if (is({"rooms"}) && method == http::verb::post) {
    decode_into(c, "create", body, {});
  } else if (is({"rooms", "*", "members", "*"}) &&
             (method == http::verb::put || method == http::verb::delete_)) {
    decode_into(c, method == http::verb::put ? "invite" : "remove", {},
                {{"room", decoded_segment(parts[3])}, {"user", decoded_segment(parts[5])}});
  } else if (is({"rooms", "*", "messages"}) && method == http::verb::post) {
    // Publish as any user (`from`), member or not.
    json::error_code ec;
    auto v = json::parse(body, ec);
    auto from = !ec && v.is_object() ? v.get_object().if_contains("from") : nullptr;
    if (!from || !from->is_string() || from->get_string().empty()) {
      c.error = actors::error_info{error_code::bad_request, "'from' must be a user id"};
      return c;
    }
    c.user = std::string{from->get_string()};
    decode_into(c, "send", body, {{"room", decoded_segment(parts[3])}});
  } else if (is({"presence"}) && method == http::verb::get) {
    auto users = handshake::query_param(target, "users").value_or("");
    json::array list;
    for (auto& u : config::split_list(users))
      list.emplace_back(u);
    decode_into(c, "presence", {}, {{"users", std::move(list)}});
  } else {
    c.error = actors::error_info{error_code::not_found, "no such route"};
  }
  return c;
}

/// POST /api/server/users/{user}/disconnect: the presence registry closes the user's
/// connections with 4003. A short-lived actor waits for its answer.
void disconnect(server_context& ctx, std::string user, std::function<void(int64_t)> done) {
  auto presence = ctx.broker().presence();
  ctx.broker().system().spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->request(presence, std::chrono::seconds{10}, actors::disconnect_atom::value, user)
      .then([=](int64_t n) { done(n); self->quit(); },
            [=](caf::error&) { done(-1); self->quit(); });
    return {[](actors::ping_atom) {}};  // stays until the answer came
  });
}

}  // namespace

bool is_api_path(std::string_view path) {
  return path.starts_with("/api/") && path != "/api/dev/token";
}

void serve_api(const http_session::request& req, server_context& ctx, respond_fn respond) {
  auto version = req.version();
  auto keep_alive = req.keep_alive();
  auto target = std::string_view{req.target().data(), req.target().size()};
  auto path = handshake::path_of(target);
  auto parts = segments(path);
  bool server = parts.size() >= 2 && parts[1] == "server";
  if (server && parts.size() == 5 && parts[2] == "users" && parts[4] == "disconnect" &&
      req.method() == http::verb::post) {
    if (!valid_api_key(req, ctx)) {
      respond(error_response(http::status::unauthorized, version, keep_alive, "unauthorized",
                             "Authorization: ApiKey <key>"));
      return;
    }
    disconnect(ctx, decoded_segment(parts[3]), [=](int64_t n) {
      if (n < 0)
        return respond(error_response(http::status::service_unavailable, version, keep_alive,
                                      "unavailable", "presence did not answer"));
      actors::reply r{{}, actors::ok_empty{}};
      auto res = to_http(r, version, keep_alive);
      res.body() = json::serialize(json::object{{"closed", n}});
      res.prepare_payload();
      respond(std::move(res));
    });
    return;
  }
  auto c = server ? server_call(req, ctx) : client_call(req, ctx);
  if (c.error) {
    respond(to_http(actors::reply{{}, *c.error}, version, keep_alive));
    return;
  }
  // One session for this one request; it stops once it has answered.
  auto session_slot = std::make_shared<caf::actor>();
  auto link = std::make_shared<http_link>([=](actors::reply r) {
    respond(to_http(r, version, keep_alive));
    if (*session_slot)
      caf::anon_send_exit(*session_slot, caf::exit_reason::user_shutdown);
  });
  *session_slot = ctx.broker().spawn_session(c.user, link, c.kind);
  caf::anon_send(*session_slot, std::move(*c.request));
}

}  // namespace parley::net
