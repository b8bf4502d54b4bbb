#include "net/jwt.hpp"

#include <boost/json.hpp>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>

namespace parley::net {
namespace json = boost::json;

namespace {

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using jwt_handle = std::unique_ptr<jwt_t, jwt_deleter>;

/// base64url without padding -> bytes; false on a character outside the alphabet.
bool base64url_decode(std::string_view in, std::string& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return true;
}

/// The `alg` of the token's header, read by us, so libjwt never decides the algorithm.
std::string header_alg(std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos)
    return {};
  std::string header;
  if (!base64url_decode(token.substr(0, dot), header))
    return {};
  json::error_code ec;
  auto v = json::parse(header, ec);
  if (ec || !v.is_object())
    return {};
  auto alg = v.get_object().if_contains("alg");
  return alg && alg->is_string() ? std::string{alg->get_string()} : std::string{};
}

jwt_alg_t libjwt_alg(std::string_view alg) {
  if (alg == "HS256")
    return JWT_ALG_HS256;
  if (alg == "RS256")
    return JWT_ALG_RS256;
  if (alg == "ES256")
    return JWT_ALG_ES256;
  return JWT_ALG_INVAL;
}

/// An ES256 signature is R || S, 32 bytes each (RFC 7518 3.4). Checked here so that libjwt
/// never converts a signature of another length.
bool es256_signature_length_ok(std::string_view token) {
  std::string sig;
  return base64url_decode(token.substr(token.rfind('.') + 1), sig) && sig.size() == 64;
}

struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct pkey_deleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

/// A NumericDate claim: integer seconds (fractions are truncated; values beyond int64
/// saturate, so a far-future date stays in the future).
bool numeric_claim(const json::object& claims, const char* key, int64_t& out) {
  auto v = claims.if_contains(key);
  if (!v)
    return false;
  constexpr auto max = std::numeric_limits<int64_t>::max();
  constexpr auto min = std::numeric_limits<int64_t>::min();
  if (v->is_int64()) {
    out = v->get_int64();
  } else if (v->is_uint64()) {
    out = v->get_uint64() > uint64_t(max) ? max : static_cast<int64_t>(v->get_uint64());
  } else if (v->is_double()) {
    double d = v->get_double();
    if (std::isnan(d))
      return false;
    out = d >= 0x1p63 ? max : d < -0x1p63 ? min : static_cast<int64_t>(d);
  } else {
    return false;
  }
  return true;
}

bool audience_matches(const json::value* aud, const std::string& want) {
  if (!aud)
    return false;
  if (aud->is_string())
    return aud->get_string() == want;
  if (aud->is_array())
    for (auto& a : aud->get_array())
      if (a.is_string() && a.get_string() == want)
        return true;
  return false;
}

}  // namespace

std::variant<token_claims, std::string> jwt_verifier::verify(std::string_view token,
                                                             int64_t now) const {
  if (token.empty() || token.size() > 8192)
    return std::string{"missing or oversized token"};
  if (libjwt_alg(cfg_.alg) == JWT_ALG_INVAL)
    return std::string{"unsupported algorithm " + cfg_.alg + " configured"};
  if (header_alg(token) != cfg_.alg)
    return std::string{"token algorithm is not " + cfg_.alg};
  // Three non-empty segments. libjwt 1.10 writes past its buffer when it decodes an empty
  // payload segment ("header..signature"), so such tokens never reach it.
  auto dot1 = token.find('.');
  auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || dot2 == dot1 + 1 || dot2 + 1 == token.size() ||
      token.find('.', dot2 + 1) != std::string_view::npos)
    return std::string{"malformed token"};
  if (cfg_.alg == "ES256" && !es256_signature_length_ok(token))
    return std::string{"invalid token signature"};
  // The key of the configured algorithm only: an HS256 token never meets the public key
  // (HS/RS confusion), and the header check above already refused every other algorithm.
  const std::string& key_text = alg_uses_secret(cfg_.alg) ? cfg_.secret : cfg_.public_key;
  if (key_text.empty())
    return std::string{"no key configured for " + cfg_.alg};
  std::string text{token};
  jwt_t* raw = nullptr;
  auto* key = reinterpret_cast<const unsigned char*>(key_text.data());
  if (jwt_decode(&raw, text.c_str(), key, static_cast<int>(key_text.size())) != 0 || !raw)
    return std::string{"invalid token signature"};
  jwt_handle jwt{raw};
  if (jwt_get_alg(jwt.get()) != libjwt_alg(cfg_.alg))
    return std::string{"token algorithm is not " + cfg_.alg};

  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (!grants)
    return std::string{"token has no claims"};
  json::error_code ec;
  auto parsed = json::parse(grants, ec);
  std::free(grants);
  if (ec || !parsed.is_object())
    return std::string{"token claims are not an object"};
  auto& claims = parsed.get_object();

  token_claims out;
  auto sub = claims.if_contains("sub");
  if (!sub || !sub->is_string() || sub->get_string().empty() ||
      sub->get_string().size() > 128 ||
      std::string_view{sub->get_string()}.find('\0') != std::string_view::npos)
    return std::string{"token needs a 'sub' of 1-128 bytes"};
  out.sub = std::string{sub->get_string()};
  if (auto name = claims.if_contains("name"); name && name->is_string())
    out.name = std::string{name->get_string()};

  int64_t exp = 0;
  bool has_exp = numeric_claim(claims, "exp", exp);
  if (!has_exp && (claims.contains("exp") || cfg_.require_exp))
    return std::string{"token needs a numeric 'exp'"};
  if (has_exp) {
    if (now - cfg_.skew_s > exp)  // not exp + skew: that overflows for a far-future exp
      return std::string{"token expired"};
    out.exp = exp;
  }
  int64_t nbf = 0;
  if (numeric_claim(claims, "nbf", nbf) && now + cfg_.skew_s < nbf)
    return std::string{"token not valid yet"};
  if (!cfg_.audience.empty() && !audience_matches(claims.if_contains("aud"), cfg_.audience))
    return std::string{"token audience mismatch"};
  if (!cfg_.issuer.empty()) {
    auto iss = claims.if_contains("iss");
    if (!iss || !iss->is_string() || iss->get_string() != cfg_.issuer)
      return std::string{"token issuer mismatch"};
  }
  return out;
}

bool alg_uses_secret(std::string_view alg) {
  return alg == "HS256";
}

std::string check_public_key(std::string_view alg, std::string_view pem) {
  if (alg != "RS256" && alg != "ES256")
    return "public keys are for RS256 and ES256, not " + std::string{alg};
  // The reader libjwt verifies with: what passes here is what it will accept.
  std::unique_ptr<BIO, bio_deleter> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return "out of memory";
  std::unique_ptr<EVP_PKEY, pkey_deleter> key{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr,
                                                                  nullptr)};
  if (!key)
    return "not a PEM public key (expected -----BEGIN PUBLIC KEY-----)";
  if (alg == "RS256") {
    if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
      return "RS256 needs an RSA public key";
    if (EVP_PKEY_get_bits(key.get()) < 2048)
      return "RS256 needs an RSA key of at least 2048 bits, this one has " +
             std::to_string(EVP_PKEY_get_bits(key.get()));
    return {};
  }
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_EC)
    return "ES256 needs an EC public key on P-256";
  char curve[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
                                     &len) != 1 ||
      std::string_view{curve, len} != "prime256v1")
    return "ES256 needs an EC key on P-256 (prime256v1), this one is on " +
           (len ? std::string{curve, len} : std::string{"an unnamed curve"});
  return {};
}

std::string mint_token(const jwt_config& cfg, std::string_view sub, std::string_view name,
                       int64_t now, int64_t ttl) {
  if (!alg_uses_secret(cfg.alg))
    return {};  // RS256/ES256: signed with a private key the broker does not have
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0 || !raw)
    return {};
  jwt_handle jwt{raw};
  json::object claims;
  claims["sub"] = sub;
  if (!name.empty())
    claims["name"] = name;
  claims["iat"] = now;
  claims["exp"] = now + ttl;
  if (!cfg.audience.empty())
    claims["aud"] = cfg.audience;
  if (!cfg.issuer.empty())
    claims["iss"] = cfg.issuer;
  auto text = json::serialize(claims);
  auto* key = reinterpret_cast<const unsigned char*>(cfg.secret.data());
  if (jwt_add_grants_json(jwt.get(), text.c_str()) != 0 ||
      jwt_set_alg(jwt.get(), libjwt_alg(cfg.alg), key, static_cast<int>(cfg.secret.size())) != 0)
    return {};
  char* encoded = jwt_encode_str(jwt.get());
  if (!encoded)
    return {};
  std::string out{encoded};
  std::free(encoded);
  return out;
}

}  // namespace parley::net
