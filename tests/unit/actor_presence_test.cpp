#define CAF_SUITE actor_presence
#include "actor_fixture.hpp"

using namespace parley;
using namespace parley::actors;
using namespace parley::test;

namespace {

struct presence_fixture : actor_fixture {
  presence_fixture() {
    cfg.presence.grace = std::chrono::seconds{5};
  }

  struct connection {
    caf::actor session;
    std::shared_ptr<recording_link> link;
  };

  connection connect(const std::string& user) {
    auto link = std::make_shared<recording_link>();
    auto s = broker->spawn_session(user, link);
    consume_messages();
    return {s, link};
  }

  void disconnect(connection& c) {
    self->send_exit(c.session, caf::exit_reason::user_shutdown);
    consume_messages();
  }

  void request(connection& c, actors::request req) {
    self->send(c.session, inbound{request_id::of(int64_t{1}), std::move(req)});
    consume_messages();
  }

  /// Presence events the link received, as "user:online" / "user:offline@ts".
  static std::vector<std::string> presence_events(recording_link& link) {
    std::vector<std::string> out;
    for (auto& i : link.items())
      if (auto ev = std::get_if<event_ptr>(&i))
        if (auto p = std::get_if<presence_entry>(&(*ev)->payload()))
          out.push_back(p->user + (p->online ? ":online"
                                             : ":offline@" + std::to_string(p->last_seen)));
    return out;
  }

  static std::vector<room_update> room_updates(recording_link& link) {
    std::vector<room_update> out;
    for (auto& i : link.items())
      if (auto ev = std::get_if<event_ptr>(&i))
        if (auto u = std::get_if<room_update>(&(*ev)->payload()))
          out.push_back(*u);
    return out;
  }

  static const ok_presence* presence_reply(recording_link& link) {
    auto items = link.items();
    static ok_presence last;
    for (auto& i : items)
      if (auto r = std::get_if<reply>(&i))
        if (auto p = std::get_if<ok_presence>(&r->body))
          last = *p;
    return &last;
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(presence_tests, presence_fixture)

CAF_TEST(a user is online while any session lives and offline only after the grace) {
  start();
  auto watcher = connect("w");
  request(watcher, presence_req{{"alice"}});
  CAF_REQUIRE_EQUAL(presence_reply(*watcher.link)->presence.size(), 1u);
  CAF_CHECK(!presence_reply(*watcher.link)->presence[0].online);
  auto tab1 = connect("alice");
  auto tab2 = connect("alice");
  CAF_CHECK_EQUAL(presence_events(*watcher.link), (std::vector<std::string>{"alice:online"}));
  disconnect(tab1);
  disconnect(tab2);
  advance_time(std::chrono::milliseconds{4'900});
  consume_messages();
  CAF_CHECK_EQUAL(presence_events(*watcher.link).size(), 1u);  // not yet
  now_ms += 5'000;
  advance_time(std::chrono::milliseconds{200});
  consume_messages();
  auto want = "alice:offline@" + std::to_string(now_ms);
  CAF_CHECK_EQUAL(presence_events(*watcher.link),
                  (std::vector<std::string>{"alice:online", want}));
  // last_seen is stored.
  std::vector<std::string> users{"alice"};
  auto seen = db->last_seen(users);
  CAF_REQUIRE(seen.ok());
  CAF_CHECK_EQUAL(seen.value().at(0).last_seen, now_ms);
}

CAF_TEST(a session that comes back within the grace period causes no event) {
  start();
  auto watcher = connect("w");
  request(watcher, presence_req{{"bob"}});
  auto first = connect("bob");
  disconnect(first);
  advance_time(std::chrono::seconds{2});
  consume_messages();
  auto second = connect("bob");  // a page reload
  advance_time(std::chrono::seconds{10});
  consume_messages();
  CAF_CHECK_EQUAL(presence_events(*watcher.link), (std::vector<std::string>{"bob:online"}));
}

CAF_TEST(grace periods that end at different times each end on time) {
  // One timer serves all the grace periods running (the front's): each user still goes
  // offline at the end of their own, and a user who came back is skipped.
  start();
  auto watcher = connect("w");
  request(watcher, presence_req{{"a", "b", "c"}});
  auto a = connect("a");
  auto b = connect("b");
  auto c = connect("c");
  auto step = [&](int ms) {
    now_ms += ms;
    advance_time(std::chrono::milliseconds{ms});
    consume_messages();
  };
  auto offline = [&] {
    std::vector<std::string> out;
    for (auto& e : presence_events(*watcher.link))
      if (e.find(":offline@") != std::string::npos)
        out.push_back(e.substr(0, e.find('@')));
    return out;
  };
  disconnect(a);  // t = 0: a's grace ends at 5 s
  step(2'000);
  disconnect(b);  // b's at 7 s
  step(1'000);
  disconnect(c);  // c's at 8 s
  step(1'900);    // 4.9 s
  CAF_CHECK(offline().empty());
  step(200);      // 5.1 s
  CAF_CHECK_EQUAL(offline(), (std::vector<std::string>{"a:offline"}));
  auto a_seen = now_ms;
  auto c2 = connect("c");  // c is back within its grace period
  step(1'800);    // 6.9 s
  CAF_CHECK_EQUAL(offline().size(), 1u);
  step(200);      // 7.1 s
  CAF_CHECK_EQUAL(offline(), (std::vector<std::string>{"a:offline", "b:offline"}));
  auto b_seen = now_ms;
  step(5'000);
  CAF_CHECK_EQUAL(offline(), (std::vector<std::string>{"a:offline", "b:offline"}));
  std::vector<std::string> users{"a", "b"};
  auto seen = db->last_seen(users);
  CAF_REQUIRE(seen.ok());
  CAF_REQUIRE_EQUAL(seen.value().size(), 2u);
  CAF_CHECK_EQUAL(seen.value().at(0).last_seen, a_seen);
  CAF_CHECK_EQUAL(seen.value().at(1).last_seen, b_seen);
}

CAF_TEST(last_seen of users not in memory comes from storage) {
  start();
  std::vector<storage::user_seen> seen{{"carol", 1234}};
  CAF_REQUIRE(db->set_last_seen(seen).ok());
  auto watcher = connect("w");
  request(watcher, presence_req{{"carol", "never"}});
  auto reply = presence_reply(*watcher.link);
  CAF_REQUIRE_EQUAL(reply->presence.size(), 2u);
  CAF_CHECK_EQUAL(reply->presence[0].last_seen, 1234);
  CAF_CHECK_EQUAL(reply->presence[1].last_seen, 0);
}

CAF_TEST(members who are connected get room events at most once a second) {
  start();
  make_room("r1", {"alice", "bob"});
  auto bob = connect("bob");  // connected, never joined the room
  auto r = room("r1");
  CAF_REQUIRE(ok(send(r, "alice", "m1")));
  auto updates = room_updates(*bob.link);
  CAF_REQUIRE_EQUAL(updates.size(), 1u);
  CAF_CHECK_EQUAL(updates[0].head, 1);
  CAF_CHECK_EQUAL(updates[0].unread, 1);
  CAF_REQUIRE(updates[0].last.has_value());
  CAF_CHECK_EQUAL(updates[0].last->msg.seq, 1);
  for (int i = 2; i <= 5; ++i)
    CAF_REQUIRE(ok(send(r, "alice", "m" + std::to_string(i))));
  CAF_CHECK_EQUAL(room_updates(*bob.link).size(), 1u);  // held back ...
  advance_time(std::chrono::seconds{1});
  consume_messages();
  updates = room_updates(*bob.link);
  CAF_REQUIRE_EQUAL(updates.size(), 2u);  // ... then one with the latest state
  CAF_CHECK_EQUAL(updates[1].head, 5);
  CAF_CHECK_EQUAL(updates[1].unread, 5);
}

CAF_TEST(a restarted room makes the lines it can and storage the others) {
  make_room("r1", {"alice", "bob", "carol"});
  // A log from before the restart: 20 messages of alice; bob has read up to 18, carol
  // nothing. The room loads only its latest 4 events (17-20).
  std::vector<storage::event> old;
  for (int64_t seq = 1; seq <= 20; ++seq)
    old.push_back({.room = "r1", .seq = seq, .kind = storage::event_kind::msg,
                   .sender = "alice", .cid = "old" + std::to_string(seq), .body = "b",
                   .subtype = "text", .ts = now_ms});
  auto out = db->write(std::vector<storage::room_writes>{
    {.room = "r1", .events = old, .reads = {{"bob", 18}}}});
  CAF_REQUIRE_EQUAL(out.at(0).message, "");
  cfg.room.tail_events = 4;
  start();
  auto bob = connect("bob");
  auto carol = connect("carol");
  CAF_REQUIRE(ok(send(room("r1"), "alice", "m21")));
  // bob's unread messages (19-21) were all seen by the room: his line is made there.
  // carol's marker (0) is before what it loaded: hers comes from storage. Both the same.
  for (auto* c : {&bob, &carol}) {
    auto updates = room_updates(*c->link);
    CAF_REQUIRE_EQUAL(updates.size(), 1u);
    CAF_CHECK_EQUAL(updates[0].head, 21);
    CAF_REQUIRE(updates[0].last.has_value());
    CAF_CHECK_EQUAL(updates[0].last->msg.seq, 21);
    CAF_CHECK_EQUAL(updates[0].last->msg.cid, "m21");
  }
  CAF_CHECK_EQUAL(room_updates(*bob.link)[0].unread, 3);
  CAF_CHECK_EQUAL(room_updates(*carol.link)[0].unread, 21);
}

CAF_TEST(a line the room made while storage was asked is not overwritten by the answer) {
  make_room("r1", {"alice", "carol"});
  std::vector<storage::event> old;
  for (int64_t seq = 1; seq <= 5; ++seq)
    old.push_back({.room = "r1", .seq = seq, .kind = storage::event_kind::msg,
                   .sender = "alice", .cid = "c" + std::to_string(seq), .body = "b",
                   .subtype = "text", .ts = now_ms});
  CAF_REQUIRE_EQUAL(db->write(std::vector<storage::room_writes>{{.room = "r1", .events = old}})
                      .at(0).message, "");
  start();
  auto carol = connect("carol");
  // The room asks storage for carol's line (5 unread), then, before the answer, has made
  // a newer one itself (she read everything): the answer must not undo it.
  auto p = broker->presence();
  self->send(p, room_atom::value, conversation_notice{"r1", 5, std::nullopt, {}, {"carol"}});
  self->send(p, room_atom::value, conversation_notice{"r1", 5, std::nullopt, {{"carol", 0}}, {}});
  consume_messages();
  auto updates = room_updates(*carol.link);
  CAF_REQUIRE_EQUAL(updates.size(), 1u);
  CAF_CHECK_EQUAL(updates[0].unread, 0);
  // Asked alone, storage answers as before.
  self->send(p, room_atom::value, conversation_notice{"r1", 5, std::nullopt, {}, {"carol"}});
  consume_messages();
  updates = room_updates(*carol.link);
  CAF_REQUIRE_EQUAL(updates.size(), 2u);
  CAF_CHECK_EQUAL(updates[1].unread, 5);
}

CAF_TEST(presence requests are validated) {
  start();
  auto c = connect("w");
  request(c, presence_req{});
  auto items = c.link->items();
  auto& err = std::get<error_info>(std::get<reply>(items.back()).body);
  CAF_CHECK_EQUAL(err.code, error_code::bad_request);
}

CAF_TEST(a disconnect sent right after a session is spawned closes it) {
  // A connection writes hello as soon as its session is spawned; the backend may ask to
  // disconnect the user before the session's own start has run on a scheduler thread. The
  // session's `online` must already be ahead of that request in presence's mailbox.
  start();
  auto link = std::make_shared<recording_link>();
  auto session = broker->spawn_session("dora", link);
  auto closed = ask<int64_t>(broker->presence(), disconnect_atom::value, std::string{"dora"});
  CAF_REQUIRE(std::holds_alternative<int64_t>(closed));
  CAF_CHECK_EQUAL(std::get<int64_t>(closed), 1);
  CAF_CHECK(link->closed() == close_code::forbidden);
}

CAF_TEST_FIXTURE_SCOPE_END()
