#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace parley::net {

struct jwt_config {
  std::string alg = "HS256";  ///< HS256, RS256 or ES256: the only one accepted (never taken
                              ///< from the token).
  std::string secret;         ///< HS256: the shared secret.
  std::string public_key;     ///< RS256/ES256: the PEM public key (see check_public_key).
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

/// Whether tokens of `alg` are signed with the shared secret, so the broker can mint them
/// (HS256); RS256/ES256 are signed with a private key the broker never has.
bool alg_uses_secret(std::string_view alg);

/// "" when `pem` is a public key libjwt can verify `alg` tokens with ("-----BEGIN PUBLIC
/// KEY-----": RSA of at least 2048 bits for RS256 (RFC 7518 3.3), EC P-256 for ES256),
/// else why not.
std::string check_public_key(std::string_view alg, std::string_view pem);

/// Mints a token with the configured algorithm and secret (`parley token`, dev tokens).
/// HS256 only (check alg_uses_secret first): "" for any other algorithm.
std::string mint_token(const jwt_config& cfg, std::string_view sub, std::string_view name,
                       int64_t now_s, int64_t ttl_s);

}  // namespace parley::net
