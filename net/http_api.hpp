#pragma once

#include <functional>
#include <string_view>

#include "net/http_session.hpp"
#include "net/server_context.hpp"

namespace parley::net {

/// Whether `path` belongs to the HTTP API of PROTOCOL §8 (client and server API).
bool is_api_path(std::string_view path);

/// Serves one request of the HTTP API. The client API (`Authorization: Bearer <jwt>`) and
/// the server API (`Authorization: ApiKey <key>`) run every request through a session actor
/// of its own, made for that one request: the same decoding, checks, per-user rate limit,
/// rooms and idempotency as a WebSocket request, so an HTTP send is a send like any other
/// (stored, acked after the commit, delivered live). `respond` is called exactly once, from
/// an actor thread.
void serve_api(const http_session::request& req, server_context& ctx,
               std::function<void(http_session::response)> respond);

}  // namespace parley::net
