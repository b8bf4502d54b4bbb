#include "commands.hpp"

#include <caf/all.hpp>
#if PARLEY_MIMALLOC
#include <mimalloc.h>
#endif
#include <spdlog/spdlog.h>

#include <sched.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "actors/broker.hpp"
#include "config/loader.hpp"
#include "config/text.hpp"
#include "logging.hpp"
#include "net/jwt.hpp"
#include "net/server.hpp"
#include "net/server_context.hpp"
#include "secret_file.hpp"
#include "web_site.hpp"
#include "storage/store.hpp"

namespace parley::app {
namespace {

const char* lookup_env(const char* name) {
  return std::getenv(name);
}

/// The CPUs this process may run on (its affinity mask: taskset, a container's cpuset), which
/// is what the thread counts should follow, not the machine's total.
unsigned usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<unsigned>(CPU_COUNT(&set));
  return std::thread::hardware_concurrency();
}

/// Settings for a sub-command; prints the problem and returns nullopt when they are bad.
std::optional<config::load_result> load(const std::vector<std::string>& args,
                                        std::span<const std::string_view> extra = {}) {
  auto r = config::load_settings(args, lookup_env, extra);
  if (!r.error.empty()) {
    std::fprintf(stderr, "parley: %s\n", r.error.c_str());
    return std::nullopt;
  }
  config::resolve_defaults(r.values, usable_cpus());
  return r;
}

/// For the startup line: which malloc this build runs on (PARLEY_MIMALLOC, apps/CMakeLists).
std::string allocator_name() {
#if PARLEY_MIMALLOC
  return "mimalloc " + std::to_string(mi_version());
#else
  return "glibc malloc";
#endif
}

int fail(const std::string& what) {
  std::fprintf(stderr, "parley: %s\n", what.c_str());
  spdlog::error("{}", what);
  stop_logging();
  return 1;
}

net::jwt_config jwt_settings(const config::settings& s, std::string secret,
                             std::string public_key = {}) {
  return {s.jwt_alg,     std::move(secret), std::move(public_key), s.jwt_require_exp,
          s.jwt_audience, s.jwt_issuer,     30};
}

/// Opens the store and applies pending migrations.
std::string open_and_migrate(const std::string& url, int* version = nullptr) {
  auto store = storage::open_store(url);
  if (!store)
    return "cannot open store " + config::redact_url(url) + ": " + store.err().message;
  if (auto err = store.value()->migrate())
    return "migration failed: " + err.message;
  if (version) {
    auto v = store.value()->schema_version();
    *version = v ? v.value() : 0;
  }
  return {};
}

}  // namespace

int serve(const std::vector<std::string>& args) {
  // SIGTERM/SIGINT are taken by sigwait at the end; block them before any thread starts
  // (the log thread included), so every thread inherits the mask and none is killed.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto loaded = load(args);
  if (!loaded)
    return 2;
  auto s = loaded->values;
  auto dev = config::decide_dev_tokens(s);
  if (!dev.error.empty()) {
    std::fprintf(stderr, "parley: %s\n", dev.error.c_str());
    return 2;
  }
  std::string host;
  uint16_t port = 0;
  if (!config::split_host_port(s.listen, host, port)) {
    std::fprintf(stderr, "parley: listen must be HOST:PORT, got '%s'\n", s.listen.c_str());
    return 2;
  }
  // The token key: the HS256 secret, or the public key for RS256/ES256 (read now: a bad
  // key file stops the start instead of refusing every token later).
  bool hs = net::alg_uses_secret(s.jwt_alg);
  std::string error, secret, public_key;
  if (!hs) {
    public_key = read_public_key(s.jwt_public_key_file, s.jwt_alg, error);
    if (public_key.empty()) {
      std::fprintf(stderr, "parley: %s\n", error.c_str());
      return 2;
    }
  }
  setup_logging(s.log_level);
  if (!s.cluster_listen.empty() || !s.seeds.empty())
    spdlog::warn("clustering is not implemented yet: cluster.listen and cluster.seeds ignored");
  if (hs) {
    secret = resolve_jwt_secret(s.jwt_secret, s.data_dir, error);
    if (secret.empty())
      return fail(error);
    if (!s.jwt_public_key_file.empty())
      spdlog::warn("auth.jwt_public_key_file is ignored: auth.jwt_alg is HS256");
  } else if (!s.jwt_secret.empty()) {
    spdlog::warn("auth.jwt_secret is ignored: auth.jwt_alg is {}", s.jwt_alg);
  }
  if (auto err = open_and_migrate(s.store); !err.empty())
    return fail(err);

  actors::actor_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(s.scheduler_threads));
  caf::actor_system sys{cfg};
  auto url = s.store;
  auto broker = actors::broker::start(sys, [url] { return storage::open_store(url); },
                                      actors::make_broker_config(s));
  if (!broker)
    return fail("cannot start the broker: " + broker.err().message);

  auto ctx = std::make_shared<net::server_context>(
    *broker.value(), s, jwt_settings(s, secret, public_key), dev.enabled);
  if (auto site = load_web_site(s.web_dir, error); site)
    ctx->set_site(std::move(site));
  else if (!error.empty())
    return fail(error);
  net::server srv{ctx, s.io_threads};
  if (auto err = srv.listen(host, port); !err.empty())
    return fail(err);
  srv.start();
  auto ep = srv.local_endpoint();
  std::printf("parley: listening on %s:%u\n", ep.address().to_string().c_str(), ep.port());
  std::fflush(stdout);
  spdlog::info("listening on {}:{} (store {}, tokens {}, dev tokens {}, {} I/O and {} actor "
               "threads, allocator {})",
               ep.address().to_string(), ep.port(), config::redact_url(s.store), s.jwt_alg,
               !dev.enabled ? "off" : hs ? "on" : "refused (no signing key)", s.io_threads,
               s.scheduler_threads, allocator_name());

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  auto grace = std::chrono::milliseconds{s.shutdown_grace_ms};
  srv.close_connections(grace);  // 1001 to every client; no new requests
  broker.value()->drain(grace);  // in-flight writes commit
  srv.stop();
  broker.value().reset();
  spdlog::info("stopped");
  stop_logging();
  return 0;
}

int migrate(const std::vector<std::string>& args) {
  auto loaded = load(args);
  if (!loaded)
    return 2;
  int version = 0;
  if (auto err = open_and_migrate(loaded->values.store, &version); !err.empty()) {
    std::fprintf(stderr, "parley: %s\n", err.c_str());
    return 1;
  }
  std::printf("parley: %s is at schema version %d\n",
              config::redact_url(loaded->values.store).c_str(), version);
  return 0;
}

int token(const std::vector<std::string>& args) {
  std::string_view extra[] = {"--user", "--name", "--ttl"};
  auto loaded = load(args, extra);
  if (!loaded)
    return 2;
  auto& x = loaded->extra;
  if (!x.count("--user") || x["--user"].empty() || x["--user"].size() > 128) {
    std::fprintf(stderr, "parley: token needs --user ID (1-128 bytes)\n");
    return 2;
  }
  int64_t ttl = 3600;
  if (x.count("--ttl")) {
    char* end = nullptr;
    ttl = std::strtoll(x["--ttl"].c_str(), &end, 10);
    if (!end || *end || ttl <= 0) {
      std::fprintf(stderr, "parley: --ttl must be a positive number of seconds\n");
      return 2;
    }
  }
  auto& s = loaded->values;
  if (!net::alg_uses_secret(s.jwt_alg)) {
    std::fprintf(stderr,
                 "parley: token mints HS256 tokens only; with auth.jwt_alg %s the broker has "
                 "only the public key, so tokens must be signed with the private key by your "
                 "token issuer\n",
                 s.jwt_alg.c_str());
    return 2;
  }
  std::string error;
  auto secret = resolve_jwt_secret(s.jwt_secret, s.data_dir, error);
  if (secret.empty()) {
    std::fprintf(stderr, "parley: %s\n", error.c_str());
    return 1;
  }
  auto tok = net::mint_token(jwt_settings(s, secret), x["--user"], x["--name"],
                             net::unix_seconds(), ttl);
  std::printf("%s\n", tok.c_str());
  return tok.empty() ? 1 : 0;
}

}  // namespace parley::app
