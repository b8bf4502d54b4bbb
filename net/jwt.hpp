#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace parley::net {

struct jwt_config {
  std::string alg = "HS256";  ///< The only algorithm accepted (never taken from the token).
  std::string secret;
  bool require_exp = true;
  std::string audience;  ///< Checked when non-empty.
  std::string issuer;    ///< Checked when non-empty.
  int64_t skew_s = 30;
};

struct token_claims {
  std::string sub;
  std::string name;
  int64_t exp = 0;  ///< 0: none.
};

/// Verifies client tokens (PROTOCOL §2) with libjwt: signature with the configured
/// algorithm and key only (alg:none and algorithm confusion are refused before libjwt sees
/// the token, and checked again after), then the claims: sub 1-128 bytes, exp/nbf with the
/// clock-skew tolerance, aud/iss when configured.
class jwt_verifier {
public:
  explicit jwt_verifier(jwt_config cfg) : cfg_(std::move(cfg)) {}

  /// The claims, or why the token is refused.
  std::variant<token_claims, std::string> verify(std::string_view token, int64_t now_s) const;

  const jwt_config& config() const { return cfg_; }

private:
  jwt_config cfg_;
};

/// Mints a token with the configured algorithm and secret (`parley token`, dev tokens).
std::string mint_token(const jwt_config& cfg, std::string_view sub, std::string_view name,
                       int64_t now_s, int64_t ttl_s);

}  // namespace parley::net
