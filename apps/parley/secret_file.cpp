#include "secret_file.hpp"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "net/jwt.hpp"

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

std::string read_public_key(const std::string& path, const std::string& alg,
                            std::string& error) {
  if (path.empty()) {
    error = "auth.jwt_alg " + alg +
            " needs auth.jwt_public_key_file (--jwt-public-key-file): the PEM public key "
            "that verifies the tokens";
    return {};
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "cannot read auth.jwt_public_key_file " + path + ": it is a directory";
    return {};
  }
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    error = "cannot read auth.jwt_public_key_file " + path + ": " + std::strerror(errno);
    return {};
  }
  std::string pem{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  if (in.bad()) {
    error = "cannot read auth.jwt_public_key_file " + path;
    return {};
  }
  if (pem.size() > 64 * 1024) {
    error = "auth.jwt_public_key_file " + path + " is too large for a public key";
    return {};
  }
  if (auto why = net::check_public_key(alg, pem); !why.empty()) {
    error = "auth.jwt_public_key_file " + path + " is not usable for " + alg + ": " + why;
    return {};
  }
  return pem;
}

}  // namespace parley::app
