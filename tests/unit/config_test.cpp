#define CAF_SUITE config
#include "caf/test/unit_test.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "config/loader.hpp"
#include "config/setting_table.hpp"
#include "config/text.hpp"

using namespace parley::config;

namespace {

struct fake_env {
  std::map<std::string, std::string> vars;
  env_lookup lookup() {
    return [this](const char* name) -> const char* {
      auto i = vars.find(name);
      return i == vars.end() ? nullptr : i->second.c_str();
    };
  }
};

std::string write_temp_toml(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("parley-config-test-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

CAF_TEST(defaults apply when nothing is given) {
  fake_env env;
  auto r = load_settings({}, env.lookup());
  CAF_REQUIRE_EQUAL(r.error, "");
  resolve_defaults(r.values, 2);
  CAF_CHECK_EQUAL(r.values.listen, "127.0.0.1:8080");
  CAF_CHECK_EQUAL(r.values.store, "sqlite:./parley-data/parley.db");
  CAF_CHECK_EQUAL(r.values.data_dir, "./parley-data");
  CAF_CHECK_EQUAL(r.values.io_threads, 1);
  CAF_CHECK_EQUAL(r.values.scheduler_threads, 2);
  CAF_CHECK_EQUAL(r.values.max_frame, 65536);
}

CAF_TEST(flag beats environment beats file beats default) {
  auto file = write_temp_toml("listen = \"127.0.0.1:1\"\nnode = \"from-file\"\n"
                              "log_level = \"warn\"\n[limits]\nbody = 100\n");
  fake_env env;
  env.vars["PARLEY_LISTEN"] = "127.0.0.1:2";
  env.vars["PARLEY_NODE"] = "from-env";
  std::vector<std::string> args{"--config", file, "--listen=127.0.0.1:3"};
  auto r = load_settings(args, env.lookup());
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.values.listen, "127.0.0.1:3");  // flag
  CAF_CHECK_EQUAL(r.values.node, "from-env");       // environment
  CAF_CHECK_EQUAL(r.values.log_level, "warn");      // file
  CAF_CHECK_EQUAL(r.values.max_body, 100);          // file, nested table
  CAF_CHECK_EQUAL(r.values.max_frame, 65536);       // default
  std::filesystem::remove(file);
}

CAF_TEST(config file may come from PARLEY_CONFIG) {
  auto file = write_temp_toml("node = \"n7\"\n");
  fake_env env;
  env.vars["PARLEY_CONFIG"] = file;
  auto r = load_settings({}, env.lookup());
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.values.node, "n7");
  CAF_CHECK_EQUAL(r.config_file, file);
  std::filesystem::remove(file);
}

CAF_TEST(lists from a higher layer replace lower ones and repeated flags add up) {
  fake_env env;
  env.vars["PARLEY_API_KEYS"] = "e1, e2";
  auto r = load_settings({}, env.lookup());
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.values.api_keys, (std::vector<std::string>{"e1", "e2"}));
  std::vector<std::string> args{"--api-key", "f1", "--api-key=f2"};
  r = load_settings(args, env.lookup());
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.values.api_keys, (std::vector<std::string>{"f1", "f2"}));
}

CAF_TEST(bad input is refused with a message naming it) {
  fake_env env;
  std::vector<std::string> unknown{"--no-such-flag", "1"};
  CAF_CHECK_NOT_EQUAL(load_settings(unknown, env.lookup()).error.find("--no-such-flag"),
                      std::string::npos);
  std::vector<std::string> not_int{"--max-frame", "big"};
  CAF_CHECK_NOT_EQUAL(load_settings(not_int, env.lookup()).error.find("integer"),
                      std::string::npos);
  std::vector<std::string> too_small{"--max-frame", "1"};
  CAF_CHECK_NOT_EQUAL(load_settings(too_small, env.lookup()).error, "");
  std::vector<std::string> missing{"--listen"};
  CAF_CHECK_NOT_EQUAL(load_settings(missing, env.lookup()).error, "");
  env.vars["PARLEY_LOG_LEVEL"] = "loud";
  CAF_CHECK_NOT_EQUAL(load_settings({}, env.lookup()).error.find("PARLEY_LOG_LEVEL"),
                      std::string::npos);
  auto file = write_temp_toml("nope = 1\n");
  env.vars.clear();
  std::vector<std::string> with_file{"--config", file};
  CAF_CHECK_NOT_EQUAL(load_settings(with_file, env.lookup()).error.find("nope"),
                      std::string::npos);
  std::filesystem::remove(file);
}

CAF_TEST(a bare switch means true and extra flags are passed through) {
  fake_env env;
  std::vector<std::string> args{"--dev-tokens", "--user", "alice"};
  std::string_view extra[] = {"--user"};
  auto r = load_settings(args, env.lookup(), extra);
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.values.dev_tokens, "true");
  CAF_CHECK_EQUAL(r.extra["--user"], "alice");
}

CAF_TEST(dev tokens follow the listener unless forced) {
  settings s;
  CAF_CHECK(decide_dev_tokens(s).enabled);
  s.listen = "0.0.0.0:8080";
  CAF_CHECK(!decide_dev_tokens(s).enabled);
  CAF_CHECK_EQUAL(decide_dev_tokens(s).error, "");
  s.dev_tokens = "true";
  CAF_CHECK_NOT_EQUAL(decide_dev_tokens(s).error, "");
  s.listen = "127.0.0.1:9";
  s.dev_tokens = "false";
  CAF_CHECK(!decide_dev_tokens(s).enabled);
}

CAF_TEST(allowed origins are normalised and malformed ones refused) {
  fake_env env;
  std::vector<std::string> args{"--allowed-origin", "https://App.Example.com",
                                "--allowed-origin=http://localhost:3000,https://x.example:443",
                                "--allowed-origin", "http://[::1]:80"};
  auto r = load_settings(args, env.lookup());
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.values.allowed_origins,
                  (std::vector<std::string>{"https://app.example.com", "http://localhost:3000",
                                            "https://x.example", "http://[::1]"}));
  for (auto bad : {"app.example.com", "https://app.example.com/", "https://a.example/path",
                   "https://", "://a.example", "null", "*", "https://a.example:0",
                   "https://a.example:99999", "https://a.example:", "https://u@a.example",
                   "https://a.example?x", "1http://a.example", "https://[::1"}) {
    std::vector<std::string> one{"--allowed-origin", bad};
    CAF_CHECK_NOT_EQUAL(load_settings(one, env.lookup()).error.find("not an origin"),
                        std::string::npos);
  }
  // The default: empty, any origin.
  CAF_CHECK(load_settings({}, env.lookup()).values.allowed_origins.empty());
  auto file = write_temp_toml("[http]\nallowed_origins = [\"https://a.example\"]\n");
  std::vector<std::string> with_file{"--config", file};
  r = load_settings(with_file, env.lookup());
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.values.allowed_origins, (std::vector<std::string>{"https://a.example"}));
  std::filesystem::remove(file);
}

CAF_TEST(jwt algorithms and connection limits) {
  fake_env env;
  auto r = load_settings({}, env.lookup());
  CAF_CHECK_EQUAL(r.values.jwt_alg, "HS256");
  CAF_CHECK_EQUAL(r.values.connections_per_user, 100);
  CAF_CHECK_EQUAL(r.values.connections_per_ip, 1000);
  std::vector<std::string> args{"--jwt-alg", "ES256", "--jwt-public-key-file", "/k.pem",
                                "--connections-per-user", "0", "--connections-per-ip", "3"};
  r = load_settings(args, env.lookup());
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.values.jwt_alg, "ES256");
  CAF_CHECK_EQUAL(r.values.jwt_public_key_file, "/k.pem");
  CAF_CHECK_EQUAL(r.values.connections_per_user, 0);
  CAF_CHECK_EQUAL(r.values.connections_per_ip, 3);
  for (auto alg : {"none", "HS512", "RS384", "rs256"}) {
    std::vector<std::string> bad{"--jwt-alg", alg};
    CAF_CHECK_NOT_EQUAL(load_settings(bad, env.lookup()).error, "");
  }
  std::vector<std::string> negative{"--connections-per-ip", "-1"};
  CAF_CHECK_NOT_EQUAL(load_settings(negative, env.lookup()).error, "");
}

CAF_TEST(data dir follows the sqlite file) {
  settings s;
  s.store = "sqlite:/var/lib/parley/main.db";
  resolve_defaults(s, 4);
  CAF_CHECK_EQUAL(s.data_dir, "/var/lib/parley");
  CAF_CHECK_EQUAL(s.io_threads, 2);
}

CAF_TEST(every setting has a flag an environment name and help) {
  for (auto& s : setting_table()) {
    CAF_CHECK(s.flag.starts_with("--"));
    CAF_CHECK(s.env.starts_with("PARLEY_"));
    CAF_CHECK(!s.help.empty());
    settings defaults;
    CAF_CHECK(s.show != nullptr);
    (void)s.show(defaults);
  }
}

CAF_TEST(passwords in store urls are redacted) {
  CAF_CHECK_EQUAL(redact_url("postgresql://u:secret@h:5432/db"), "postgresql://u:***@h:5432/db");
  CAF_CHECK_EQUAL(redact_url("postgresql://u@h/db"), "postgresql://u@h/db");
  CAF_CHECK_EQUAL(redact_url("postgresql://postgres@/parley?host=/tmp/x"),
                  "postgresql://postgres@/parley?host=/tmp/x");
  CAF_CHECK_EQUAL(redact_url("sqlite:./parley-data/parley.db"), "sqlite:./parley-data/parley.db");
}
