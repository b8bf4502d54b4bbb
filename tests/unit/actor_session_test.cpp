#define CAF_SUITE actor_session
#include "actor_fixture.hpp"

using namespace parley;
using namespace parley::actors;
using namespace parley::test;

namespace {

struct session_fixture : actor_fixture {
  std::shared_ptr<recording_link> link = std::make_shared<recording_link>();
  caf::actor session;
  int64_t next_id = 1;

  void open_session(const std::string& user) {
    session = broker->spawn_session(user, link);
    consume_messages();
  }

  /// Sends a request frame as the connection would, runs the actors, returns the id used.
  /// `lane`: as a catch-up request holding a slot of the connection's lane.
  int64_t request(actors::request req, bool with_id = true, bool lane = false) {
    auto id = next_id++;
    inbound in{with_id ? request_id::of(id) : request_id{}, std::move(req)};
    in.lane = lane;
    self->send(session, std::move(in));
    consume_messages();
    return id;
  }

  /// A directory that holds every lookup until the test tells it to answer (flush, i,
  /// room): requests to rooms then wait as long as the test wants.
  caf::actor silent_directory() {
    return sys.spawn([held = held_lookups](caf::event_based_actor* s) -> caf::behavior {
      return {
        [held, s](get_room_atom, const std::string&) {
          auto rp = s->make_response_promise<caf::actor>();
          held->push_back(rp);
          return rp;
        },
        [held](flush_atom, size_t i, caf::actor& r) { (*held)[i].deliver(r); },
      };
    });
  }
  std::shared_ptr<std::vector<caf::typed_response_promise<caf::actor>>> held_lookups =
    std::make_shared<std::vector<caf::typed_response_promise<caf::actor>>>();

  /// A session of `user` whose room lookups go to `directory`.
  void open_session_with(const std::string& user, caf::actor directory) {
    auto scfg = std::make_shared<session_config>(cfg.session);
    scfg->directory = std::move(directory);
    scfg->presence = broker->presence();
    session = sys.spawn(session_actor, user, link, std::shared_ptr<const session_config>{scfg},
                        caf::actor{});
    consume_messages();
  }

  /// The error code of the last reply, or "ok".
  std::string last_reply() {
    auto items = link->items();
    for (auto i = items.rbegin(); i != items.rend(); ++i)
      if (auto r = std::get_if<reply>(&*i)) {
        if (auto e = std::get_if<error_info>(&r->body))
          return to_string(e->code);
        return "ok";
      }
    return "none";
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(session_tests, session_fixture)

CAF_TEST(requests reach the room and replies carry their id) {
  start();
  make_room("r1", {"alice", "bob"});
  open_session("alice");
  request(join_req{"r1", std::nullopt});
  request(send_req{"r1", "c1", "hello", "text", 0, ""});
  auto items = link->items();
  // The join ok, the msg event and the send ok (in any order); a conversation-list `room`
  // event for alice may come too.
  std::erase_if(items, [](const recording_link::item& i) {
    auto ev = std::get_if<event_ptr>(&i);
    return ev && std::holds_alternative<room_update>((*ev)->payload());
  });
  CAF_REQUIRE_EQUAL(items.size(), 3u);
  int oks = 0;
  for (auto& i : items)
    if (auto r = std::get_if<reply>(&i)) {
      CAF_CHECK(r->id.present());
      if (auto s = std::get_if<ok_send>(&r->body)) {
        CAF_CHECK_EQUAL(s->seq, 1);
        CAF_CHECK_EQUAL(r->id.integer, 2);
        ++oks;
      }
    }
  CAF_CHECK_EQUAL(oks, 1);
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1}));
}

CAF_TEST(invalid requests are refused before reaching a room) {
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  request(send_req{"r1", "", "x", "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "bad_request");  // empty cid
  request(send_req{"r1", std::string(65, 'c'), "x", "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "bad_request");  // cid over 64 bytes
  request(send_req{"r1", "c", std::string(cfg.session.limits.max_body + 1, 'b'), "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "too_large");
  request(send_req{"bad room!", "c", "x", "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "bad_request");
  request(history_req{"r1", std::nullopt, std::nullopt, 101});
  CAF_CHECK_EQUAL(last_reply(), "bad_request");
  request(history_req{"r1", 5, 3, 10});
  CAF_CHECK_EQUAL(last_reply(), "bad_request");
  request(send_req{"r1", "c", std::string("nul\0byte", 8), "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "bad_request");  // no store can keep U+0000 in text
  CAF_CHECK(stored_seqs("r1").empty());
}

CAF_TEST(requests without an id get errors but no ok) {
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  request(typing_req{"r1", true}, false);
  CAF_CHECK(link->items().empty());
  request(typing_req{"nope", true}, false);
  CAF_CHECK_EQUAL(last_reply(), "not_found");
}

CAF_TEST(the token bucket refuses bursts with a retry hint) {
  cfg.session.rate_per_s = 1;
  cfg.session.rate_burst = 2;
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  request(typing_req{"r1", true});
  request(typing_req{"r1", true});
  CAF_CHECK_EQUAL(last_reply(), "ok");
  request(typing_req{"r1", true});
  CAF_CHECK_EQUAL(last_reply(), "rate_limited");
  auto items = link->items();
  auto& err = std::get<error_info>(std::get<reply>(items.back()).body);
  CAF_CHECK_GREATER(err.retry_after_ms, 0);
  CAF_CHECK_LESS_OR_EQUAL(err.retry_after_ms, 1001);
  advance_time(std::chrono::seconds{1});
  consume_messages();
  request(typing_req{"r1", true});
  CAF_CHECK_EQUAL(last_reply(), "ok");
}

CAF_TEST(the rate limit is per user across all sessions of the user) {
  cfg.session.rate_per_s = 1;
  cfg.session.rate_burst = 2;
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  auto other_link = std::make_shared<recording_link>();
  auto other = broker->spawn_session("alice", other_link);
  request(typing_req{"r1", true});
  self->send(other, inbound{request_id::of(int64_t{9}), typing_req{"r1", true}});
  consume_messages();
  request(typing_req{"r1", true});  // the third of the user's requests: refused
  CAF_CHECK_EQUAL(last_reply(), "rate_limited");
  // Another user is not affected.
  auto bob_link = std::make_shared<recording_link>();
  auto bob = broker->spawn_session("bob", bob_link);
  self->send(bob, inbound{request_id::of(int64_t{1}), ping_req{}});
  consume_messages();
  CAF_CHECK(!bob_link->items().empty());
  auto items = bob_link->items();
  CAF_CHECK(std::holds_alternative<pong>(std::get<reply>(items.back()).body));
}

CAF_TEST(joining more rooms than allowed is refused) {
  cfg.session.max_rooms = 2;
  start();
  for (auto id : {"a", "b", "c"})
    make_room(id, {"alice"});
  open_session("alice");
  request(join_req{"a", std::nullopt});
  request(join_req{"b", std::nullopt});
  request(join_req{"c", std::nullopt});
  CAF_CHECK_EQUAL(last_reply(), "too_large");
  request(join_req{"a", std::nullopt});  // re-joining a joined room is fine
  CAF_CHECK_EQUAL(last_reply(), "ok");
  request(leave_req{"b"});
  request(join_req{"c", std::nullopt});
  CAF_CHECK_EQUAL(last_reply(), "ok");
}

CAF_TEST(a send to a room that stopped meanwhile is retried through the directory) {
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  request(send_req{"r1", "c1", "x", "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "ok");
  auto old = room("r1");
  self->send_exit(old, caf::exit_reason::kill);  // gone, but the directory may not know yet
  request(send_req{"r1", "c2", "y", "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "ok");
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2}));
}

CAF_TEST(a joined room that dies closes the connection so the client resumes) {
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  request(join_req{"r1", std::nullopt});
  self->send_exit(room("r1"), caf::exit_reason::kill);
  consume_messages();
  CAF_REQUIRE(link->closed());
  CAF_CHECK(*link->closed() == close_code::going_away);
}

CAF_TEST(the presence registry counts sessions until they end) {
  start();
  open_session("alice");
  auto second = broker->spawn_session("alice", std::make_shared<recording_link>());
  consume_messages();
  auto count = [&] {
    auto r = ask<int64_t>(broker->presence(), count_atom::value, std::string{"alice"});
    return std::get<int64_t>(r);
  };
  CAF_CHECK_EQUAL(count(), 2);
  self->send_exit(second, caf::exit_reason::user_shutdown);
  consume_messages();
  CAF_CHECK_EQUAL(count(), 1);
}

CAF_TEST(a request nobody answers times out and frees its slot; a late answer is dropped) {
  cfg.session.request_timeout = std::chrono::seconds{4};
  cfg.session.max_requests_in_flight = 1;
  cfg.session.announce_presence = false;
  start();
  make_room("r1", {"alice"});
  auto silent = silent_directory();
  auto& held = held_lookups;
  open_session_with("alice", silent);
  request(send_req{"r1", "c1", "late", "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "none");
  for (int i = 0; i < 3; ++i) {  // 3 s: not yet
    advance_time(std::chrono::seconds{1});
    consume_messages();
  }
  CAF_CHECK_EQUAL(last_reply(), "none");
  for (int i = 0; i < 3; ++i) {  // by 6 s (the timeout plus a sweep period) it has
    advance_time(std::chrono::seconds{1});
    consume_messages();
  }
  CAF_CHECK_EQUAL(last_reply(), "unavailable");
  auto replies = link->items().size();
  // Its slot is free again (max_requests_in_flight is 1): this one is taken and waits.
  request(send_req{"r1", "c2", "next", "text", 0, ""});
  CAF_CHECK_EQUAL(link->items().size(), replies);
  CAF_REQUIRE_EQUAL(held->size(), 2u);
  // The late answer to the first lookup must not send what the client was told to retry.
  self->send(silent, flush_atom::value, size_t{0}, room("r1"));
  consume_messages();
  CAF_CHECK(stored_seqs("r1").empty());
  CAF_CHECK_EQUAL(link->items().size(), replies);
  self->send(silent, flush_atom::value, size_t{1}, room("r1"));
  consume_messages();
  CAF_CHECK_EQUAL(last_reply(), "ok");
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1}));
  self->send_exit(silent, caf::exit_reason::user_shutdown);
}

CAF_TEST(a link with a tick sweeps for its session instead of a timer while requests wait) {
  cfg.session.request_timeout = std::chrono::seconds{4};
  cfg.session.announce_presence = false;
  start();
  make_room("r1", {"alice"});
  link->has_tick = true;
  auto silent = silent_directory();
  open_session_with("alice", silent);
  CAF_CHECK(!link->sweeps_wanted);
  request(send_req{"r1", "c1", "late", "text", 0, ""});
  CAF_CHECK(link->sweeps_wanted);  // a request waits: the link's tick is asked to sweep
  // No CAF timer was armed: past the timeout nothing answers until a tick's sweep comes.
  for (int i = 0; i < 6; ++i) {
    advance_time(std::chrono::seconds{1});
    consume_messages();
  }
  CAF_CHECK_EQUAL(last_reply(), "none");
  self->send(session, sweep_atom::value);  // what the connection's tick sends
  consume_messages();
  CAF_CHECK_EQUAL(last_reply(), "unavailable");
  CAF_CHECK(!link->sweeps_wanted);  // nothing waits any more
  // A request answered in time turns the sweeps on, and off again with its answer.
  request(send_req{"r1", "c2", "next", "text", 0, ""});
  CAF_CHECK(link->sweeps_wanted);
  CAF_REQUIRE_EQUAL(held_lookups->size(), 2u);
  self->send(silent, flush_atom::value, size_t{1}, room("r1"));
  consume_messages();
  CAF_CHECK_EQUAL(last_reply(), "ok");
  CAF_CHECK(!link->sweeps_wanted);
  self->send_exit(silent, caf::exit_reason::user_shutdown);
}

CAF_TEST(a catch-up request gives its slot back once whether answered or refused or timed out) {
  cfg.session.request_timeout = std::chrono::seconds{4};
  cfg.session.announce_presence = false;
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  request(join_req{"r1", std::nullopt}, true, true);
  CAF_CHECK_EQUAL(last_reply(), "ok");
  CAF_CHECK_EQUAL(link->lane_done_calls.load(), 1);
  request(history_req{"r1", std::nullopt, std::nullopt, 10}, true, true);
  CAF_CHECK_EQUAL(last_reply(), "ok");
  CAF_CHECK_EQUAL(link->lane_done_calls.load(), 2);
  request(send_req{"r1", "c1", "hi", "text", 0, ""});  // not a catch-up request
  CAF_CHECK_EQUAL(last_reply(), "ok");
  CAF_CHECK_EQUAL(link->lane_done_calls.load(), 2);
  request(history_req{"no room!", std::nullopt, std::nullopt, 10}, true, true);  // refused before the room
  CAF_CHECK_EQUAL(last_reply(), "bad_request");
  CAF_CHECK_EQUAL(link->lane_done_calls.load(), 3);
  request(join_req{"r1", std::nullopt}, false, true);  // no id: no ok, but the slot comes back
  CAF_CHECK_EQUAL(link->lane_done_calls.load(), 4);
  // Nobody answers: the slot comes back with the timeout, and not again with the late answer.
  auto silent = silent_directory();
  open_session_with("alice", silent);
  request(join_req{"r1", std::nullopt}, true, true);
  CAF_CHECK_EQUAL(link->lane_done_calls.load(), 4);
  for (int i = 0; i < 6; ++i) {
    advance_time(std::chrono::seconds{1});
    consume_messages();
  }
  CAF_CHECK_EQUAL(last_reply(), "unavailable");
  CAF_CHECK_EQUAL(link->lane_done_calls.load(), 5);
  CAF_REQUIRE_EQUAL(held_lookups->size(), 1u);
  self->send(silent, flush_atom::value, size_t{0}, room("r1"));
  consume_messages();
  CAF_CHECK_EQUAL(link->lane_done_calls.load(), 5);
  self->send_exit(silent, caf::exit_reason::user_shutdown);
}

CAF_TEST(sends without joining learn the room once and skip the directory afterwards) {
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  request(send_req{"r1", "c1", "x", "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "ok");
  // From now on the session goes to the room directly: a directory that is gone does not
  // matter to it (it would answer request_receiver_down otherwise).
  self->send_exit(broker->directory(), caf::exit_reason::kill);
  consume_messages();
  request(send_req{"r1", "c2", "y", "text", 0, ""});
  CAF_CHECK_EQUAL(last_reply(), "ok");
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2}));
}

CAF_TEST(joins the room has not answered yet count toward the limit) {
  cfg.session.max_rooms = 2;
  start();
  make_room("a", {"alice"});
  make_room("b", {"alice"});
  make_room("c", {"alice"});
  open_session("alice");
  // Back to back, as a client does that sends its next join on the first one's `ok`
  // (which the room sends before the session hears back).
  for (auto room : {"a", "b", "c"})
    self->send(session, inbound{request_id::of(next_id++), join_req{room, std::nullopt}});
  consume_messages();
  std::vector<std::string> oks;
  std::vector<std::string> errors;
  for (auto& i : link->items())
    if (auto r = std::get_if<reply>(&i)) {
      if (auto ok = std::get_if<ok_join>(&r->body))
        oks.push_back(ok->room);
      if (auto e = std::get_if<error_info>(&r->body))
        errors.push_back(to_string(e->code));
    }
  CAF_CHECK_EQUAL(oks, (std::vector<std::string>{"a", "b"}));
  CAF_CHECK_EQUAL(errors, (std::vector<std::string>{"too_large"}));
}

CAF_TEST(a leave sent before the join was answered unsubscribes) {
  start();
  make_room("r1", {"alice", "bob"});
  open_session("alice");
  self->send(session, inbound{request_id::of(next_id++), join_req{"r1", std::nullopt}});
  self->send(session, inbound{request_id::of(next_id++), leave_req{"r1"}});
  consume_messages();
  auto bob_link = std::make_shared<recording_link>();
  auto bob = broker->spawn_session("bob", bob_link);
  consume_messages();
  self->send(bob, inbound{request_id::of(1), send_req{"r1", "c1", "after", "text", 0, ""}});
  consume_messages();
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1}));
  CAF_CHECK(link->seqs().empty());  // alice left: no event reaches her
  // and she can join again (her session does not think she is still in)
  request(join_req{"r1", std::nullopt});
  CAF_CHECK_EQUAL(last_reply(), "ok");
}

CAF_TEST(the requests of one read come as one batch and are taken in order) {
  start();
  make_room("r1", {"alice"});
  open_session("alice");
  inbound_batch batch;
  auto add = [&](actors::request req) {
    batch.requests.push_back(inbound{request_id::of(next_id++), std::move(req)});
  };
  add(join_req{"r1", std::nullopt});
  add(send_req{"r1", "c1", "one", "text", 0, ""});
  add(send_req{"r1", "", "no cid", "text", 0, ""});  // refused alone
  add(send_req{"r1", "c2", "two", "text", 0, ""});
  add(send_req{"r1", "c1", "one again", "text", 0, ""});  // the same cid: the same seq
  self->send(session, std::move(batch));
  consume_messages();
  std::map<int64_t, std::string> answers;  // request id -> "ok <seq>" or the error code
  for (auto& i : link->items())
    if (auto r = std::get_if<reply>(&i)) {
      if (auto s = std::get_if<ok_send>(&r->body))
        answers[r->id.integer] = "ok " + std::to_string(s->seq);
      else if (auto e = std::get_if<error_info>(&r->body))
        answers[r->id.integer] = to_string(e->code);
      else
        answers[r->id.integer] = "ok";
    }
  CAF_CHECK_EQUAL(answers, (std::map<int64_t, std::string>{
                             {1, "ok"}, {2, "ok 1"}, {3, "bad_request"}, {4, "ok 2"}, {5, "ok 1"}}));
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1, 2}));  // live, after the join
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2}));
}

CAF_TEST_FIXTURE_SCOPE_END()
