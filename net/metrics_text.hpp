#pragma once

#include <cstdint>
#include <string>

#include "actors/metrics.hpp"

namespace parley::net {

/// Point-in-time values that are read, not counted (the writers' backlog).
struct metrics_extras {
  int64_t writer_backlog = 0;
  bool storage_healthy = true;
};

/// The metrics in the Prometheus text exposition format (version 0.0.4), for GET /metrics.
std::string render_metrics(const actors::metrics& m, const metrics_extras& extras);

}  // namespace parley::net
