#define CAF_SUITE net_handshake
#include "caf/test/unit_test.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "net/ws_handshake.hpp"

using namespace parley::net::handshake;
using parley::actors::encoding;

namespace {

/// An optional string as text for comparisons: "<none>" when absent, else "=value".
std::string show(const std::optional<std::string>& v) {
  return v ? "=" + *v : "<none>";
}

std::string show(const subprotocol& s) {
  std::string out = s.acceptable ? "ok " : "refused ";
  out += s.enc == encoding::json ? "json" : "msgpack";
  out += " echo='" + s.echo + "'";
  return out;
}

}  // namespace

// -- accept key ---------------------------------------------------------------------------

CAF_TEST(accept key of the RFC 6455 example) {
  // RFC 6455 section 1.3 (and `openssl sha1 -binary | base64` agrees).
  CAF_CHECK_EQUAL(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

CAF_TEST(accept key is 28 base64 characters for any key) {
  // Values computed with: printf '%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11' KEY | sha1 | base64
  CAF_CHECK_EQUAL(accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  CAF_CHECK_EQUAL(accept_key(""), "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
  auto k = accept_key("AQIDBAUGBwgJCgsMDQ4PEC==");
  CAF_CHECK_EQUAL(k.size(), 28u);
  CAF_CHECK_EQUAL(k.back(), '=');
  CAF_CHECK(accept_key("a") != accept_key("b"));
}

// -- subprotocol --------------------------------------------------------------------------

CAF_TEST(no subprotocol offered means JSON with nothing echoed) {
  auto s = choose_subprotocol(std::nullopt);
  CAF_CHECK_EQUAL(show(s), "ok json echo=''");
  // A present but empty header is the same as none.
  CAF_CHECK_EQUAL(show(choose_subprotocol("")), "ok json echo=''");
  CAF_CHECK_EQUAL(show(choose_subprotocol("  \t ")), "ok json echo=''");
}

CAF_TEST(each parley subprotocol alone) {
  CAF_CHECK_EQUAL(show(choose_subprotocol("parley.v1.json")), "ok json echo='parley.v1.json'");
  CAF_CHECK_EQUAL(show(choose_subprotocol("parley.v1.msgpack")),
                  "ok msgpack echo='parley.v1.msgpack'");
}

CAF_TEST(the first parley name in the offered order wins) {
  CAF_CHECK_EQUAL(show(choose_subprotocol("parley.v1.msgpack, parley.v1.json")),
                  "ok msgpack echo='parley.v1.msgpack'");
  CAF_CHECK_EQUAL(show(choose_subprotocol("parley.v1.json, parley.v1.msgpack")),
                  "ok json echo='parley.v1.json'");
  CAF_CHECK_EQUAL(show(choose_subprotocol("chat, superchat, parley.v1.msgpack")),
                  "ok msgpack echo='parley.v1.msgpack'");
  CAF_CHECK_EQUAL(show(choose_subprotocol("mqtt,parley.v1.json,wamp")),
                  "ok json echo='parley.v1.json'");
}

CAF_TEST(whitespace around names is ignored and the echo is trimmed) {
  CAF_CHECK_EQUAL(show(choose_subprotocol("  parley.v1.msgpack  ")),
                  "ok msgpack echo='parley.v1.msgpack'");
  CAF_CHECK_EQUAL(show(choose_subprotocol("chat ,\tparley.v1.json\t, x")),
                  "ok json echo='parley.v1.json'");
  CAF_CHECK_EQUAL(show(choose_subprotocol(",,parley.v1.json,")), "ok json echo='parley.v1.json'");
}

CAF_TEST(an offered list without a parley name is not acceptable) {
  for (auto offered : {"chat", "chat, superchat", "parley.v2.json", "parley.v1.JSON",
                       "Parley.v1.json", "parley.v1.jsonx", "parley.v1", "parley.v1.json.x",
                       "parley.v1 .json", ",", " , "}) {
    auto s = choose_subprotocol(offered);
    CAF_CHECK(!s.acceptable);
    CAF_CHECK_EQUAL(s.echo, "");
  }
}

// -- target and headers -------------------------------------------------------------------

CAF_TEST(path_of strips the query) {
  CAF_CHECK_EQUAL(path_of("/ws"), "/ws");
  CAF_CHECK_EQUAL(path_of("/ws?token=abc"), "/ws");
  CAF_CHECK_EQUAL(path_of("/ws?"), "/ws");
  CAF_CHECK_EQUAL(path_of("/ws?a=1?b=2"), "/ws");
  CAF_CHECK_EQUAL(path_of("/api/rooms/r1/messages?before=10&limit=5"), "/api/rooms/r1/messages");
  CAF_CHECK_EQUAL(path_of("?x"), "");
  CAF_CHECK_EQUAL(path_of(""), "");
}

CAF_TEST(query_param finds a named parameter) {
  CAF_CHECK_EQUAL(show(query_param("/ws?token=abc", "token")), "=abc");
  CAF_CHECK_EQUAL(show(query_param("/ws?a=1&token=abc&b=2", "token")), "=abc");
  CAF_CHECK_EQUAL(show(query_param("/ws?a=1&token=abc", "a")), "=1");
  CAF_CHECK_EQUAL(show(query_param("/ws?token=", "token")), "=");
  CAF_CHECK_EQUAL(show(query_param("/ws?token", "token")), "=");
  CAF_CHECK_EQUAL(show(query_param("/ws?token=a=b", "token")), "=a=b");
  CAF_CHECK_EQUAL(show(query_param("/ws?token=first&token=second", "token")), "=first");
  CAF_CHECK_EQUAL(show(query_param("/ws?&&token=x&&", "token")), "=x");
}

CAF_TEST(query_param reports absent parameters) {
  CAF_CHECK_EQUAL(show(query_param("/ws", "token")), "<none>");
  CAF_CHECK_EQUAL(show(query_param("/ws?", "token")), "<none>");
  CAF_CHECK_EQUAL(show(query_param("/ws?tokens=abc", "token")), "<none>");
  CAF_CHECK_EQUAL(show(query_param("/ws?xtoken=abc", "token")), "<none>");
  CAF_CHECK_EQUAL(show(query_param("/ws?Token=abc", "token")), "<none>");
  CAF_CHECK_EQUAL(show(query_param("/ws?a=token", "token")), "<none>");
  CAF_CHECK_EQUAL(show(query_param("/ws?a=1&b=2", "token")), "<none>");
}

CAF_TEST(query_param percent decodes the value) {
  CAF_CHECK_EQUAL(show(query_param("/ws?token=a%2Bb", "token")), "=a+b");
  CAF_CHECK_EQUAL(show(query_param("/ws?token=a%2bb", "token")), "=a+b");
  CAF_CHECK_EQUAL(show(query_param("/ws?token=a+b", "token")), "=a b");
  CAF_CHECK_EQUAL(show(query_param("/ws?token=%41%42%43", "token")), "=ABC");
  CAF_CHECK_EQUAL(show(query_param("/ws?t=%26%3D%3F%25", "t")), "=&=?%");
  CAF_CHECK_EQUAL(show(query_param("/ws?t=%C3%BC", "t")), "=\xC3\xBC");
  CAF_CHECK_EQUAL(show(query_param("/ws?t=%00x", "t")), "=" + std::string("\0x", 2));
  // Malformed escapes stay as they are.
  CAF_CHECK_EQUAL(show(query_param("/ws?t=%", "t")), "=%");
  CAF_CHECK_EQUAL(show(query_param("/ws?t=%4", "t")), "=%4");
  CAF_CHECK_EQUAL(show(query_param("/ws?t=%zz", "t")), "=%zz");
  CAF_CHECK_EQUAL(show(query_param("/ws?t=%4g1", "t")), "=%4g1");
  CAF_CHECK_EQUAL(show(query_param("/ws?t=100%", "t")), "=100%");
  CAF_CHECK_EQUAL(show(query_param("/ws?t=%%41", "t")), "=%A");
  // A view into a longer buffer: an escape cut by the view's end stays as it is.
  const std::string buffer = "/ws?t=%4142";
  CAF_CHECK_EQUAL(show(query_param(std::string_view{buffer.data(), 8}, "t")), "=%4");
  CAF_CHECK_EQUAL(show(query_param(std::string_view{buffer.data(), 7}, "t")), "=%");
  CAF_CHECK_EQUAL(show(query_param(std::string_view{buffer.data(), 9}, "t")), "=A");
  // A JWT passes through unchanged.
  const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnLV9fLQ";
  CAF_CHECK_EQUAL(show(query_param("/ws?token=" + jwt, "token")), "=" + jwt);
}

CAF_TEST(bearer_token takes the token after the scheme) {
  CAF_CHECK_EQUAL(show(bearer_token("Bearer abc.def.ghi")), "=abc.def.ghi");
  CAF_CHECK_EQUAL(show(bearer_token("bearer abc")), "=abc");
  CAF_CHECK_EQUAL(show(bearer_token("BEARER abc")), "=abc");
  CAF_CHECK_EQUAL(show(bearer_token("bEaReR abc")), "=abc");
  CAF_CHECK_EQUAL(show(bearer_token("  Bearer   abc  ")), "=abc");
  CAF_CHECK_EQUAL(show(bearer_token("\tBearer abc\t")), "=abc");
}

CAF_TEST(bearer_token refuses other schemes and missing tokens) {
  CAF_CHECK_EQUAL(show(bearer_token("")), "<none>");
  CAF_CHECK_EQUAL(show(bearer_token("Bearer")), "<none>");
  CAF_CHECK_EQUAL(show(bearer_token("Bearer ")), "<none>");
  CAF_CHECK_EQUAL(show(bearer_token("Bearer    ")), "<none>");
  CAF_CHECK_EQUAL(show(bearer_token("Bearerabc")), "<none>");
  CAF_CHECK_EQUAL(show(bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l")), "<none>");
  CAF_CHECK_EQUAL(show(bearer_token("ApiKey k1")), "<none>");
  CAF_CHECK_EQUAL(show(bearer_token("Bearer\tabc")), "<none>");
  CAF_CHECK_EQUAL(show(bearer_token("Token abc")), "<none>");
}
