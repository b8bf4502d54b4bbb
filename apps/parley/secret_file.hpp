#pragma once

#include <string>

namespace parley::app {

/// The JWT secret to use: the configured one, or the one kept in `data_dir/jwt-secret`,
/// created (random, 256 bits, mode 0600) on first use, so a plain `parley serve` works and
/// its tokens survive restarts. Sets `error` and returns "" on failure.
std::string resolve_jwt_secret(const std::string& configured, const std::string& data_dir,
                               std::string& error);

/// The text of the PEM public key file for RS256/ES256 (auth.jwt_public_key_file), checked
/// to be a key for `alg`. Sets `error` (naming the file and the problem) and returns "" when
/// the path is empty, the file is missing or unreadable, or the key does not fit `alg`.
std::string read_public_key(const std::string& path, const std::string& alg,
                            std::string& error);

}  // namespace parley::app
