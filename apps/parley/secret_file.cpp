#include "secret_file.hpp"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace parley::app {

std::string resolve_jwt_secret(const std::string& configured, const std::string& data_dir,
                               std::string& error) {
  if (!configured.empty())
    return configured;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  auto path = fs::path{data_dir} / "jwt-secret";
  if (std::ifstream in{path}; in) {
    std::string secret;
    std::getline(in, secret);
    if (secret.size() >= 32)
      return secret;
    error = path.string() + " holds no usable secret (at least 32 characters)";
    return {};
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    error = "no randomness for a new secret";
    return {};
  }
  std::ostringstream hex;
  for (auto b : raw)
    hex << "0123456789abcdef"[b >> 4] << "0123456789abcdef"[b & 15];
  auto secret = hex.str();
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    out << secret << '\n';
    if (!out) {
      error = "cannot write " + tmp.string();
      return {};
    }
  }
  ::chmod(tmp.c_str(), 0600);
  fs::rename(tmp, path, ec);
  if (ec) {
    error = "cannot create " + path.string() + ": " + ec.message();
    return {};
  }
  return secret;
}

}  // namespace parley::app
