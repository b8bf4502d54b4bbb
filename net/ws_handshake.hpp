#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actors/wire_event.hpp"

/// The pieces of the WebSocket upgrade (RFC 6455 §4.2, PROTOCOL §1-2) as plain functions
/// over header values, so they are tested without sockets.
namespace parley::net::handshake {

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

struct subprotocol {
  bool acceptable = true;
  actors::encoding enc = actors::encoding::json;
  std::string echo;  ///< The name to send back; "" when the client offered none.
};

/// Picks the first offered Parley subprotocol; none offered: JSON; offered but none of
/// ours: not acceptable (HTTP 400).
subprotocol choose_subprotocol(std::optional<std::string_view> offered);

/// "/ws?token=x" -> "/ws".
std::string_view path_of(std::string_view target);

/// The percent-decoded value of `name` in the target's query, if present.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

/// "Bearer <token>" -> token (scheme case-insensitive).
std::optional<std::string> bearer_token(std::string_view authorization);

}  // namespace parley::net::handshake
