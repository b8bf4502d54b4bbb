#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/broker.hpp"
#include "config/settings.hpp"
#include "net/jwt.hpp"
#include "net/static_site.hpp"
#include "net/unix_time.hpp"

namespace parley::net {

class ws_connection;
class server_context;

/// One counted connection of a peer IP or of a user (limits.connections_per_ip / _user).
/// Move-only; gives its count back exactly once: on release() or when destroyed, whichever
/// comes first. An empty slot (default, moved-from, released) counts nothing.
class connection_slot {
public:
  connection_slot() = default;
  connection_slot(connection_slot&& other) noexcept { *this = std::move(other); }
  connection_slot& operator=(connection_slot&& other) noexcept;
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  ~connection_slot() { release(); }

  explicit operator bool() const { return ctx_ != nullptr; }
  void release();

private:
  friend class server_context;
  enum class kind : uint8_t { ip, user };
  connection_slot(server_context* ctx, kind k, std::string key)
    : ctx_(ctx), kind_(k), key_(std::move(key)) {}

  server_context* ctx_ = nullptr;
  kind kind_ = kind::ip;
  std::string key_;
};

/// What every HTTP session and WebSocket connection of one server shares: the broker, the
/// token verifier, the settings, the set of open connections (for shutdown), and the
/// connection counts per peer IP and per user (for the limits; any I/O thread).
class server_context {
public:
  server_context(actors::broker& broker, config::settings settings, jwt_config jwt,
                 bool dev_tokens);

  actors::broker& broker() { return broker_; }
  const config::settings& settings() const { return settings_; }
  const jwt_verifier& verifier() const { return verifier_; }
  bool dev_tokens() const { return dev_tokens_; }

  /// `/readyz`: false while a store connection is known to be down, or while shutting down.
  bool ready() const { return !stopping_.load() && broker_.storage_healthy(); }

  bool stopping() const { return stopping_.load(); }

  void add(const std::shared_ptr<ws_connection>& c);
  void remove(const ws_connection* c);
  size_t connection_count() const;

  /// A slot for one more WebSocket connection from `ip`, or an empty slot when the IP holds
  /// limits.connections_per_ip already (0: no limit).
  connection_slot acquire_ip(std::string ip);
  /// The same for one more authenticated connection of `user` (limits.connections_per_user).
  connection_slot acquire_user(std::string user);
  /// Connections counted now (for tests and, later, metrics).
  int64_t ip_connections(const std::string& ip) const;
  int64_t user_connections(const std::string& user) const;

  /// Whether a request carrying `origin` (nullopt: no Origin header) may proceed: always
  /// without a header or with http.allowed_origins empty, else when the list has it
  /// (compared ignoring ASCII case).
  bool origin_allowed(std::optional<std::string_view> origin) const;

  /// The static files served at `/` (http.web_dir), or nullptr for none. Set before the
  /// server starts; read-only afterwards.
  void set_site(std::shared_ptr<const static_site> site) { site_ = std::move(site); }
  const static_site* site() const { return site_.get(); }

  /// Marks the server as stopping and asks every connection to close with 1001.
  void close_all();

  /// Drops every remaining connection (and so stops its session) without I/O; for the end
  /// of shutdown, after the I/O threads have stopped.
  void abort_all();

private:
  friend class connection_slot;
  using counts = std::unordered_map<std::string, int64_t>;
  connection_slot acquire(connection_slot::kind k, std::string key, int64_t limit);
  void release(connection_slot::kind k, const std::string& key);

  actors::broker& broker_;
  config::settings settings_;
  jwt_verifier verifier_;
  bool dev_tokens_;
  std::shared_ptr<const static_site> site_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  /// Owns the open connections; a connection removes itself when its socket is done.
  std::unordered_map<const ws_connection*, std::shared_ptr<ws_connection>> connections_;
  /// Connections per peer IP and per user; an entry goes when its count reaches 0.
  mutable std::mutex counts_mu_;
  counts per_ip_;
  counts per_user_;
};

}  // namespace parley::net
