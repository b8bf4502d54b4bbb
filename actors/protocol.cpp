#include "actors/protocol.hpp"

namespace parley::actors {

const char* to_string(error_code c) {
  switch (c) {
    case error_code::bad_request: return "bad_request";
    case error_code::unauthorized: return "unauthorized";
    case error_code::token_expired: return "token_expired";
    case error_code::forbidden: return "forbidden";
    case error_code::not_found: return "not_found";
    case error_code::too_large: return "too_large";
    case error_code::rate_limited: return "rate_limited";
    case error_code::unavailable: return "unavailable";
    case error_code::conflict: return "conflict";
    case error_code::internal: return "internal";
  }
  return "internal";
}

bool is_retryable(error_code c) {
  return c == error_code::rate_limited || c == error_code::unavailable;
}

}  // namespace parley::actors
