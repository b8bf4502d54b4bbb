#pragma once

// Shared fixture of the actor suites: the broker's actors on CAF's deterministic test
// coordinator (no threads; time only moves when a test says so), a real SQLite store in a
// temp dir behind a fault-injecting decorator, and helpers to ask actors things.

#define FAIL(msg) CAF_FAIL(msg)
#include "caf/test/dsl.hpp"

#include <memory>
#include <optional>
#include <variant>

#include "actors/broker.hpp"
#include "actors/errors.hpp"
#include "actors/messages.hpp"
#include "storage/store.hpp"
#include "support/faulty_store.hpp"
#include "support/recording_link.hpp"
#include "support/temp_dir.hpp"

namespace parley::test {

template <class T>
using reply_or_error = std::variant<T, actors::error_info>;

struct actor_fixture : test_coordinator_fixture<actors::actor_config> {
  temp_dir dir;
  std::shared_ptr<fault_plan> plan = std::make_shared<fault_plan>();
  int64_t now_ms = 1'700'000'000'000;
  actors::broker_config cfg;
  std::unique_ptr<actors::broker> broker;
  std::unique_ptr<storage::store> db;  ///< Direct access, for setup and assertions.

  actor_fixture() {
    cfg.detached_storage = false;
    cfg.room.now_ms = [this] { return now_ms; };
    cfg.room.idle_timeout = std::chrono::seconds{60};
    cfg.room.storage_timeout = std::chrono::seconds{10};
    auto opened = storage::open_store("sqlite:" + dir.file("parley.db"));
    db = std::move(opened.value());
    if (auto err = db->migrate())
      CAF_FAIL("migrate: " << err.message);
  }

  ~actor_fixture() {
    broker.reset();
    run();
  }

  /// Starts the broker's actors with `cfg` as it is now.
  void start() {
    auto path = dir.file("parley.db");
    auto p = plan;
    auto started = actors::broker::start(
      sys,
      [path, p]() -> storage::result<std::unique_ptr<storage::store>> {
        auto s = storage::open_store("sqlite:" + path);
        if (!s)
          return s.err();
        return std::unique_ptr<storage::store>{new faulty_store(std::move(s.value()), p)};
      },
      cfg);
    if (!started)
      CAF_FAIL("broker: " << started.err().message);
    broker = std::move(started.value());
    consume_messages();
  }

  void make_room(const std::string& id, std::vector<std::string> members) {
    storage::room_record r;
    r.id = id;
    r.created_by = members.front();
    r.created_at = now_ms;
    for (size_t i = 0; i < members.size(); ++i)
      r.members.push_back({members[i],
                           i == 0 ? storage::member_role::admin : storage::member_role::member,
                           0, now_ms});
    if (auto err = db->create_room(r))
      CAF_FAIL("create_room: " << err.message);
  }

  /// Room "r1" of alice and bob, with bob subscribed through `link` (session 7): the room
  /// most tests send into and watch.
  caf::actor room_bob_watches(const std::shared_ptr<recording_link>& link) {
    make_room("r1", {"alice", "bob"});
    auto r = room("r1");
    CAF_CHECK(std::holds_alternative<bool>(join(r, "bob", 7, link)));
    return r;
  }

  caf::actor room(const std::string& id) {
    caf::actor result;
    auto h = self->request(broker->directory(), caf::infinite, actors::get_room_atom::value, id);
    consume_messages();
    h.receive([&](caf::actor& a) { result = a; },
              [&](caf::error& err) { CAF_FAIL("get_room: " << sys.render(err)); });
    consume_messages();  // let the room load
    return result;
  }

  /// Sends a request, runs the actors (without firing timeouts) and returns the reply.
  template <class T, class... Ts>
  reply_or_error<T> ask(const caf::actor& dest, Ts&&... xs) {
    std::optional<reply_or_error<T>> out;
    auto h = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    consume_messages();
    h.receive([&](T& x) { out = std::move(x); },
              [&](caf::error& err) { out = actors::to_error_info(err); });
    return std::move(*out);
  }

  /// For requests answered with nothing (void): the error code, or nullopt on success.
  template <class... Ts>
  std::optional<actors::error_code> ask_void(const caf::actor& dest, Ts&&... xs) {
    std::optional<actors::error_code> out;
    auto h = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    consume_messages();
    h.receive([&]() {}, [&](caf::error& err) { out = actors::to_error_info(err).code; });
    return out;
  }

  static actors::send_req msg(const std::string& room, const std::string& cid,
                              const std::string& body = "hi") {
    actors::send_req r;
    r.room = room;
    r.cid = cid;
    r.body = body;
    return r;
  }

  reply_or_error<actors::ok_send> send(const caf::actor& room, const std::string& user,
                                       const std::string& cid, const std::string& body = "hi") {
    return ask<actors::ok_send>(room, actors::send_atom::value, user, msg("r1", cid, body));
  }

  /// Subscribes `link` to the room as `user` with session id `session`.
  reply_or_error<bool> join(const caf::actor& room, const std::string& user, uint64_t session,
                            const std::shared_ptr<recording_link>& link, int64_t since = -1) {
    actors::join_args args{user, session, link, since, actors::request_id::of(int64_t{1})};
    return ask<bool>(room, actors::join_atom::value, args);
  }

  std::vector<int64_t> stored_seqs(const std::string& room) {
    std::vector<int64_t> out;
    auto evs = db->events_after(room, 0, 100000);
    for (auto& e : evs.value())
      out.push_back(e.seq);
    return out;
  }
};

template <class T>
bool is_error(const reply_or_error<T>& r, actors::error_code code) {
  auto e = std::get_if<actors::error_info>(&r);
  return e && e->code == code;
}

template <class T>
const T* ok(const reply_or_error<T>& r) {
  return std::get_if<T>(&r);
}

}  // namespace parley::test
