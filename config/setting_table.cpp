#include "config/setting_table.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

#include "config/text.hpp"

namespace parley::config {
namespace {

using text_assign = std::function<std::string(settings&, std::string_view)>;
using text_show = std::function<std::string(const settings&)>;

struct field {
  text_assign assign;
  text_show show;
  bool is_list = false;
  std::function<void(settings&)> clear;
};

field str(std::string settings::*m) {
  return {[m](settings& s, std::string_view v) { s.*m = std::string{v}; return std::string{}; },
          [m](const settings& s) { return s.*m; }};
}

field int64(int64_t settings::*m, int64_t min, int64_t max) {
  return {[m, min, max](settings& s, std::string_view v) -> std::string {
            int64_t x = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
            if (ec != std::errc{} || p != v.data() + v.size())
              return "expected an integer, got '" + std::string{v} + "'";
            if (x < min || x > max)
              return "must be between " + std::to_string(min) + " and " + std::to_string(max);
            s.*m = x;
            return {};
          },
          [m](const settings& s) { return std::to_string(s.*m); }};
}

field int32(int settings::*m, int min, int max) {
  return {[m, min, max](settings& s, std::string_view v) -> std::string {
            int x = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
            if (ec != std::errc{} || p != v.data() + v.size())
              return "expected an integer, got '" + std::string{v} + "'";
            if (x < min || x > max)
              return "must be between " + std::to_string(min) + " and " + std::to_string(max);
            s.*m = x;
            return {};
          },
          [m](const settings& s) { return std::to_string(s.*m); }};
}

field real(double settings::*m, double min) {
  return {[m, min](settings& s, std::string_view v) -> std::string {
            auto x = parse_double(v);
            if (!x)
              return "expected a number, got '" + std::string{v} + "'";
            if (*x < min)
              return "must be at least " + format_double(min);
            s.*m = *x;
            return {};
          },
          [m](const settings& s) { return format_double(s.*m); }};
}

field boolean(bool settings::*m) {
  return {[m](settings& s, std::string_view v) -> std::string {
            auto b = parse_bool(v);
            if (!b)
              return "expected true or false, got '" + std::string{v} + "'";
            s.*m = *b;
            return {};
          },
          [m](const settings& s) { return std::string{s.*m ? "true" : "false"}; }};
}

field one_of(std::string settings::*m, std::vector<std::string> allowed) {
  return {[m, allowed](settings& s, std::string_view v) -> std::string {
            for (auto& a : allowed)
              if (a == v) {
                s.*m = a;
                return {};
              }
            std::string msg = "must be one of";
            for (auto& a : allowed)
              msg += " " + a;
            return msg;
          },
          [m](const settings& s) { return s.*m; }};
}

field list(std::vector<std::string> settings::*m) {
  return {[m](settings& s, std::string_view v) -> std::string {
            for (auto& item : split_list(v))
              (s.*m).push_back(item);
            return {};
          },
          [m](const settings& s) { return join_list(s.*m); }, true,
          [m](settings& s) { (s.*m).clear(); }};
}

/// "scheme://host[:port]", the form of a browser's Origin header; lowercased, with the
/// scheme's default port dropped (browsers never send it). nullopt when malformed.
std::optional<std::string> normalize_origin(std::string_view v) {
  std::string o{v};
  for (auto& c : o)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto sep = o.find("://");
  if (sep == std::string::npos || sep == 0 || !std::isalpha(static_cast<unsigned char>(o[0])))
    return std::nullopt;
  for (size_t i = 0; i < sep; ++i) {
    char c = o[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return std::nullopt;
  }
  std::string_view authority{o};
  authority.remove_prefix(sep + 3);
  if (authority.empty() || authority.find_first_of("/?#@ \t\\") != std::string_view::npos)
    return std::nullopt;
  // The port: after the last ':' that is not inside an IPv6 literal's brackets.
  auto colon = authority.rfind(':');
  auto bracket = authority.rfind(']');
  if (authority.front() == '[' && bracket == std::string_view::npos)
    return std::nullopt;
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    auto port = authority.substr(colon + 1);
    unsigned n = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc{} || p != port.data() + port.size() || n == 0 ||
        n > 65535)
      return std::nullopt;
    if (colon == 0)
      return std::nullopt;
    auto scheme = std::string_view{o}.substr(0, sep);
    if ((scheme == "http" && n == 80) || (scheme == "https" && n == 443))
      o.resize(sep + 3 + colon);
  }
  return o;
}

field origin_list(std::vector<std::string> settings::*m) {
  auto f = list(m);
  f.assign = [m](settings& s, std::string_view v) -> std::string {
    for (auto& item : split_list(v)) {
      auto o = normalize_origin(item);
      if (!o)
        return "'" + item + "' is not an origin: expected scheme://host[:port] "
               "(no path, no trailing slash)";
      (s.*m).push_back(*o);
    }
    return {};
  };
  return f;
}

setting_info make(std::string_view key, std::string_view flag, std::string_view env,
                  std::string_view help, field f, bool is_switch = false) {
  return {key,      flag,           env,          help, is_switch, f.is_list, std::move(f.assign),
          std::move(f.show), std::move(f.clear)};
}

std::vector<setting_info> build_table() {
  using s = settings;
  constexpr int64_t big = int64_t{1} << 40;
  std::vector<setting_info> t;
  t.push_back(make("listen", "--listen", "PARLEY_LISTEN",
                   "HOST:PORT of the HTTP and WebSocket listener.", str(&s::listen)));
  t.push_back(make("store", "--store", "PARLEY_STORE",
                   "sqlite:PATH (embedded; default sqlite:<data_dir>/parley.db) or a "
                   "postgresql:// URL (production; see PostgreSQL above).",
                   str(&s::store)));
  t.push_back(make("data_dir", "--data-dir", "PARLEY_DATA_DIR",
                   "Directory for the SQLite file and the generated JWT secret "
                   "(default ./parley-data, or the SQLite file's directory).",
                   str(&s::data_dir)));
  t.push_back(make("node", "--node", "PARLEY_NODE", "This node's name, reported in `hello`.",
                   str(&s::node)));
  t.push_back(make("cluster.listen", "--cluster-listen", "PARLEY_CLUSTER_LISTEN",
                   "HOST:PORT for cluster peers (reserved; clustering is not implemented yet).",
                   str(&s::cluster_listen)));
  t.push_back(make("cluster.seeds", "--seeds", "PARLEY_SEEDS",
                   "Comma-separated HOST:PORT of seed nodes (reserved; not implemented yet).",
                   list(&s::seeds)));
  t.push_back(make("log_level", "--log-level", "PARLEY_LOG_LEVEL",
                   "trace, debug, info, warn, error or off.",
                   one_of(&s::log_level, {"trace", "debug", "info", "warn", "error", "off"})));
  t.push_back(make("io_threads", "--io-threads", "PARLEY_IO_THREADS",
                   "Threads running sockets, parsing and encoding (0 = one per two cores).",
                   int32(&s::io_threads, 0, 64)));
  t.push_back(make("scheduler_threads", "--scheduler-threads", "PARLEY_SCHEDULER_THREADS",
                   "Threads running actors (0 = one per core).",
                   int32(&s::scheduler_threads, 0, 256)));
  t.push_back(make("http.allowed_origins", "--allowed-origin", "PARLEY_ALLOWED_ORIGINS",
                   "Origins (scheme://host[:port]) a browser's WebSocket upgrade or client API "
                   "request may come from; another Origin gets HTTP 403. Requests without an "
                   "Origin header (non-browser clients) are always let through. Empty (the "
                   "default): any origin. Repeat the flag; comma-separated in the environment.",
                   origin_list(&s::allowed_origins)));
  t.push_back(make("http.web_dir", "--web-dir", "PARLEY_WEB_DIR",
                   "Directory of static files served at / (the demo chat page), read once at "
                   "start. Empty (the default): the web directory that comes with the binary "
                   "(BIN/../web in a build tree, PREFIX/share/parley/web when installed), if "
                   "there is one. `off`: serve no files.",
                   str(&s::web_dir)));

  t.push_back(make("auth.jwt_secret", "--jwt-secret", "PARLEY_JWT_SECRET",
                   "HS256 shared secret. Empty: a random secret is created in data_dir on "
                   "first start and reused. Not used with RS256/ES256.",
                   str(&s::jwt_secret)));
  t.push_back(make("auth.jwt_alg", "--jwt-alg", "PARLEY_JWT_ALG",
                   "HS256, RS256 or ES256: the only algorithm accepted; tokens naming another "
                   "(or none) are refused. RS256/ES256 need auth.jwt_public_key_file, and "
                   "`parley token` and dev tokens cannot mint with them.",
                   one_of(&s::jwt_alg, {"HS256", "RS256", "ES256"})));
  t.push_back(make("auth.jwt_public_key_file", "--jwt-public-key-file",
                   "PARLEY_JWT_PUBLIC_KEY_FILE",
                   "PEM public key (-----BEGIN PUBLIC KEY-----) that verifies RS256 (RSA, at "
                   "least 2048 bits) or ES256 (EC P-256) tokens; read at start, which fails "
                   "when it is missing, unreadable or of the wrong kind.",
                   str(&s::jwt_public_key_file)));
  t.push_back(make("auth.require_exp", "--jwt-require-exp", "PARLEY_JWT_REQUIRE_EXP",
                   "Refuse tokens without an `exp` claim.", boolean(&s::jwt_require_exp)));
  t.push_back(make("auth.audience", "--jwt-audience", "PARLEY_JWT_AUDIENCE",
                   "When set, tokens must carry this `aud`.", str(&s::jwt_audience)));
  t.push_back(make("auth.issuer", "--jwt-issuer", "PARLEY_JWT_ISSUER",
                   "When set, tokens must carry this `iss`.", str(&s::jwt_issuer)));
  t.push_back(make("auth.dev_tokens", "--dev-tokens", "PARLEY_DEV_TOKENS",
                   "POST /api/dev/token: auto (on while the listener is loopback), true or "
                   "false. true with a non-loopback listener refuses to start.",
                   one_of(&s::dev_tokens, {"auto", "true", "false", "1", "0"}), true));
  t.push_back(make("auth.api_keys", "--api-key", "PARLEY_API_KEYS",
                   "Keys for the server API (repeat the flag; comma-separated in the "
                   "environment).",
                   list(&s::api_keys)));
  t.push_back(make("auth.deadline_ms", "--auth-deadline-ms", "PARLEY_AUTH_DEADLINE_MS",
                   "A connection not authenticated by then is closed with 4001 (checked on "
                   "its I/O thread's tick, a quarter of the shorter of this and the "
                   "heartbeat: up to that much later).",
                   int64(&s::auth_deadline_ms, 100, big)));

  t.push_back(make("limits.frame", "--max-frame", "PARLEY_MAX_FRAME",
                   "Largest WebSocket message in bytes; a larger one closes with 1009.",
                   int64(&s::max_frame, 1024, 64 << 20)));
  t.push_back(make("limits.body", "--max-body", "PARLEY_MAX_BODY",
                   "Largest message `body` in UTF-8 bytes; larger: error too_large.",
                   int64(&s::max_body, 1, 64 << 20)));
  t.push_back(make("limits.meta", "--max-meta", "PARLEY_MAX_META",
                   "Largest encoded `meta` object in bytes; larger: error too_large.",
                   int64(&s::max_meta, 2, 64 << 20)));
  t.push_back(make("limits.rooms", "--max-rooms", "PARLEY_MAX_ROOMS",
                   "Rooms one connection may have joined; one more: error too_large.",
                   int64(&s::max_rooms_per_connection, 1, big)));
  t.push_back(make("limits.output_bytes", "--max-output-bytes", "PARLEY_MAX_OUTPUT_BYTES",
                   "Unsent output per connection; beyond it the connection is closed with "
                   "4009 (slow consumer) and the room never waits for it.",
                   int64(&s::max_output_bytes, 4096, big)));
  t.push_back(make("limits.requests_in_flight", "--max-requests-in-flight",
                   "PARLEY_MAX_REQUESTS_IN_FLIGHT",
                   "Unanswered requests per connection; one more: error rate_limited.",
                   int64(&s::max_requests_in_flight, 1, big)));
  t.push_back(make("limits.catch_up_in_flight", "--catch-up-in-flight",
                   "PARLEY_CATCH_UP_IN_FLIGHT",
                   "Catch-up requests (join, history, rooms) that the connections of one I/O "
                   "thread may have in progress at once; a connection with one more waits, "
                   "reading nothing, until one finishes. Bounds how much of a reconnect storm's "
                   "catch-up queues ahead of live messages on the actor threads. 0: no bound.",
                   int64(&s::catch_up_in_flight, 0, big)));
  t.push_back(make("limits.bad_frames", "--bad-frames-limit", "PARLEY_BAD_FRAMES_LIMIT",
                   "Malformed frames within the window that close the connection with 4008 (the "
                   "limit-th bad frame closes it).",
                   int64(&s::bad_frames_limit, 1, big)));
  t.push_back(make("limits.bad_frames_window_ms", "--bad-frames-window-ms",
                   "PARLEY_BAD_FRAMES_WINDOW_MS", "The window for limits.bad_frames.",
                   int64(&s::bad_frames_window_ms, 1, big)));
  t.push_back(make("limits.heartbeat_ms", "--heartbeat-ms", "PARLEY_HEARTBEAT_MS",
                   "WebSocket ping interval (on the I/O thread's tick, up to a quarter "
                   "late); a connection's first ping comes at a random point of the second "
                   "half of the interval, so connections opened together (a restart, a "
                   "reconnect storm) spread their pings; a connection that answers two "
                   "pings in a row with nothing is closed.",
                   int64(&s::heartbeat_ms, 10, big)));
  t.push_back(make("limits.rate_per_s", "--rate-per-s", "PARLEY_RATE_PER_S",
                   "Requests per second per connection (token bucket refill); beyond: "
                   "error rate_limited with retry_after_ms.",
                   real(&s::rate_per_s, 0.001)));
  t.push_back(make("limits.rate_burst", "--rate-burst", "PARLEY_RATE_BURST",
                   "Token bucket size (requests allowed at once).", real(&s::rate_burst, 1)));
  t.push_back(make("limits.connections_per_user", "--connections-per-user",
                   "PARLEY_CONNECTIONS_PER_USER",
                   "Authenticated connections one user may hold (0 = no limit); one more: HTTP "
                   "429 for a token on the upgrade, error rate_limited and close 4008 for an "
                   "`auth` frame.",
                   int64(&s::connections_per_user, 0, big)));
  t.push_back(make("limits.connections_per_ip", "--connections-per-ip",
                   "PARLEY_CONNECTIONS_PER_IP",
                   "WebSocket connections from one peer IP address, authenticated or not (0 = "
                   "no limit); one more upgrade: HTTP 429. Behind a proxy every client has the "
                   "proxy's address.",
                   int64(&s::connections_per_ip, 0, big)));

  t.push_back(make("presence.grace_ms", "--presence-grace-ms", "PARLEY_PRESENCE_GRACE_MS",
                   "A user is announced offline only after this long without any connection "
                   "(a page reload does not flap).",
                   int64(&s::presence_grace_ms, 0, big)));
  t.push_back(make("rooms.idle_timeout_ms", "--room-idle-timeout-ms",
                   "PARLEY_ROOM_IDLE_TIMEOUT_MS",
                   "A room actor with no subscribers and no work for this long stops.",
                   int64(&s::room_idle_timeout_ms, 10, big)));
  t.push_back(make("rooms.tail_events", "--room-tail-events", "PARLEY_ROOM_TAIL_EVENTS",
                   "Recent events a room keeps in memory for resume; older come from storage.",
                   int64(&s::room_tail_events, 0, 1'000'000)));
  t.push_back(make("rooms.cid_cache", "--room-cid-cache", "PARLEY_ROOM_CID_CACHE",
                   "Recent (sender, cid) pairs a room remembers; older retries are "
                   "recognised by the database's unique key.",
                   int64(&s::room_cid_cache, 0, 10'000'000)));
  t.push_back(make("rooms.max_in_flight", "--room-max-in-flight", "PARLEY_ROOM_MAX_IN_FLIGHT",
                   "Uncommitted appends per room; one more: error unavailable (retryable).",
                   int64(&s::room_max_in_flight, 1, big)));
  t.push_back(make("rooms.replay_max", "--replay-max", "PARLEY_REPLAY_MAX",
                   "join with `since` more than this far behind replays nothing and answers "
                   "gap:true.",
                   int64(&s::replay_max, 0, 1'000'000)));
  t.push_back(make("storage.writers", "--writers", "PARLEY_WRITERS",
                   "Writer actors, each with its own database connection; a room always uses "
                   "the same one. 0 = one per core, at least 2 (SQLite: always 1).",
                   int32(&s::writers, 0, 256)));
  t.push_back(make("storage.readers", "--readers", "PARLEY_READERS",
                   "Reader actors (history, replays, room loads), each with its own "
                   "connection. 0 = one per core, at least 2.",
                   int32(&s::readers, 0, 256)));
  t.push_back(make("storage.max_batch", "--writer-max-batch", "PARLEY_WRITER_MAX_BATCH",
                   "Events committed in one transaction at most (group commit cap); a room's "
                   "hand-over that crosses it goes in whole, so a transaction may exceed it by "
                   "at most `rooms.max_in_flight`.",
                   int64(&s::writer_max_batch, 1, 1'000'000)));
  t.push_back(make("storage.max_backlog", "--writer-max-backlog", "PARLEY_WRITER_MAX_BACKLOG",
                   "Appends waiting for the writers; one more: error unavailable.",
                   int64(&s::writer_max_backlog, 1, big)));
  t.push_back(make("shutdown_grace_ms", "--shutdown-grace-ms", "PARLEY_SHUTDOWN_GRACE_MS",
                   "On SIGTERM, how long in-flight work may take before the process exits.",
                   int64(&s::shutdown_grace_ms, 0, big)));
  return t;
}

}  // namespace

std::span<const setting_info> setting_table() {
  static const std::vector<setting_info> table = build_table();
  return table;
}

const setting_info* find_by_flag(std::string_view flag) {
  for (auto& s : setting_table())
    if (s.flag == flag)
      return &s;
  return nullptr;
}

const setting_info* find_by_key(std::string_view key) {
  for (auto& s : setting_table())
    if (s.key == key)
      return &s;
  return nullptr;
}

}  // namespace parley::config
