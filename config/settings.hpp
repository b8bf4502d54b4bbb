#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::config {

/// Every knob of the broker, with its default. Where a value comes from (flag, environment,
/// TOML file, default) is decided by `load_settings`; see `setting_table()` for the names.
struct settings {
  // -- server ---------------------------------------------------------------------------------
  std::string listen = "127.0.0.1:8080";     ///< HOST:PORT of the HTTP + WebSocket listener.
  std::string store;                         ///< sqlite:PATH or postgresql://...; empty = default.
  std::string data_dir;                      ///< Where the generated secret lives; empty = derived.
  std::string node = "n1";                   ///< This node's name, reported in `hello`.
  std::string cluster_listen;                ///< Reserved for clustering (not yet used).
  std::vector<std::string> seeds;            ///< Reserved for clustering (not yet used).
  std::string log_level = "info";
  int io_threads = 0;                        ///< 0 = one per two cores, at least one.
  int scheduler_threads = 0;                 ///< 0 = one per core.
  /// Origin values a browser upgrade may carry (scheme://host[:port]); empty = any.
  std::vector<std::string> allowed_origins;
  /// Static files served at `/` (the demo page); empty = found next to the binary; "off".
  std::string web_dir;

  // -- auth -----------------------------------------------------------------------------------
  std::string jwt_secret;                    ///< HS256 secret; empty = generated in data_dir.
  std::string jwt_alg = "HS256";             ///< Fixed by configuration, never by the token.
  std::string jwt_public_key_file;           ///< PEM public key; required for RS256/ES256.
  bool jwt_require_exp = true;
  std::string jwt_audience;                  ///< Checked when set.
  std::string jwt_issuer;                    ///< Checked when set.
  std::string dev_tokens = "auto";           ///< auto | true | false; auto = on when loopback.
  std::vector<std::string> api_keys;
  int64_t auth_deadline_ms = 10'000;

  // -- limits (the `hello` message reports these) ---------------------------------------------
  int64_t max_frame = 65'536;                ///< Larger frame: close 1009.
  int64_t max_body = 16'384;                 ///< Larger `body`: error too_large.
  int64_t max_meta = 4'096;                  ///< Larger encoded `meta`: error too_large.
  int64_t max_rooms_per_connection = 1'000;  ///< More joins: error too_large.
  int64_t max_output_bytes = 4 * 1024 * 1024;///< Unsent output beyond this: close 4009.
  int64_t max_requests_in_flight = 256;      ///< Per connection; more: error rate_limited.
  int64_t catch_up_in_flight = 64;           ///< join/history/rooms per I/O thread; 0 = any.
  int64_t bad_frames_limit = 20;             ///< This many bad frames ...
  int64_t bad_frames_window_ms = 10'000;     ///< ... within this window: close 4008.
  int64_t heartbeat_ms = 25'000;             ///< Ping interval; two unanswered: close.
  double rate_per_s = 20;                    ///< Token bucket refill per connection.
  double rate_burst = 40;                    ///< Token bucket size.
  int64_t connections_per_user = 100;        ///< Authenticated connections per user; 0 = any.
  int64_t connections_per_ip = 1'000;        ///< WebSocket connections per peer IP; 0 = any.

  // -- rooms and storage ----------------------------------------------------------------------
  int64_t presence_grace_ms = 5'000;         ///< offline is announced after this long.
  int64_t room_idle_timeout_ms = 60'000;     ///< A room with no subscribers and no work stops.
  int64_t room_tail_events = 512;            ///< Events kept in memory for resume.
  int64_t room_cid_cache = 10'000;           ///< (sender, cid) pairs remembered per room.
  int64_t room_max_in_flight = 1'000;        ///< Uncommitted appends per room; more: unavailable.
  int64_t replay_max = 1'000;                ///< join `since` beyond this: gap:true.
  int writers = 0;                           ///< Writer actors; 0 = auto (SQLite: 1).
  int readers = 0;                           ///< Reader actors; 0 = auto.
  int64_t writer_max_batch = 1'024;          ///< Events per transaction at most.
  int64_t writer_max_backlog = 100'000;      ///< Appends waiting for all writers; more: unavailable.
  int64_t shutdown_grace_ms = 5'000;         ///< SIGTERM: time for in-flight work to finish.
};

}  // namespace parley::config
