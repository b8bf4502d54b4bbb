#pragma once

#include <chrono>
#include <cstdint>

namespace parley::net {

/// Wall-clock Unix time (token claims, `ts`, `server_time`).
inline int64_t unix_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

inline int64_t unix_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace parley::net
