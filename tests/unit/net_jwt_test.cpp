#define CAF_SUITE net_jwt
#include "caf/test/unit_test.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "net/jwt.hpp"

using namespace parley::net;

namespace {

constexpr int64_t now = 1763780000;
const std::string secret = "test-secret-with-enough-bytes-0123456789";

std::string b64url(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(in.data()),
                           static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (auto& c : out) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  return out;
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &len);
  return std::string(reinterpret_cast<char*>(digest), len);
}

/// A token built by hand: any header, any claims, signed with HMAC `md` (or unsigned).
std::string token(std::string_view header, std::string_view claims,
                  const std::string& key = secret, const EVP_MD* md = EVP_sha256()) {
  auto input = b64url(header) + "." + b64url(claims);
  return input + "." + (md ? b64url(hmac(md, key, input)) : std::string{});
}

const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";

std::string claims_with(std::string_view extra) {
  std::string out = R"({"sub":"alice","exp":)" + std::to_string(now + 600);
  if (!extra.empty())
    out += "," + std::string{extra};
  return out + "}";
}

jwt_config config() {
  jwt_config cfg;
  cfg.secret = secret;
  return cfg;
}

/// "ok sub=… name=… exp=…" or "refused: why".
std::string verify(const jwt_config& cfg, const std::string& tok, int64_t at = now) {
  auto r = jwt_verifier{cfg}.verify(tok, at);
  if (auto why = std::get_if<std::string>(&r))
    return "refused: " + *why;
  auto& c = std::get<token_claims>(r);
  return "ok sub=" + c.sub + " name=" + c.name + " exp=" + std::to_string(c.exp);
}

bool accepted(const jwt_config& cfg, const std::string& tok, int64_t at = now) {
  return std::holds_alternative<token_claims>(jwt_verifier{cfg}.verify(tok, at));
}

// -- key pairs made at test time (OpenSSL's EVP API), and tokens signed with them ----------

struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

struct key_pair {
  pkey_ptr key;
  std::string public_pem;
};

std::string public_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()), &BIO_free};
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

key_pair make_rsa(unsigned bits = 2048) {
  key_pair k{pkey_ptr{EVP_RSA_gen(bits)}, {}};
  k.public_pem = public_pem(k.key.get());
  return k;
}

key_pair make_ec(const char* curve = "P-256") {
  key_pair k{pkey_ptr{EVP_EC_gen(curve)}, {}};
  k.public_pem = public_pem(k.key.get());
  return k;
}

// Generated once: RSA key generation takes a while.
const key_pair& rsa_key() {
  static const key_pair k = make_rsa();
  return k;
}
const key_pair& rsa_other() {
  static const key_pair k = make_rsa();
  return k;
}
const key_pair& ec_key() {
  static const key_pair k = make_ec();
  return k;
}
const key_pair& ec_other() {
  static const key_pair k = make_ec();
  return k;
}

/// The DigestSign signature of `data` (RSA PKCS#1 v1.5, or ECDSA in DER).
std::string sign(EVP_PKEY* key, const EVP_MD* md, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1 ||
      EVP_DigestSignUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestSignFinal(ctx.get(), nullptr, &len) != 1)
    return {};
  std::string sig(len, '\0');
  if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len) != 1)
    return {};
  sig.resize(len);
  return sig;
}

/// An ECDSA DER signature as JWS wants it: R || S, each `n` bytes (RFC 7518 3.4).
std::string der_to_raw(const std::string& der, int n = 32) {
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig{
    d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), &ECDSA_SIG_free};
  std::string out(static_cast<size_t>(2 * n), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, n);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + n, n);
  return out;
}

const std::string rs256 = R"({"alg":"RS256","typ":"JWT"})";
const std::string es256 = R"({"alg":"ES256","typ":"JWT"})";

/// A token signed with an RSA key (PKCS#1 v1.5 with `md`).
std::string rsa_token(std::string_view header, std::string_view claims, EVP_PKEY* key,
                      const EVP_MD* md = EVP_sha256()) {
  auto input = b64url(header) + "." + b64url(claims);
  return input + "." + b64url(sign(key, md, input));
}

/// A token signed with an EC key: R || S (`raw`), or the DER form JWS does not allow.
std::string ec_token(std::string_view header, std::string_view claims, EVP_PKEY* key,
                     bool raw = true, const EVP_MD* md = EVP_sha256()) {
  auto input = b64url(header) + "." + b64url(claims);
  auto der = sign(key, md, input);
  return input + "." + b64url(raw ? der_to_raw(der) : der);
}

jwt_config rs_config(const key_pair& k = rsa_key()) {
  jwt_config cfg;
  cfg.alg = "RS256";
  cfg.public_key = k.public_pem;
  return cfg;
}

jwt_config es_config(const key_pair& k = ec_key()) {
  jwt_config cfg;
  cfg.alg = "ES256";
  cfg.public_key = k.public_pem;
  return cfg;
}

}  // namespace

// -- good tokens --------------------------------------------------------------------------

CAF_TEST(a minted token verifies) {
  auto cfg = config();
  auto tok = mint_token(cfg, "alice", "Alice A.", now, 3600);
  CAF_CHECK(!tok.empty());
  CAF_CHECK_EQUAL(verify(cfg, tok), "ok sub=alice name=Alice A. exp=" + std::to_string(now + 3600));
  // Without a name.
  auto anon = mint_token(cfg, "bob", "", now, 60);
  CAF_CHECK_EQUAL(verify(cfg, anon), "ok sub=bob name= exp=" + std::to_string(now + 60));
  // With audience and issuer configured, minted tokens carry them.
  cfg.audience = "parley";
  cfg.issuer = "https://auth.example";
  auto full = mint_token(cfg, "carol", "", now, 60);
  CAF_CHECK_EQUAL(verify(cfg, full), "ok sub=carol name= exp=" + std::to_string(now + 60));
  // A verifier with another secret refuses it.
  auto other = config();
  other.secret = "another-secret";
  CAF_CHECK(!accepted(other, mint_token(config(), "alice", "", now, 60)));
}

CAF_TEST(a hand built HS256 token verifies) {
  CAF_CHECK_EQUAL(verify(config(), token(hs256, claims_with(R"("name":"Alice")"))),
                  "ok sub=alice name=Alice exp=" + std::to_string(now + 600));
  // typ is optional.
  CAF_CHECK(accepted(config(), token(R"({"alg":"HS256"})", claims_with(""))));
  // iat and unknown claims are fine.
  CAF_CHECK(accepted(config(), token(hs256, claims_with(R"("iat":1,"jti":"x","role":[1,2])"))));
}

// -- algorithm ----------------------------------------------------------------------------

CAF_TEST(alg none is refused) {
  auto cfg = config();
  for (auto header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"none"})",
                      R"({"alg":"None"})", R"({"alg":"NONE"})"}) {
    CAF_CHECK(!accepted(cfg, token(header, claims_with(""), secret, nullptr)));
    // Even with a signature attached.
    CAF_CHECK(!accepted(cfg, token(header, claims_with(""))));
  }
  // Without the trailing dot.
  auto input = b64url(R"({"alg":"none"})") + "." + b64url(claims_with(""));
  CAF_CHECK(!accepted(cfg, input));
}

CAF_TEST(other algorithms are refused even with a valid HMAC) {
  auto cfg = config();
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"HS384","typ":"JWT"})", claims_with(""), secret,
                                 EVP_sha384())));
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"HS512","typ":"JWT"})", claims_with(""), secret,
                                 EVP_sha512())));
  // HS/RS confusion: an RS256 header over an HMAC made with the shared secret.
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"RS256","typ":"JWT"})", claims_with(""))));
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"ES256","typ":"JWT"})", claims_with(""))));
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"hs256"})", claims_with(""))));
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"HS256 "})", claims_with(""))));
  CAF_CHECK(!accepted(cfg, token(R"({"alg":["HS256"]})", claims_with(""))));
  CAF_CHECK(!accepted(cfg, token(R"({"typ":"JWT"})", claims_with(""))));
  CAF_CHECK(!accepted(cfg, token(R"({"alg":null})", claims_with(""))));
  // Conflicting duplicate keys must not smuggle another algorithm past either reader.
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"none","alg":"HS256"})", claims_with(""), secret,
                                 nullptr)));
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"HS256","alg":"none"})", claims_with(""), secret,
                                 nullptr)));
}

CAF_TEST(an unsupported configured algorithm accepts nothing) {
  auto cfg = config();
  cfg.alg = "HS512";
  CAF_CHECK(!accepted(cfg, token(R"({"alg":"HS512"})", claims_with(""), secret, EVP_sha512())));
  CAF_CHECK(!accepted(cfg, token(hs256, claims_with(""))));
}

// -- signature and form -------------------------------------------------------------------

CAF_TEST(a wrong secret is refused) {
  CAF_CHECK(!accepted(config(), token(hs256, claims_with(""), "wrong-secret")));
  CAF_CHECK(!accepted(config(), token(hs256, claims_with(""), secret + "x")));
  CAF_CHECK(!accepted(config(), token(hs256, claims_with(""), "")));
}

CAF_TEST(a tampered token is refused) {
  auto cfg = config();
  auto good = token(hs256, claims_with(""));
  CAF_CHECK(accepted(cfg, good));
  auto dot1 = good.find('.'), dot2 = good.rfind('.');
  // Another payload under the original signature.
  auto forged = good.substr(0, dot1 + 1) + b64url(R"({"sub":"mallory","exp":)" +
                                                  std::to_string(now + 600) + "}") +
                good.substr(dot2);
  CAF_CHECK(!accepted(cfg, forged));
  // Payload from a minted token for alice, signature replaced.
  auto minted = mint_token(cfg, "alice", "", now, 60);
  auto m2 = minted.rfind('.');
  CAF_CHECK(!accepted(cfg, minted.substr(0, m2 + 1) + b64url(std::string(32, 'x'))));
  // Every single character of the payload and signature changed, one at a time.
  size_t accepted_count = 0;
  for (size_t i = dot1 + 1; i < good.size(); ++i) {
    if (good[i] == '.')
      continue;
    auto t = good;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    // Changing the last character of the signature may only touch its padding bits.
    if (i == good.size() - 1)
      continue;
    accepted_count += accepted(cfg, t) ? 1 : 0;
  }
  CAF_CHECK_EQUAL(accepted_count, 0u);
  // Signature cut or missing.
  CAF_CHECK(!accepted(cfg, good.substr(0, good.size() - 1 - 4)));
  CAF_CHECK(!accepted(cfg, good.substr(0, dot2 + 1)));
  CAF_CHECK(!accepted(cfg, good.substr(0, dot2)));
}

CAF_TEST(malformed tokens are refused) {
  auto cfg = config();
  auto good = token(hs256, claims_with(""));
  for (std::string t : {std::string{}, std::string{"."}, std::string{".."},
                        std::string{"abc"}, std::string{"a.b.c"}, std::string{"a.b.c.d"},
                        good + ".x", "x" + good, good.substr(1), std::string{"!!.!!.!!"},
                        std::string(9000, 'a'),
                        token("not json", claims_with("")), token(hs256, "not json"),
                        token("[1,2]", claims_with("")), token(hs256, "[1,2]"),
                        token(hs256, "\"alice\""), token(hs256, "")})
    CAF_CHECK(!accepted(cfg, t));
  // An otherwise valid token larger than 8 KiB.
  CAF_CHECK(!accepted(cfg, token(hs256, claims_with("\"pad\":\"" + std::string(8200, 'p') + "\""))));
}

CAF_TEST(tokens with an empty segment are refused before libjwt sees them) {
  // libjwt 1.10 writes one byte past a malloc(0) block when decoding an empty payload
  // segment; run under valgrind to see that these never reach it.
  auto cfg = config();
  auto header = b64url(hs256);
  auto sig_of = [](const std::string& input) { return b64url(hmac(EVP_sha256(), secret, input)); };
  CAF_CHECK_EQUAL(verify(cfg, header + ".." + sig_of(header + ".")), "refused: malformed token");
  CAF_CHECK_EQUAL(verify(cfg, header + ".."), "refused: malformed token");
  CAF_CHECK_EQUAL(verify(cfg, header + "." + b64url(claims_with("")) + "."),
                  "refused: malformed token");
  CAF_CHECK_EQUAL(verify(cfg, header + "." + b64url(claims_with(""))), "refused: malformed token");
  CAF_CHECK_EQUAL(verify(cfg, header + "."), "refused: malformed token");
  CAF_CHECK(!accepted(cfg, header));  // no dot: refused by the algorithm check already
}

// -- time claims --------------------------------------------------------------------------

CAF_TEST(exp is checked with 30 seconds of skew) {
  auto cfg = config();
  auto with_exp = [&](int64_t exp) {
    return token(hs256, R"({"sub":"alice","exp":)" + std::to_string(exp) + "}");
  };
  CAF_CHECK(accepted(cfg, with_exp(now + 3600)));
  CAF_CHECK(accepted(cfg, with_exp(now)));
  CAF_CHECK(accepted(cfg, with_exp(now - 29)));
  CAF_CHECK(accepted(cfg, with_exp(now - 30)));
  CAF_CHECK(!accepted(cfg, with_exp(now - 31)));
  CAF_CHECK_EQUAL(verify(cfg, with_exp(now - 31)), "refused: token expired");
  CAF_CHECK(!accepted(cfg, with_exp(now - 86400)));
  CAF_CHECK(!accepted(cfg, with_exp(0)));
  CAF_CHECK(!accepted(cfg, with_exp(-5)));
  // The same token, moving the clock.
  auto t = with_exp(now);
  CAF_CHECK(accepted(cfg, t, now + 29));
  CAF_CHECK(!accepted(cfg, t, now + 31));
  // A configured skew replaces the default.
  cfg.skew_s = 0;
  CAF_CHECK(accepted(cfg, with_exp(now)));
  CAF_CHECK(!accepted(cfg, with_exp(now - 1)));
}

CAF_TEST(a fractional exp counts by whole seconds) {
  auto cfg = config();
  CAF_CHECK_EQUAL(verify(cfg, token(hs256, R"({"sub":"a","exp":)" + std::to_string(now + 10) +
                                             ".75}")),
                  "ok sub=a name= exp=" + std::to_string(now + 10));
  CAF_CHECK(!accepted(cfg, token(hs256, R"({"sub":"a","exp":)" + std::to_string(now - 31) +
                                          ".5}")));
}

CAF_TEST(extreme exp and nbf values are ordered correctly) {
  auto cfg = config();
  // Far-future expiry: valid (no overflow when the skew is added).
  CAF_CHECK_EQUAL(verify(cfg, token(hs256, R"({"sub":"a","exp":9223372036854775807})")),
                  "ok sub=a name= exp=9223372036854775807");
  CAF_CHECK(accepted(cfg, token(hs256, R"({"sub":"a","exp":9223372036854775790})")));
  CAF_CHECK(accepted(cfg, token(hs256, R"({"sub":"a","exp":1e300})")));
  // Far past: expired.
  CAF_CHECK(!accepted(cfg, token(hs256, R"({"sub":"a","exp":-9223372036854775807})")));
  CAF_CHECK(!accepted(cfg, token(hs256, R"({"sub":"a","exp":-1e300})")));
  // Far-future nbf: not valid yet.
  CAF_CHECK(!accepted(cfg, token(hs256, claims_with(R"("nbf":9223372036854775807)"))));
  CAF_CHECK(!accepted(cfg, token(hs256, claims_with(R"("nbf":1e300)"))));
  CAF_CHECK(accepted(cfg, token(hs256, claims_with(R"("nbf":-1e300)"))));
}

CAF_TEST(nbf is checked with 30 seconds of skew) {
  auto cfg = config();
  auto with_nbf = [&](int64_t nbf) {
    return token(hs256, claims_with(R"("nbf":)" + std::to_string(nbf)));
  };
  CAF_CHECK(accepted(cfg, with_nbf(now - 3600)));
  CAF_CHECK(accepted(cfg, with_nbf(now)));
  CAF_CHECK(accepted(cfg, with_nbf(now + 29)));
  CAF_CHECK(accepted(cfg, with_nbf(now + 30)));
  CAF_CHECK(!accepted(cfg, with_nbf(now + 31)));
  CAF_CHECK_EQUAL(verify(cfg, with_nbf(now + 31)), "refused: token not valid yet");
  CAF_CHECK(!accepted(cfg, with_nbf(now + 3600)));
}

CAF_TEST(exp is required unless configured otherwise) {
  auto cfg = config();
  auto no_exp = token(hs256, R"({"sub":"alice","name":"A"})");
  CAF_CHECK(!accepted(cfg, no_exp));
  cfg.require_exp = false;
  CAF_CHECK_EQUAL(verify(cfg, no_exp), "ok sub=alice name=A exp=0");
  // A present exp is still checked, and must be a number.
  CAF_CHECK(!accepted(cfg, token(hs256, R"({"sub":"alice","exp":)" + std::to_string(now - 60) +
                                          "}")));
  for (auto bad : {R"("1763780600")", "true", "null", "[1]", "{}"}) {
    auto t = token(hs256, R"({"sub":"alice","exp":)" + std::string{bad} + "}");
    cfg.require_exp = false;
    CAF_CHECK(!accepted(cfg, t));
    cfg.require_exp = true;
    CAF_CHECK(!accepted(cfg, t));
  }
}

// -- sub, name, aud, iss ------------------------------------------------------------------

CAF_TEST(sub must be a string of 1 to 128 bytes) {
  auto cfg = config();
  auto with_sub = [&](std::string json) {
    return token(hs256, R"({"exp":)" + std::to_string(now + 60) + ",\"sub\":" + json + "}");
  };
  CAF_CHECK(accepted(cfg, with_sub("\"a\"")));
  CAF_CHECK(accepted(cfg, with_sub("\"" + std::string(128, 'u') + "\"")));
  CAF_CHECK(!accepted(cfg, with_sub("\"" + std::string(129, 'u') + "\"")));
  // Bytes, not characters: 64 two-byte characters fit, 65 do not.
  std::string umlauts;
  for (int i = 0; i < 64; ++i)
    umlauts += "\xC3\xBC";
  CAF_CHECK(accepted(cfg, with_sub("\"" + umlauts + "\"")));
  CAF_CHECK(!accepted(cfg, with_sub("\"" + umlauts + "\xC3\xBC\"")));
  CAF_CHECK(!accepted(cfg, with_sub("\"\"")));
  CAF_CHECK(!accepted(cfg, with_sub("42")));
  CAF_CHECK(!accepted(cfg, with_sub("null")));
  CAF_CHECK(!accepted(cfg, with_sub("[\"a\"]")));
  CAF_CHECK(!accepted(cfg, token(hs256, R"({"exp":)" + std::to_string(now + 60) + "}")));
}

CAF_TEST(name is optional and only taken when a string) {
  auto cfg = config();
  CAF_CHECK_EQUAL(verify(cfg, token(hs256, claims_with(R"("name":"Zoë")"))),
                  "ok sub=alice name=Zoë exp=" + std::to_string(now + 600));
  CAF_CHECK_EQUAL(verify(cfg, token(hs256, claims_with(R"("name":7)"))),
                  "ok sub=alice name= exp=" + std::to_string(now + 600));
  CAF_CHECK_EQUAL(verify(cfg, token(hs256, claims_with(""))),
                  "ok sub=alice name= exp=" + std::to_string(now + 600));
}

CAF_TEST(aud is checked when configured) {
  auto cfg = config();
  auto with_aud = [&](std::string json) { return token(hs256, claims_with("\"aud\":" + json)); };
  // Not configured: any aud, or none, is fine.
  CAF_CHECK(accepted(cfg, with_aud("\"anything\"")));
  CAF_CHECK(accepted(cfg, token(hs256, claims_with(""))));
  cfg.audience = "parley";
  CAF_CHECK(accepted(cfg, with_aud("\"parley\"")));
  CAF_CHECK(accepted(cfg, with_aud(R"(["other","parley"])")));
  CAF_CHECK(accepted(cfg, with_aud(R"(["parley"])")));
  CAF_CHECK(!accepted(cfg, with_aud("\"other\"")));
  CAF_CHECK(!accepted(cfg, with_aud("\"Parley\"")));
  CAF_CHECK(!accepted(cfg, with_aud("\"parley \"")));
  CAF_CHECK(!accepted(cfg, with_aud(R"(["other"])")));
  CAF_CHECK(!accepted(cfg, with_aud("[]")));
  CAF_CHECK(!accepted(cfg, with_aud(R"([["parley"]])")));
  CAF_CHECK(!accepted(cfg, with_aud("42")));
  CAF_CHECK(!accepted(cfg, with_aud("null")));
  CAF_CHECK_EQUAL(verify(cfg, token(hs256, claims_with(""))), "refused: token audience mismatch");
}

CAF_TEST(iss is checked when configured) {
  auto cfg = config();
  auto with_iss = [&](std::string json) { return token(hs256, claims_with("\"iss\":" + json)); };
  CAF_CHECK(accepted(cfg, with_iss("\"whoever\"")));
  cfg.issuer = "https://auth.example";
  CAF_CHECK(accepted(cfg, with_iss("\"https://auth.example\"")));
  CAF_CHECK(!accepted(cfg, with_iss("\"https://auth.example/\"")));
  CAF_CHECK(!accepted(cfg, with_iss("\"https://evil.example\"")));
  CAF_CHECK(!accepted(cfg, with_iss(R"(["https://auth.example"])")));
  CAF_CHECK(!accepted(cfg, with_iss("1")));
  CAF_CHECK_EQUAL(verify(cfg, token(hs256, claims_with(""))), "refused: token issuer mismatch");
}

// -- RS256 and ES256 ------------------------------------------------------------------------

CAF_TEST(a valid RS256 token verifies with the public key) {
  CAF_REQUIRE(rsa_key().key != nullptr);
  auto tok = rsa_token(rs256, claims_with(R"("name":"Alice")"), rsa_key().key.get());
  CAF_CHECK_EQUAL(verify(rs_config(), tok), "ok sub=alice name=Alice exp=" +
                                              std::to_string(now + 600));
  // typ is optional; aud and iss are checked as for HS256.
  CAF_CHECK(accepted(rs_config(), rsa_token(R"({"alg":"RS256"})", claims_with(""),
                                            rsa_key().key.get())));
  auto cfg = rs_config();
  cfg.audience = "parley";
  CAF_CHECK(accepted(cfg, rsa_token(rs256, claims_with(R"("aud":"parley")"), rsa_key().key.get())));
  CAF_CHECK(!accepted(cfg, rsa_token(rs256, claims_with(R"("aud":"other")"), rsa_key().key.get())));
  // Claims are checked as for HS256.
  CAF_CHECK_EQUAL(verify(rs_config(), rsa_token(rs256, R"({"sub":"a","exp":)" +
                                                         std::to_string(now - 31) + "}",
                                                rsa_key().key.get())),
                  "refused: token expired");
  CAF_CHECK(!accepted(rs_config(), rsa_token(rs256, R"({"exp":)" + std::to_string(now + 60) + "}",
                                             rsa_key().key.get())));
}

CAF_TEST(a valid ES256 token verifies with the public key) {
  CAF_REQUIRE(ec_key().key != nullptr);
  // ECDSA signatures are randomised: sign several times, every one must verify.
  for (int i = 0; i < 20; ++i) {
    auto tok = ec_token(es256, claims_with(R"("name":"Bo")"), ec_key().key.get());
    CAF_CHECK_EQUAL(verify(es_config(), tok), "ok sub=alice name=Bo exp=" +
                                                std::to_string(now + 600));
  }
}

CAF_TEST(a token signed with another key is refused) {
  CAF_CHECK_EQUAL(verify(rs_config(), rsa_token(rs256, claims_with(""), rsa_other().key.get())),
                  "refused: invalid token signature");
  CAF_CHECK_EQUAL(verify(es_config(), ec_token(es256, claims_with(""), ec_other().key.get())),
                  "refused: invalid token signature");
  // And the other way round: the other verifier refuses tokens of the first key.
  CAF_CHECK(!accepted(rs_config(rsa_other()), rsa_token(rs256, claims_with(""),
                                                         rsa_key().key.get())));
  CAF_CHECK(!accepted(es_config(ec_other()), ec_token(es256, claims_with(""),
                                                      ec_key().key.get())));
}

CAF_TEST(a tampered RS256 or ES256 token is refused) {
  auto good_rs = rsa_token(rs256, claims_with(""), rsa_key().key.get());
  auto good_es = ec_token(es256, claims_with(""), ec_key().key.get());
  for (auto [cfg, good] : {std::pair{rs_config(), good_rs}, std::pair{es_config(), good_es}}) {
    CAF_CHECK(accepted(cfg, good));
    auto dot1 = good.find('.'), dot2 = good.rfind('.');
    auto forged = good.substr(0, dot1 + 1) + b64url(R"({"sub":"mallory","exp":)" +
                                                    std::to_string(now + 600) + "}") +
                  good.substr(dot2);
    CAF_CHECK(!accepted(cfg, forged));
    auto flipped = good;
    flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
    CAF_CHECK(!accepted(cfg, flipped));
    CAF_CHECK(!accepted(cfg, good.substr(0, good.size() - 4)));  // signature cut short
    CAF_CHECK(!accepted(cfg, good.substr(0, dot2 + 1)));         // no signature
  }
}

CAF_TEST(the algorithm stays the configured one between RS256 and ES256) {
  // ES256 token, RS256 configured (with the EC key's own PEM, too).
  CAF_CHECK_EQUAL(verify(rs_config(), ec_token(es256, claims_with(""), ec_key().key.get())),
                  "refused: token algorithm is not RS256");
  auto rs_with_ec_key = rs_config();
  rs_with_ec_key.public_key = ec_key().public_pem;
  CAF_CHECK(!accepted(rs_with_ec_key, ec_token(es256, claims_with(""), ec_key().key.get())));
  // RS256 token, ES256 configured.
  CAF_CHECK_EQUAL(verify(es_config(), rsa_token(rs256, claims_with(""), rsa_key().key.get())),
                  "refused: token algorithm is not ES256");
  // The right signature under a header naming another algorithm of the same family.
  CAF_CHECK(!accepted(rs_config(), rsa_token(R"({"alg":"RS384"})", claims_with(""),
                                             rsa_key().key.get(), EVP_sha384())));
  CAF_CHECK(!accepted(rs_config(), rsa_token(R"({"alg":"PS256"})", claims_with(""),
                                             rsa_key().key.get())));
  CAF_CHECK(!accepted(es_config(), ec_token(R"({"alg":"ES384"})", claims_with(""),
                                            ec_key().key.get())));
  // An RS256 header over a signature made with SHA-384.
  CAF_CHECK(!accepted(rs_config(), rsa_token(rs256, claims_with(""), rsa_key().key.get(),
                                             EVP_sha384())));
}

CAF_TEST(HS256 signed with the public key as secret is refused) {
  // HS/RS confusion: the public key is public, so an HMAC keyed with its PEM text must
  // never pass for a signature.
  for (auto& cfg : {rs_config(), es_config()}) {
    auto pem = cfg.public_key;
    CAF_CHECK_EQUAL(verify(cfg, token(hs256, claims_with(""), pem)),
                    "refused: token algorithm is not " + cfg.alg);
    // Without the trailing newline, and with a header naming the configured algorithm.
    CAF_CHECK(!accepted(cfg, token(hs256, claims_with(""), pem.substr(0, pem.size() - 1))));
    CAF_CHECK(!accepted(cfg, token(R"({"alg":")" + cfg.alg + R"("})", claims_with(""), pem)));
  }
  // The same for the shared secret: with RS256 configured, a secret set beside the key
  // is never used.
  auto cfg = rs_config();
  cfg.secret = secret;
  CAF_CHECK(!accepted(cfg, token(hs256, claims_with(""))));
}

CAF_TEST(alg none is refused with RS256 and ES256) {
  for (auto& cfg : {rs_config(), es_config()}) {
    for (auto header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"none"})",
                        R"({"alg":"None"})"}) {
      CAF_CHECK(!accepted(cfg, token(header, claims_with(""), secret, nullptr)));
      auto input = b64url(header) + "." + b64url(claims_with(""));
      CAF_CHECK(!accepted(cfg, input));
    }
    // A none header carrying a real signature.
    auto signed_rs = rsa_token(R"({"alg":"none"})", claims_with(""), rsa_key().key.get());
    CAF_CHECK(!accepted(cfg, signed_rs));
  }
}

CAF_TEST(an ES256 signature must be R and S of 32 bytes each) {
  // DER, as OpenSSL makes it, is not the JWS form.
  CAF_CHECK_EQUAL(verify(es_config(), ec_token(es256, claims_with(""), ec_key().key.get(), false)),
                  "refused: invalid token signature");
  auto good = ec_token(es256, claims_with(""), ec_key().key.get());
  auto dot2 = good.rfind('.');
  // 63 and 65 bytes, and 64 that are no signature.
  auto sig_of = [&](std::string bytes) { return good.substr(0, dot2 + 1) + b64url(bytes); };
  CAF_CHECK(!accepted(es_config(), sig_of(std::string(63, '\x01'))));
  CAF_CHECK(!accepted(es_config(), sig_of(std::string(65, '\x01'))));
  CAF_CHECK(!accepted(es_config(), sig_of(std::string(64, '\0'))));
  CAF_CHECK(!accepted(es_config(), sig_of(std::string(64, '\xff'))));
}

CAF_TEST(without a public key nothing verifies) {
  auto cfg = rs_config();
  cfg.public_key.clear();
  CAF_CHECK_EQUAL(verify(cfg, rsa_token(rs256, claims_with(""), rsa_key().key.get())),
                  "refused: no key configured for RS256");
  cfg.public_key = "not a key";
  CAF_CHECK(!accepted(cfg, rsa_token(rs256, claims_with(""), rsa_key().key.get())));
}

CAF_TEST(public keys are checked against the algorithm) {
  CAF_CHECK_EQUAL(check_public_key("RS256", rsa_key().public_pem), "");
  CAF_CHECK_EQUAL(check_public_key("ES256", ec_key().public_pem), "");
  CAF_CHECK_NOT_EQUAL(check_public_key("RS256", ec_key().public_pem), "");
  CAF_CHECK_NOT_EQUAL(check_public_key("ES256", rsa_key().public_pem), "");
  CAF_CHECK_NOT_EQUAL(check_public_key("HS256", rsa_key().public_pem), "");
  CAF_CHECK_NOT_EQUAL(check_public_key("RS256", ""), "");
  CAF_CHECK_NOT_EQUAL(check_public_key("RS256", "-----BEGIN PUBLIC KEY-----\nAAAA\n"
                                                "-----END PUBLIC KEY-----\n"),
                      "");
  // RFC 7518 3.3: RSA keys of 2048 bits at least.
  auto small = make_rsa(1024);
  CAF_CHECK_NOT_EQUAL(check_public_key("RS256", small.public_pem).find("2048"), std::string::npos);
  // ES256 is P-256 only.
  auto p384 = make_ec("P-384");
  CAF_CHECK_NOT_EQUAL(check_public_key("ES256", p384.public_pem).find("P-256"), std::string::npos);
  // A private key is not a public key.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()), &BIO_free};
  PEM_write_bio_PrivateKey(bio.get(), rsa_key().key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio.get(), &data);
  CAF_CHECK_NOT_EQUAL(check_public_key("RS256", std::string(data, static_cast<size_t>(n))), "");
}

CAF_TEST(only HS256 tokens can be minted) {
  CAF_CHECK(alg_uses_secret("HS256"));
  CAF_CHECK(!alg_uses_secret("RS256"));
  CAF_CHECK(!alg_uses_secret("ES256"));
  auto cfg = rs_config();
  cfg.secret = secret;
  CAF_CHECK_EQUAL(mint_token(cfg, "alice", "", now, 60), "");
  CAF_CHECK_EQUAL(mint_token(es_config(), "alice", "", now, 60), "");
}
