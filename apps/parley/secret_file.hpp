#pragma once

#include <string>

namespace parley::app {

/// The JWT secret to use: the configured one, or the one kept in `data_dir/jwt-secret`,
/// created (random, 256 bits, mode 0600) on first use, so a plain `parley serve` works and
/// its tokens survive restarts. Sets `error` and returns "" on failure.
std::string resolve_jwt_secret(const std::string& configured, const std::string& data_dir,
                               std::string& error);

}  // namespace parley::app
