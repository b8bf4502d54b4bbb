#include "actors/broker.hpp"

#include <caf/send.hpp>

#include "actors/directory.hpp"
#include "actors/presence.hpp"
#include "actors/reader.hpp"
#include "actors/session.hpp"

namespace parley::actors {

actor_config::actor_config() {
  add_message_types<caf::id_block::parley>();
  // CAF's work-stealing workers, once out of work, poll 500 times with a 50 us sleep between
  // attempts before they wait on their condition variable. Under a steady trickle of work
  // (a chat broker's normal state) that costs a context switch every 50 us per idle worker:
  // the fan-out profile showed 15% of the broker's samples in clock_nanosleep. Skip the
  // sleeping phase: after the short spin, an idle worker waits on the condition variable,
  // which external enqueues notify.
  set("work-stealing.moderate-poll-attempts", size_t{0});
}

broker_config make_broker_config(const config::settings& s) {
  using std::chrono::milliseconds;
  broker_config c;
  c.room.tail_events = s.room_tail_events;
  c.room.cid_cache = s.room_cid_cache;
  c.room.max_in_flight = s.room_max_in_flight;
  c.room.replay_max = s.replay_max;
  c.room.idle_timeout = milliseconds{s.room_idle_timeout_ms};
  c.room.max_writer_backlog = s.writer_max_backlog;
  c.writer.max_batch = s.writer_max_batch;
  c.writers = std::max(1, s.writers);
  c.readers = std::max(1, s.readers);
  c.session.limits.max_body = s.max_body;
  c.session.limits.max_meta = s.max_meta;
  c.session.max_rooms = s.max_rooms_per_connection;
  c.session.max_requests_in_flight = s.max_requests_in_flight;
  c.session.rate_per_s = s.rate_per_s;
  c.session.rate_burst = s.rate_burst;
  c.presence.grace = milliseconds{s.presence_grace_ms};
  return c;
}

storage::result<std::unique_ptr<broker>> broker::start(caf::actor_system& sys,
                                                       const store_factory& open,
                                                       broker_config cfg) {
  std::unique_ptr<broker> b{new broker(sys, std::move(cfg))};
  auto& c = b->cfg_;
  // One backlog counter, shared by the rooms (which count up) and the writers (down).
  c.writer.backlog = c.room.writer_backlog;
  if (!c.session.limiter)
    c.session.limiter =
      std::make_shared<rate_limiter>(c.session.rate_per_s, c.session.rate_burst);
  // Each writer and reader owns one connection; opening them all first means a bad store
  // URL fails the start, not the first request.
  std::vector<std::shared_ptr<storage::store>> stores;
  for (int i = 0; i < c.writers + c.readers; ++i) {
    auto s = open();
    if (!s)
      return s.err();
    stores.emplace_back(std::move(s.value()));
  }
  auto spawn = [&](auto fun, auto&&... xs) {
    return c.detached_storage ? sys.spawn<caf::detached>(fun, xs...) : sys.spawn(fun, xs...);
  };
  for (int i = 0; i < c.writers; ++i)
    b->writers_.push_back(spawn(writer_actor, stores[i], c.writer));
  for (int i = 0; i < c.readers; ++i)
    b->readers_.push_back(spawn(reader_actor, stores[c.writers + i], c.writer.unhealthy));
  c.presence.now_ms = c.room.now_ms;
  b->presence_ = sys.spawn(presence_actor, c.presence, b->writers_[0], b->readers_[0]);
  c.room.presence = b->presence_;
  b->directory_ = sys.spawn(directory_actor, c.room, b->writers_, b->readers_);
  b->share_session_configs();
  return b;
}

broker::~broker() {
  for (auto* a : {&directory_, &presence_})
    if (*a)
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
  for (auto* pool : {&readers_, &writers_})
    for (auto& a : *pool)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

void broker::share_session_configs() {
  for (auto kind : {session_kind::websocket, session_kind::http_client, session_kind::server_api}) {
    auto c = std::make_shared<session_config>(cfg_.session);
    c->announce_presence = kind == session_kind::websocket;
    c->trusted = kind == session_kind::server_api;
    c->directory = directory_;
    c->presence = presence_;
    session_cfgs_[static_cast<size_t>(kind)] = std::move(c);
  }
}

caf::actor broker::spawn_session(std::string user, link_ptr link, session_kind kind) {
  auto reader = readers_[pool_index(user, readers_.size())];
  auto cfg = session_cfgs_[static_cast<size_t>(kind)];
  bool announce = cfg->announce_presence;
  auto presence = cfg->presence;
  // lazy_init: the session starts with its first message instead of as a job of its own
  // on the scheduler. A connect storm so queues one job less per connection ahead of live
  // traffic, and a connection that never sends anything costs the scheduler nothing.
  auto session = sys_.spawn<caf::lazy_init>(session_actor, user, link, std::move(cfg), reader);
  // Announced here, on the caller's thread, as if by the session: the session's own start
  // runs later on a scheduler thread, and by then its connection may have written `hello`
  // and the application's backend may already have asked presence to disconnect the user.
  // Queued now, `online` is ahead in presence's mailbox of anything sent after `hello`.
  if (announce)
    caf::send_as(session, presence, online_atom::value, std::move(user), std::move(link));
  return session;
}

void broker::drain(std::chrono::milliseconds grace) {
  caf::scoped_actor self{sys_};
  auto deadline = std::chrono::steady_clock::now() + grace;
  auto left = [&] {
    auto d = deadline - std::chrono::steady_clock::now();
    return std::max(std::chrono::milliseconds{1},
                    std::chrono::duration_cast<std::chrono::milliseconds>(d));
  };
  // Rooms first (their in-flight appends reach the writer), then the writer's last batch:
  // FIFO order between each room and the writer puts that drain after every append.
  self->request(directory_, left(), drain_atom::value).receive([] {}, [](caf::error&) {});
  for (auto& w : writers_)
    self->request(w, left(), drain_atom::value).receive([] {}, [](caf::error&) {});
}

}  // namespace parley::actors
