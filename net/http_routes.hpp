#pragma once

#include <string>

#include "net/http_session.hpp"
#include "net/server_context.hpp"

namespace parley::net {

/// Answers a plain (non-upgrade) HTTP request: /healthz, /readyz, POST /api/dev/token;
/// everything else 404 (PROTOCOL §8's error shape).
http_session::response route(const http_session::request& req, server_context& ctx);

/// {"error":{"code":…,"message":…}} with `status`.
http_session::response error_response(boost::beast::http::status status, unsigned version,
                                      bool keep_alive, const std::string& code,
                                      const std::string& message);

}  // namespace parley::net
