#pragma once

#include <caf/all.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>

#include "actors/client_link.hpp"
#include "actors/presence.hpp"
#include "actors/room_config.hpp"
#include "actors/session.hpp"
#include "actors/writer.hpp"
#include "config/settings.hpp"
#include "storage/store.hpp"

namespace parley::actors {

/// CAF's configuration with Parley's message types registered.
class actor_config : public caf::actor_system_config {
public:
  actor_config();
};

struct broker_config {
  room_config room;
  writer_config writer;
  session_config session;
  presence_config presence;
  int writers = 1;
  int readers = 1;
  /// Writer and reader block on the database, so they get threads of their own; tests on
  /// the deterministic coordinator turn this off.
  bool detached_storage = true;
};

broker_config make_broker_config(const config::settings& s);

/// Opens one store connection (one per writer and reader).
using store_factory = std::function<storage::result<std::unique_ptr<storage::store>>()>;

/// The actors of one node: the writer and reader pools, the directory and the presence
/// registry, and the way to start a session for a new connection. What net/ and apps/ hold
/// on to.
class broker {
public:
  /// Opens every writer's and reader's store connection; fails if any fails.
  static storage::result<std::unique_ptr<broker>> start(caf::actor_system& sys,
                                                        const store_factory& open,
                                                        broker_config cfg);

  ~broker();

  /// Who a session serves: a WebSocket connection (shows its user online), one HTTP client
  /// API request (does not), or one server API request (the app's backend: trusted).
  enum class session_kind { websocket, http_client, server_api };

  caf::actor spawn_session(std::string user, link_ptr link,
                           session_kind kind = session_kind::websocket);

  /// Graceful stop: rooms stop taking writes and finish what is in flight, then the writer
  /// commits what it holds. Blocks up to `grace`.
  void drain(std::chrono::milliseconds grace);

  const broker_config& config() const { return cfg_; }
  caf::actor directory() const { return directory_; }
  /// False while any store connection is known to be down (/readyz).
  bool storage_healthy() const { return cfg_.writer.unhealthy->load() == 0; }
  /// Writes waiting for the writers (a gauge of /metrics).
  int64_t writer_backlog() const { return cfg_.room.writer_backlog->load(); }
  caf::actor presence() const { return presence_; }
  caf::actor_system& system() { return sys_; }

private:
  broker(caf::actor_system& sys, broker_config cfg) : sys_(sys), cfg_(std::move(cfg)) {}
  /// Fills session_cfgs_ from cfg_.session (once that is complete).
  void share_session_configs();

  caf::actor_system& sys_;
  broker_config cfg_;
  /// The session settings of each session_kind, shared by all sessions of that kind.
  std::array<std::shared_ptr<const session_config>, 3> session_cfgs_;
  std::vector<caf::actor> writers_;
  std::vector<caf::actor> readers_;
  caf::actor directory_;
  caf::actor presence_;
};

}  // namespace parley::actors
