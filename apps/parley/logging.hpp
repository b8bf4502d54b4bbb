#pragma once

#include <string>

namespace parley::app {

/// Logs go to stderr (asynchronously, so a slow terminal never stalls an actor); stdout is
/// kept for machine-readable lines such as "parley: listening on HOST:PORT".
void setup_logging(const std::string& level);
void stop_logging();

}  // namespace parley::app
