#define CAF_SUITE actor_conversation_lines
#include <caf/test/unit_test.hpp>

#include <random>

#include "actors/conversation_lines.hpp"
#include "actors/wire_event.hpp"
#include "storage/detail/store_limits.hpp"
#include "storage/sqlite_store.hpp"

using namespace parley;
using namespace parley::storage;
using parley::actors::conversation_lines;

namespace {

/// A room in a real (in-memory) SQLite store beside the lines a room actor keeps, fed the
/// same committed events: the store's room_summaries is what the lines must match.
struct lines_fixture {
  sqlite_store db{":memory:"};
  conversation_lines lines;
  int64_t head = 0;
  int64_t ts = 1000;
  std::vector<std::string> members{"alice", "bob", "carol"};
  std::unordered_map<std::string, int64_t> read;

  lines_fixture() {
    CAF_REQUIRE_EQUAL(db.migrate().message, "");
    room_record r{.id = "r", .title = "R", .created_by = "alice", .created_at = 1};
    for (auto& m : members)
      r.members.push_back(member{.user = m});
    CAF_REQUIRE_EQUAL(db.create_room(r).message, "");
    lines.start(0, {});
  }

  /// What a room loading now would hold: the latest `n` events, shared.
  std::vector<actors::event_ptr> tail_of(int64_t n) {
    auto tail = db.recent_events("r", n);
    CAF_REQUIRE(tail.ok());
    std::vector<actors::event_ptr> out;
    for (auto& e : *tail)
      out.push_back(actors::make_event(std::move(e)));
    return out;
  }

  /// Commits one event to the store, and to the lines when `seen` (a room that was running).
  void commit(event_kind kind, const std::string& sender, int64_t target = 0,
              std::string body = "b", std::string subtype = "text", bool seen = true) {
    event e{.room = "r", .seq = ++head, .kind = kind, .sender = sender,
            .body = std::move(body), .subtype = std::move(subtype), .target = target, .ts = ++ts};
    if (kind == event_kind::msg)
      e.cid = "c" + std::to_string(head);
    auto out = db.write(std::vector<room_writes>{{.room = "r", .events = {e}}});
    CAF_REQUIRE_EQUAL(out.at(0).message, "");
    if (seen)
      lines.add(actors::make_event(e));
  }

  void mark_read(const std::string& user, int64_t seq) {
    read[user] = std::max(read[user], seq);  // markers only move forward, as in the store
    auto out = db.write(std::vector<room_writes>{{.room = "r", .reads = {{user, seq}}}});
    CAF_REQUIRE_EQUAL(out.at(0).message, "");
  }

  /// Every member the lines can count has the store's unread count and latest message;
  /// returns how many could be counted.
  size_t check_against_store() {
    auto expected = db.room_summaries("r", members);
    CAF_REQUIRE(expected.ok());
    CAF_REQUIRE(lines.knows_last());
    auto last = lines.last();
    std::unordered_map<std::string, int64_t> mine;  // user -> unread
    for (auto& m : members)
      if (lines.can_count(read[m]))
        mine[m] = lines.unread(m, read[m]);
    for (size_t i = 0; i < members.size(); ++i) {
      const auto& want = (*expected)[i];
      CAF_CHECK_EQUAL(want.last.has_value(), last.has_value());
      if (want.last && last) {
        CAF_CHECK(want.last->msg == last->msg);
        CAF_CHECK_EQUAL(want.last->edited_ts, last->edited_ts);
        CAF_CHECK_EQUAL(want.last->deleted, last->deleted);
        CAF_CHECK(want.last->reactions == last->reactions);
      }
      if (auto m = mine.find(members[i]); m != mine.end())
        CAF_CHECK_EQUAL(m->second, want.unread);
    }
    return mine.size();
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(conversation_lines_tests, lines_fixture)

CAF_TEST(a new room knows it has no message and nothing unread) {
  CAF_CHECK(lines.knows_last());
  CAF_CHECK(!lines.last().has_value());
  CAF_CHECK_EQUAL(check_against_store(), 3u);
}

CAF_TEST(counts and the latest message match the store through edits deletes and reactions) {
  std::mt19937 rng{7};
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<std::string> senders{"alice", "bob", "carol", "api"};  // api: a trusted send
  int64_t last_msg = 0;
  // Well past the window (about 1,500 messages of 1,000), checking as the log grows and
  // markers move.
  for (int i = 0; i < 2500; ++i) {
    auto roll = pick(10);
    auto who = senders[pick(senders.size())];
    if (last_msg == 0 || roll < 6) {
      commit(event_kind::msg, who);
      last_msg = head;
    } else if (roll == 6) {
      commit(event_kind::edit, who, last_msg, "edited " + std::to_string(head + 1), "");
    } else if (roll == 7) {
      commit(event_kind::react, who, pick(2) ? last_msg : 1, "👍", pick(2) ? "on" : "off");
    } else if (roll == 8) {
      commit(event_kind::del, who, last_msg, "", "");
    } else {
      mark_read(members[pick(members.size())], head - static_cast<int64_t>(pick(50)));
    }
    if (i % 97 == 0 || i == 2499)
      CAF_CHECK_EQUAL(check_against_store(), 3u);  // a running room counts everyone
  }
}

CAF_TEST(a room loaded with a backlog counts only the members whose unread it has seen) {
  for (int i = 0; i < 700; ++i)
    commit(event_kind::msg, i % 2 ? "alice" : "bob", 0, "b", "text", false);
  mark_read("alice", 650);
  mark_read("bob", 10);
  // A restart: the room loads its latest 512 events, as the reader's load does.
  auto tail = tail_of(512);
  CAF_REQUIRE_EQUAL(tail.front()->seq(), 189);
  lines.start(head, tail);
  CAF_CHECK(lines.knows_last());
  CAF_CHECK(lines.can_count(650));
  CAF_CHECK(lines.can_count(188));  // everything after 188 is in the tail
  CAF_CHECK(!lines.can_count(187));
  CAF_CHECK(!lines.can_count(10));  // bob's and carol's lines are left to storage
  CAF_CHECK_EQUAL(check_against_store(), 1u);
  // Once a whole window has come by, everyone is counted here.
  for (int i = 0; i < storage::detail::unread_window - 512 + 200; ++i)
    commit(event_kind::msg, "carol");
  CAF_CHECK(lines.can_count(0));
  CAF_CHECK_EQUAL(check_against_store(), 3u);
}

CAF_TEST(a room loaded without a message in its tail leaves the latest message to storage) {
  commit(event_kind::msg, "alice", 0, "b", "text", false);
  for (int i = 0; i < 5; ++i)
    commit(event_kind::react, "bob", 1, "👍", i % 2 ? "off" : "on", false);
  lines.start(head, tail_of(3));  // three reactions, no message
  CAF_CHECK(!lines.knows_last());
  commit(event_kind::msg, "bob");
  CAF_CHECK(lines.knows_last());
  auto last = lines.last();
  CAF_REQUIRE(last.has_value());
  CAF_CHECK_EQUAL(last->msg.seq, head);
}

CAF_TEST(a message that collects many reactions and edits shows them all) {
  commit(event_kind::msg, "alice");
  std::vector<std::string> who{"alice", "bob", "carol", "dave", "erin"};
  for (int i = 0; i < 300; ++i) {  // several times max_unfolded_changes
    if (i % 50 == 7)
      commit(event_kind::edit, "alice", 1, "edit " + std::to_string(i), "");
    else
      commit(event_kind::react, who[i % who.size()], 1, i % 3 ? "👍" : "🎉",
             i % 7 ? "on" : "off");
    if (i % 41 == 0)
      CAF_CHECK_EQUAL(check_against_store(), 3u);
  }
  CAF_CHECK_EQUAL(check_against_store(), 3u);
  auto last = lines.last();
  CAF_REQUIRE(last.has_value());
  CAF_CHECK_EQUAL(last->msg.body, "edit 257");
  CAF_CHECK_EQUAL(last->reactions.size(), 2u);
}

CAF_TEST(a head that moved past what the lines saw starts them over) {
  for (int i = 0; i < 3; ++i)
    commit(event_kind::msg, "alice");
  lines.catch_up(head);  // nothing missed: nothing changes
  CAF_CHECK(lines.knows_last());
  CAF_CHECK(lines.can_count(0));
  commit(event_kind::msg, "bob", 0, "b", "text", false);  // committed, never seen
  lines.catch_up(head);
  CAF_CHECK(!lines.knows_last());
  CAF_CHECK(!lines.can_count(0));
  CAF_CHECK(lines.can_count(head));
  commit(event_kind::msg, "carol");
  CAF_CHECK(lines.knows_last());
  mark_read("alice", head - 1);
  CAF_CHECK_EQUAL(check_against_store(), 1u);  // alice's marker is past the gap
}

CAF_TEST_FIXTURE_SCOPE_END()
