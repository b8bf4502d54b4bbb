#define CAF_SUITE actor_room

#include "actor_fixture.hpp"

#include <algorithm>
#include <initializer_list>
#include <set>

#include "actors/directory.hpp"
#include "actors/metrics.hpp"
#include "actors/reader.hpp"
#include "actors/room.hpp"
#include "actors/writer.hpp"

using namespace parley;
using namespace parley::actors;
using namespace parley::test;

namespace {

/// A reader stand-in that answers loads at once but holds replays until released, so a
/// test can commit live events while a subscriber's replay is still in flight.
using release_atom = caf::atom_constant<caf::atom("release")>;

struct held_replay {
  caf::response_promise rp;
  std::string room;
  int64_t after;
  int64_t limit;
};

caf::behavior gated_reader(caf::event_based_actor* self, caf::actor real,
                           std::shared_ptr<std::vector<held_replay>> held) {
  return {
    [=](load_atom a, const std::string& id, int64_t n) { return self->delegate(real, a, id, n); },
    [=](replay_atom, const std::string& id, int64_t after, int64_t limit) {
      auto rp = self->make_response_promise();
      held->push_back({rp, id, after, limit});
      return rp;
    },
    [=](release_atom) {
      for (auto& h : *held)
        h.rp.delegate(real, replay_atom::value, h.room, h.after, h.limit);
      held->clear();
    },
  };
}

/// Each of the sends behind `handles` failed with the retryable `unavailable`.
template <class Handle>
void expect_unavailable(std::initializer_list<Handle*> handles) {
  for (auto* h : handles)
    h->receive([&](ok_send&) { CAF_FAIL("acked a failed write"); },
               [&](caf::error& e) {
                 auto info = to_error_info(e);
                 CAF_CHECK_EQUAL(info.code, error_code::unavailable);
                 CAF_CHECK(is_retryable(info.code));
               });
}

}  // namespace

CAF_TEST_FIXTURE_SCOPE(room_tests, actor_fixture)

CAF_TEST(seq is assigned per room without gaps and acked after the commit) {
  start();
  auto link = std::make_shared<recording_link>();
  auto r = room_bob_watches(link);
  for (int i = 1; i <= 3; ++i) {
    auto res = send(r, "alice", "c" + std::to_string(i));
    CAF_REQUIRE(ok(res));
    CAF_CHECK_EQUAL(ok(res)->seq, i);
    CAF_CHECK_EQUAL(ok(res)->ts, now_ms);
  }
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2, 3}));
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1, 2, 3}));
}

CAF_TEST(concurrent sends share one group commit and keep their order) {
  start();
  auto link = std::make_shared<recording_link>();
  auto r = room_bob_watches(link);
  link->clear();
  auto writes_before = plan->writes.load();
  std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> handles;
  for (int i = 0; i < 5; ++i)
    handles.push_back(self->request(r, caf::infinite, send_atom::value, std::string{"alice"},
                                    msg("r1", "c" + std::to_string(i))));
  consume_messages();
  for (int i = 0; i < 5; ++i)
    handles[i].receive([&](ok_send& s) { CAF_CHECK_EQUAL(s.seq, i + 1); },
                       [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  // All five were in the writer's mailbox before its flush: one transaction ...
  CAF_CHECK_EQUAL(plan->writes.load() - writes_before, 1);
  // ... which reaches a subscriber in order, handed over in one call.
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  CAF_CHECK_EQUAL(link->delivery_calls(), (std::vector<size_t>{5}));
}

CAF_TEST(a resent cid answers the original seq and creates nothing) {
  start();
  auto link = std::make_shared<recording_link>();
  auto r = room_bob_watches(link);
  auto first = send(r, "alice", "same", "one");
  now_ms += 5000;
  auto again = send(r, "alice", "same", "one");
  CAF_REQUIRE(ok(first) && ok(again));
  CAF_CHECK_EQUAL(ok(again)->seq, ok(first)->seq);
  CAF_CHECK_EQUAL(ok(again)->ts, ok(first)->ts);
  // The same cid from another user is another message.
  auto other = send(r, "bob", "same");
  CAF_REQUIRE(ok(other));
  CAF_CHECK_EQUAL(ok(other)->seq, 2);
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1, 2}));
}

CAF_TEST(a duplicate still in flight gets the outcome of the first) {
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  auto h1 = self->request(r, caf::infinite, send_atom::value, std::string{"alice"}, msg("r1", "x"));
  auto h2 = self->request(r, caf::infinite, send_atom::value, std::string{"alice"}, msg("r1", "x"));
  consume_messages();
  int64_t s1 = 0, s2 = 0;
  h1.receive([&](ok_send& s) { s1 = s.seq; }, [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  h2.receive([&](ok_send& s) { s2 = s.seq; }, [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  CAF_CHECK_EQUAL(s1, 1);
  CAF_CHECK_EQUAL(s2, 1);
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1}));
}

CAF_TEST(a cid older than the cache is recognised by the database) {
  cfg.room.cid_cache = 0;
  cfg.room.tail_events = 0;
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  auto first = send(r, "alice", "old");
  CAF_REQUIRE(ok(first));
  auto again = send(r, "alice", "old");
  CAF_REQUIRE(ok(again));
  CAF_CHECK_EQUAL(ok(again)->seq, 1);
  CAF_CHECK_EQUAL(ok(again)->ts, ok(first)->ts);
  // The room re-read its head after the refused batch: the next seq has no gap.
  auto next = send(r, "alice", "new");
  CAF_REQUIRE(ok(next));
  CAF_CHECK_EQUAL(ok(next)->seq, 2);
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2}));
}

CAF_TEST(the cid cache keeps the latest sends and storage answers for older ones) {
  cfg.room.cid_cache = 2;
  cfg.room.tail_events = 0;
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  for (auto cid : {"a", "b", "c"})
    CAF_REQUIRE(ok(send(r, "alice", cid)));
  auto& batches = global_metrics().writer_batches;
  auto before = batches.value();
  // The latest two are remembered: answered without a write.
  auto c = send(r, "alice", "c");
  CAF_REQUIRE(ok(c));
  CAF_CHECK_EQUAL(ok(c)->seq, 3);
  CAF_CHECK_EQUAL(batches.value(), before);
  // The oldest was forgotten: the database refuses the write and names the original.
  auto a = send(r, "alice", "a");
  CAF_REQUIRE(ok(a));
  CAF_CHECK_EQUAL(ok(a)->seq, 1);
  CAF_CHECK_GREATER(batches.value(), before);
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2, 3}));
  // ... and remembers it again.
  before = batches.value();
  auto a2 = send(r, "alice", "a");
  CAF_REQUIRE(ok(a2));
  CAF_CHECK_EQUAL(ok(a2)->seq, 1);
  CAF_CHECK_EQUAL(batches.value(), before);
}

CAF_TEST(a failed batch fails its sends and the next seq has no gap) {
  start();
  auto link = std::make_shared<recording_link>();
  auto r = room_bob_watches(link);
  CAF_REQUIRE(ok(send(r, "alice", "a")));
  plan->fail_writes = 1;
  auto h1 = self->request(r, caf::infinite, send_atom::value, std::string{"alice"}, msg("r1", "b"));
  auto h2 = self->request(r, caf::infinite, send_atom::value, std::string{"alice"}, msg("r1", "c"));
  consume_messages();
  expect_unavailable({&h1, &h2});
  // Nothing unstored was delivered, nothing was stored.
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1}));
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1}));
  // Right after the failure the writer fails fast (its breaker is down) ...
  CAF_CHECK(is_error(send(r, "alice", "b"), error_code::unavailable));
  // ... until its probe finds the store back and the room has re-read its head.
  advance_time(std::chrono::milliseconds{250});
  consume_messages();
  // The retry works and continues at 2.
  auto retry = send(r, "alice", "b");
  CAF_REQUIRE(ok(retry));
  CAF_CHECK_EQUAL(ok(retry)->seq, 2);
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1, 2}));
}

CAF_TEST(a write still waiting for its hand-over when a batch fails is failed and never stored) {
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  auto* room_job = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(r));
  CAF_REQUIRE(room_job != nullptr);
  auto step_room = [&] {
    CAF_REQUIRE(sched.prioritize(r));
    sched.run_once();
  };
  // Runs every actor but the room until only the room has messages waiting.
  auto run_all_but_room = [&] {
    for (;;) {
      auto other = std::find_if(sched.jobs.begin(), sched.jobs.end(),
                                [&](caf::resumable* j) { return j != room_job; });
      if (other == sched.jobs.end())
        return;
      std::iter_swap(sched.jobs.begin(), other);
      sched.run_once();
    }
  };
  plan->fail_writes = 1;
  auto h1 = self->request(r, caf::infinite, send_atom::value, std::string{"alice"}, msg("r1", "a"));
  step_room();  // takes a: into the outbox
  step_room();  // the outbox message: a goes to the writer
  auto h2 = self->request(r, caf::infinite, send_atom::value, std::string{"alice"}, msg("r1", "b"));
  run_all_but_room();  // the writer's batch of a fails: `failed` waits behind b
  step_room();         // takes b: into the outbox, not yet handed over
  CAF_CHECK_EQUAL(broker->writer_backlog(), 1);  // b: counted from when the room took it
  step_room();  // the failure: a and b fail, b never reaches the writer
  consume_messages();
  expect_unavailable({&h1, &h2});
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{}));
  CAF_CHECK_EQUAL(broker->writer_backlog(), 0);
  // Once the store is back, the retry of b takes the first seq.
  advance_time(std::chrono::milliseconds{250});
  consume_messages();
  auto retry = send(r, "alice", "b");
  CAF_REQUIRE(ok(retry));
  CAF_CHECK_EQUAL(ok(retry)->seq, 1);
}

CAF_TEST(a commit of unknown outcome is found on resync and delivered once) {
  start();
  auto link = std::make_shared<recording_link>();
  auto r = room_bob_watches(link);
  plan->doubtful_writes = 1;
  auto res = send(r, "alice", "maybe");
  CAF_CHECK(is_error(res, error_code::unavailable));
  advance_time(std::chrono::milliseconds{250});  // the breaker's back-off
  consume_messages();
  // It was committed after all: the resync delivered it to subscribers.
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1}));
  // The client retries with the same cid and gets the stored seq.
  auto retry = send(r, "alice", "maybe");
  CAF_REQUIRE(ok(retry));
  CAF_CHECK_EQUAL(ok(retry)->seq, 1);
  auto next = send(r, "alice", "next");
  CAF_REQUIRE(ok(next));
  CAF_CHECK_EQUAL(ok(next)->seq, 2);
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1, 2}));
}

CAF_TEST(writes are refused while the storage stays out of reach) {
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  plan->fail_writes = 1000;
  CAF_CHECK(is_error(send(r, "alice", "a"), error_code::unavailable));
  CAF_CHECK(is_error(send(r, "alice", "b"), error_code::unavailable));
  plan->fail_writes = 0;
  advance_time(std::chrono::seconds{6});  // the resync's back-off
  consume_messages();
  auto res = send(r, "alice", "c");
  CAF_REQUIRE(ok(res));
  CAF_CHECK_EQUAL(ok(res)->seq, 1);
}

CAF_TEST(during an outage sends fail fast and a probe brings the writer back) {
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  CAF_REQUIRE(ok(send(r, "alice", "a")));
  CAF_CHECK(broker->storage_healthy());
  plan->down = true;
  CAF_CHECK(is_error(send(r, "alice", "b"), error_code::unavailable));
  CAF_CHECK(!broker->storage_healthy());
  // While the breaker is down, further writes do not even reach the store.
  auto writes = plan->writes.load();
  advance_time(std::chrono::milliseconds{50});
  consume_messages();
  CAF_CHECK(is_error(send(r, "alice", "c"), error_code::unavailable));
  CAF_CHECK_EQUAL(plan->writes.load(), writes);
  // Probes back off while the store stays down ...
  auto pings = plan->pings.load();
  advance_time(std::chrono::seconds{3});
  consume_messages();
  CAF_CHECK_GREATER(plan->pings.load(), pings);
  CAF_CHECK(!broker->storage_healthy());
  // ... and find it back: healthy again without any traffic, and seq continues at 2.
  plan->down = false;
  advance_time(std::chrono::seconds{6});
  consume_messages();
  CAF_CHECK(broker->storage_healthy());
  auto res = send(r, "alice", "b");
  CAF_REQUIRE(ok(res));
  CAF_CHECK_EQUAL(ok(res)->seq, 2);
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2}));
}

CAF_TEST(rooms are spread over the writer pool by a stable hash) {
  CAF_CHECK_EQUAL(pool_index("r1", 1), 0u);
  CAF_CHECK_EQUAL(pool_index("r1", 4), pool_index("r1", 4));
  std::set<size_t> used;
  for (int i = 0; i < 64; ++i)
    used.insert(pool_index("room-" + std::to_string(i), 4));
  CAF_CHECK_EQUAL(used.size(), 4u);
  cfg.writers = 3;
  cfg.readers = 2;
  start();
  for (int i = 0; i < 6; ++i)
    make_room("r" + std::to_string(i), {"alice"});
  for (int i = 0; i < 6; ++i) {
    auto res = send(room("r" + std::to_string(i)), "alice", "c");
    CAF_REQUIRE(ok(res));
    CAF_CHECK_EQUAL(ok(res)->seq, 1);
  }
}

CAF_TEST(join answers not_found for unknown rooms and forbidden for non members) {
  start();
  make_room("r1", {"alice"});
  auto link = std::make_shared<recording_link>();
  CAF_CHECK(is_error(join(room("nope"), "alice", 1, link), error_code::not_found));
  CAF_CHECK(is_error(join(room("r1"), "mallory", 2, link), error_code::forbidden));
  CAF_CHECK(is_error(send(room("r1"), "mallory", "x"), error_code::forbidden));
}

CAF_TEST(join with since replays from memory then answers ok) {
  start();
  make_room("r1", {"alice", "bob"});
  auto r = room("r1");
  for (int i = 0; i < 4; ++i)
    send(r, "alice", "c" + std::to_string(i));
  auto link = std::make_shared<recording_link>();
  CAF_CHECK(ok(join(r, "bob", 7, link, 1)));
  CAF_CHECK_EQUAL(link->transcript(), (std::vector<std::string>{"e2", "e3", "e4", "ok_join"}));
  auto items = link->items();
  auto& okj = std::get<ok_join>(std::get<reply>(items.back()).body);
  CAF_CHECK_EQUAL(okj.head, 4);
  CAF_CHECK_EQUAL(okj.replayed, 3);
  CAF_CHECK(!okj.gap);
  CAF_CHECK(okj.has_reads);
}

CAF_TEST(join too far behind answers gap without replay) {
  cfg.room.replay_max = 2;
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  for (int i = 0; i < 5; ++i)
    send(r, "alice", "c" + std::to_string(i));
  auto link = std::make_shared<recording_link>();
  join(r, "alice", 7, link, 1);
  CAF_CHECK_EQUAL(link->transcript(), (std::vector<std::string>{"ok_join"}));
  auto items = link->items();
  auto& okj = std::get<ok_join>(std::get<reply>(items.back()).body);
  CAF_CHECK(okj.gap);
  CAF_CHECK_EQUAL(okj.replayed, 0);
}

CAF_TEST(a replay from storage holds live events back and keeps one ordered stream) {
  cfg.room.tail_events = 2;
  start();
  make_room("r1", {"alice", "bob"});
  // A room actor of our own, whose reader holds replays at a gate.
  auto held = std::make_shared<std::vector<held_replay>>();
  auto path = dir.file("parley.db");
  auto real = sys.spawn(reader_actor,
                        std::shared_ptr<storage::store>{
                          storage::open_store("sqlite:" + path).value().release()},
                        std::make_shared<std::atomic<int>>(0));
  auto reader = sys.spawn(gated_reader, real, held);
  auto writer = sys.spawn(writer_actor,
                          std::shared_ptr<storage::store>{
                            storage::open_store("sqlite:" + path).value().release()},
                          writer_config{});
  auto r = sys.spawn(room_actor, std::string{"r1"}, cfg.room, writer, reader, caf::actor{});
  consume_messages();
  for (int i = 1; i <= 5; ++i)
    CAF_REQUIRE(ok(send(r, "alice", "c" + std::to_string(i))));
  // bob resumes from seq 1: the tail holds only 4..5, so the replay goes to storage.
  auto link = std::make_shared<recording_link>();
  actors::join_args args{"bob", 9, link, 1, actors::request_id::of(int64_t{42})};
  auto jh = self->request(r, caf::infinite, join_atom::value, args);
  consume_messages();
  CAF_REQUIRE_EQUAL(held->size(), 1u);
  // Live traffic while the replay is in flight.
  CAF_REQUIRE(ok(send(r, "alice", "c6")));
  CAF_REQUIRE(ok(send(r, "alice", "c7")));
  CAF_CHECK(ask_void(r, typing_atom::value, std::string{"alice"}, true, uint64_t{1}) ==
            std::nullopt);
  CAF_CHECK(link->items().empty());  // nothing before the replay
  self->send(reader, release_atom::value);
  consume_messages();
  jh.receive([&](bool joined) { CAF_CHECK(joined); },
             [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  CAF_CHECK_EQUAL(link->transcript(),
                  (std::vector<std::string>{"e2", "e3", "e4", "e5", "ok_join", "e6", "e7",
                                            "t:alice"}));
  // And live events flow directly afterwards.
  CAF_REQUIRE(ok(send(r, "alice", "c8")));
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8}));
  for (auto a : {r, reader, real, writer})
    self->send_exit(a, caf::exit_reason::user_shutdown);
}

CAF_TEST(typing reaches the others and read markers only move forward) {
  start();
  make_room("r1", {"alice", "bob"});
  auto r = room("r1");
  auto alice = std::make_shared<recording_link>();
  auto bob = std::make_shared<recording_link>();
  join(r, "alice", 1, alice);
  join(r, "bob", 2, bob);
  alice->clear();
  bob->clear();
  CAF_CHECK(ask_void(r, typing_atom::value, std::string{"bob"}, true, uint64_t{2}) ==
            std::nullopt);
  CAF_CHECK_EQUAL(alice->transcript(), (std::vector<std::string>{"t:bob"}));
  CAF_CHECK(bob->transcript().empty());
  send(r, "alice", "m1");
  send(r, "alice", "m2");
  alice->clear();
  bob->clear();
  CAF_CHECK(ask_void(r, read_atom::value, std::string{"bob"}, int64_t{2}, uint64_t{2}) ==
            std::nullopt);
  CAF_CHECK_EQUAL(alice->transcript(), (std::vector<std::string>{"r:bob"}));
  CAF_CHECK(bob->transcript().empty());  // not back to the connection that read
  // Backwards: accepted, no event, marker unchanged; beyond head: clamped.
  CAF_CHECK(ask_void(r, read_atom::value, std::string{"bob"}, int64_t{1}, uint64_t{2}) ==
            std::nullopt);
  CAF_CHECK(ask_void(r, read_atom::value, std::string{"bob"}, int64_t{99}, uint64_t{2}) ==
            std::nullopt);
  auto rec = db->load_room("r1");
  for (auto& m : rec.value()->members)
    if (m.user == "bob")
      CAF_CHECK_EQUAL(m.read_seq, 2);
  CAF_CHECK_EQUAL(alice->transcript(), (std::vector<std::string>{"r:bob"}));
}

CAF_TEST(an idle room stops and the directory starts a fresh one) {
  start();
  make_room("r1", {"alice"});
  auto r1 = room("r1");
  send(r1, "alice", "a");
  advance_time(std::chrono::seconds{61});
  consume_messages();
  auto r2 = room("r1");
  CAF_CHECK_NOT_EQUAL(r1.id(), r2.id());
  // The new actor knows the head and the cids.
  auto again = send(r2, "alice", "a");
  CAF_REQUIRE(ok(again));
  CAF_CHECK_EQUAL(ok(again)->seq, 1);
  auto next = send(r2, "alice", "b");
  CAF_REQUIRE(ok(next));
  CAF_CHECK_EQUAL(ok(next)->seq, 2);
}

CAF_TEST(a subscribed room does not stop and a gone session is unsubscribed) {
  start();
  make_room("r1", {"alice"});
  auto r1 = room("r1");
  auto link = std::make_shared<recording_link>();
  join(r1, "alice", 1, link);
  advance_time(std::chrono::seconds{120});
  consume_messages();
  CAF_CHECK_EQUAL(room("r1").id(), r1.id());
  CAF_CHECK(!ask_void(r1, leave_atom::value, uint64_t{1}));
  advance_time(std::chrono::seconds{61});
  consume_messages();
  CAF_CHECK_NOT_EQUAL(room("r1").id(), r1.id());
}

CAF_TEST(create makes a room with the creator as admin and refuses a taken id) {
  start();
  create_req req;
  req.room = std::string{"team"};
  req.members = {"bob", "alice"};
  req.title = "Team";
  auto res = ask<ok_create>(broker->directory(), create_atom::value, std::string{"alice"}, req);
  CAF_REQUIRE(ok(res));
  CAF_CHECK_EQUAL(ok(res)->room, "team");
  auto rec = db->load_room("team");
  CAF_REQUIRE(rec.value());
  CAF_CHECK_EQUAL(rec.value()->members.size(), 2u);
  for (auto& m : rec.value()->members)
    CAF_CHECK_EQUAL(m.role == storage::member_role::admin, m.user == "alice");
  auto again = ask<ok_create>(broker->directory(), create_atom::value, std::string{"bob"}, req);
  CAF_CHECK(is_error(again, error_code::conflict));
  // Without an id the server picks one.
  create_req anon;
  auto picked = ask<ok_create>(broker->directory(), create_atom::value, std::string{"bob"}, anon);
  CAF_REQUIRE(ok(picked));
  CAF_CHECK(ok(picked)->room.rfind("r-", 0) == 0);
}

CAF_TEST(a room looked up before it was created answers after the create) {
  start();
  auto link = std::make_shared<recording_link>();
  CAF_CHECK(is_error(join(room("late"), "alice", 1, link), error_code::not_found));
  create_req req;
  req.room = std::string{"late"};
  CAF_REQUIRE(ok(ask<ok_create>(broker->directory(), create_atom::value, std::string{"alice"},
                                req)));
  CAF_CHECK(ok(join(room("late"), "alice", 1, link)));
}

CAF_TEST(a lookup pipelined behind a create finds the new room) {
  start();
  create_req req;
  req.room = std::string{"fresh"};
  auto created = self->request(broker->directory(), caf::infinite, create_atom::value,
                               std::string{"alice"}, req);
  auto looked_up = self->request(broker->directory(), caf::infinite, get_room_atom::value,
                                 std::string{"fresh"});
  consume_messages();
  created.receive([](ok_create&) {}, [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  caf::actor r;
  looked_up.receive([&](caf::actor& a) { r = a; }, [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  consume_messages();
  auto link = std::make_shared<recording_link>();
  CAF_CHECK(ok(join(r, "alice", 1, link)));
}

CAF_TEST_FIXTURE_SCOPE_END()
