#define CAF_SUITE actor_room_sends

// A session's sends to one room in one message (send_batch_atom, actors/room_sends.cpp):
// one outcome per send, in order, whether answered at once or after the commit.

#include "actor_fixture.hpp"

#include "actors/room.hpp"

using namespace parley;
using namespace parley::actors;
using namespace parley::test;

namespace {

struct sends_fixture : actor_fixture {
  /// Asks `room` for `reqs` as one batch from `user`: "ok <seq>" or the error code, each.
  std::vector<std::string> send_batch(const caf::actor& room, const std::string& user,
                                      std::vector<send_req> reqs) {
    std::vector<std::string> out;
    auto h = self->request(room, caf::infinite, send_batch_atom::value, user, std::move(reqs),
                           false);
    consume_messages();
    h.receive(
      [&](std::vector<send_outcome>& outs) {
        for (auto& o : outs)
          out.push_back(o.err ? to_string(to_error_info(o.err).code)
                              : "ok " + std::to_string(o.ok.seq));
      },
      [&](caf::error& e) { out.push_back("request failed: " + sys.render(e)); });
    return out;
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(room_sends_tests, sends_fixture)

CAF_TEST(a batch of sends is stored in order with one outcome each) {
  start();
  auto link = std::make_shared<recording_link>();
  auto r = room_bob_watches(link);
  auto writes_before = plan->writes.load();
  // A fresh send, another, the first again while it is in flight, and a third.
  auto got = send_batch(r, "alice", {msg("r1", "a", "1"), msg("r1", "b", "2"),
                                     msg("r1", "a", "1"), msg("r1", "c", "3")});
  CAF_CHECK_EQUAL(got, (std::vector<std::string>{"ok 1", "ok 2", "ok 1", "ok 3"}));
  CAF_CHECK_EQUAL(plan->writes.load() - writes_before, 1);  // one group commit
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2, 3}));
  CAF_CHECK_EQUAL(link->seqs(), (std::vector<int64_t>{1, 2, 3}));
}

CAF_TEST(a batch answered entirely at once still gets its answer) {
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  CAF_REQUIRE(ok(send(r, "alice", "a")));
  CAF_REQUIRE(ok(send(r, "alice", "b")));
  // Every cid is stored: nothing waits for a commit, and the answer comes all the same.
  auto got = send_batch(r, "alice", {msg("r1", "b"), msg("r1", "a")});
  CAF_CHECK_EQUAL(got, (std::vector<std::string>{"ok 2", "ok 1"}));
  // A non-member's batch: refused, each send.
  got = send_batch(r, "mallory", {msg("r1", "x"), msg("r1", "y")});
  CAF_CHECK_EQUAL(got, (std::vector<std::string>{"forbidden", "forbidden"}));
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1, 2}));
}

CAF_TEST(a batch whose write fails fails each of its new sends) {
  start();
  make_room("r1", {"alice"});
  auto r = room("r1");
  CAF_REQUIRE(ok(send(r, "alice", "a")));
  plan->fail_writes = 1;
  // The stored cid is answered at once; the two new ones fail with the retryable code.
  auto got = send_batch(r, "alice", {msg("r1", "a"), msg("r1", "b"), msg("r1", "c")});
  CAF_CHECK_EQUAL(got, (std::vector<std::string>{"ok 1", "unavailable", "unavailable"}));
  CAF_CHECK_EQUAL(stored_seqs("r1"), (std::vector<int64_t>{1}));
  // Once the writer's probe finds the store back, the retry takes the next seq: no gap.
  advance_time(std::chrono::milliseconds{250});
  consume_messages();
  auto next = send(r, "alice", "b");
  CAF_REQUIRE(ok(next));
  CAF_CHECK_EQUAL(ok(next)->seq, 2);
}

CAF_TEST_FIXTURE_SCOPE_END()
