#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "actors/broker.hpp"
#include "config/settings.hpp"
#include "net/jwt.hpp"
#include "net/unix_time.hpp"

namespace parley::net {

class ws_connection;

/// What every HTTP session and WebSocket connection of one server shares: the broker, the
/// token verifier, the settings, and the set of open connections (for shutdown).
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

  /// Marks the server as stopping and asks every connection to close with 1001.
  void close_all();

  /// Drops every remaining connection (and so stops its session) without I/O; for the end
  /// of shutdown, after the I/O threads have stopped.
  void abort_all();

private:
  actors::broker& broker_;
  config::settings settings_;
  jwt_verifier verifier_;
  bool dev_tokens_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  /// Owns the open connections; a connection removes itself when its socket is done.
  std::unordered_map<const ws_connection*, std::shared_ptr<ws_connection>> connections_;
};

}  // namespace parley::net
