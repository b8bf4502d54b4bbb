#pragma once

// The store conformance suite: what every store (SQLite, PostgreSQL) must do, written once
// against the store interface. A backend's test file defines CAF_SUITE, includes CAF's
// unit_test.hpp, defines its backend type, names it in PARLEY_STORE_BACKEND and then includes
// this file, which registers the cases below in that suite.
//
// The backend type is default-constructible: its constructor sets up an empty database for
// one test (its destructor removes it), and `store_factory connector()` returns a factory
// that opens a new, migrated connection (store object) to that database on each call.

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/detail/store_limits.hpp"
#include "storage/migrations.hpp"
#include "storage/store.hpp"
#include "unit/store_conformance_fixture.hpp"

#ifndef PARLEY_STORE_BACKEND
#  error "define PARLEY_STORE_BACKEND (see the top of this file) before including this file"
#endif

CAF_TEST_FIXTURE_SCOPE(store_conformance,
                       parley::storage::testing::conformance_fixture<PARLEY_STORE_BACKEND>)

using namespace parley::storage;
using namespace parley::storage::testing;

CAF_TEST(migrate is idempotent and the version is the highest migration) {
  auto highest = embedded_migrations().back().number;
  CAF_CHECK_EQUAL(highest, 3);
  CAF_CHECK_EQUAL(version_of(*db), highest);
  CAF_CHECK_EQUAL(db->migrate().message, "");
  CAF_CHECK_EQUAL(db->migrate().message, "");
  CAF_CHECK_EQUAL(version_of(*db), highest);
  CAF_CHECK(db->ping().ok());
}

CAF_TEST(create_room and load_room round trip) {
  room_record r{.id = "r1", .title = "Ünïcode ✓", .created_by = "bob", .created_at = 1234};
  r.members.push_back(member{.user = "bob", .role = member_role::admin});
  r.members.push_back(member{.user = "alice", .role = member_role::member});
  r.members.push_back(member{.user = "carol", .role = member_role::admin});
  CAF_REQUIRE(db->create_room(r).ok());
  auto loaded = db->load_room("r1");
  CAF_REQUIRE(loaded.ok() && loaded->has_value());
  const auto& got = **loaded;
  CAF_CHECK_EQUAL(got.id, "r1");
  CAF_CHECK_EQUAL(got.title, "Ünïcode ✓");
  CAF_CHECK_EQUAL(got.created_by, "bob");
  CAF_CHECK_EQUAL(got.created_at, 1234);
  CAF_CHECK_EQUAL(got.head_seq, 0);
  // Members come back sorted by user id, read marker 0, joined when the room was created.
  CAF_REQUIRE_EQUAL(got.members.size(), 3u);
  std::vector<member> want{{"alice", member_role::member, 0, 1234},
                           {"bob", member_role::admin, 0, 1234},
                           {"carol", member_role::admin, 0, 1234}};
  for (size_t i = 0; i < want.size(); ++i) {
    CAF_CHECK_EQUAL(got.members[i].user, want[i].user);
    CAF_CHECK(got.members[i] == want[i]);
  }
}

CAF_TEST(creating a room twice is a conflict and keeps the first) {
  make_room("r1", {"alice", "bob"});
  room_record again{.id = "r1", .title = "other", .created_by = "eve", .created_at = 9};
  again.members.push_back(member{.user = "eve", .role = member_role::admin});
  auto st = db->create_room(again);
  CAF_CHECK_EQUAL(code_of(st.code), "conflict");
  auto loaded = db->load_room("r1");
  CAF_REQUIRE(loaded.ok() && loaded->has_value());
  CAF_CHECK_EQUAL((*loaded)->title, "room r1");
  CAF_CHECK_EQUAL((*loaded)->members.size(), 2u);
}

CAF_TEST(loading an unknown room gives nothing) {
  auto r = db->load_room("nope");
  CAF_REQUIRE(r.ok());
  CAF_CHECK(!r->has_value());
  auto evs = db->events_after("nope", 0, 10);
  CAF_REQUIRE(evs.ok());
  CAF_CHECK(evs->empty());
}

CAF_TEST(contiguous writes advance the head and read back intact) {
  make_room("r1", {"alice", "bob"});
  std::vector<event> es;
  es.push_back(msg("r1", 1, "alice", "c1", "hello"));
  auto e2 = msg("r1", 2, "bob", "c2", "héllo wörld 👋 \"quoted\" 'single' ; -- not a comment");
  e2.subtype = "notice";
  e2.target = 1;  // reply_to
  e2.meta = R"({"mentions":["alice"],"attachments":[{"url":"x"}]})";
  es.push_back(e2);
  es.push_back(change("r1", 3, event_kind::edit, "alice", 1, "hello again"));
  es.push_back(change("r1", 4, event_kind::react, "bob", 1, "👍", "on"));
  es.push_back(change("r1", 5, event_kind::del, "bob", 2));
  es.push_back(change("r1", 6, event_kind::member, "alice", 0, "carol", "added"));
  append("r1", es);
  append("r1", {msg("r1", 7, "alice", "", "no cid")});  // a second write continues the log
  es.push_back(msg("r1", 7, "alice", "", "no cid"));
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 7);
  CAF_CHECK_EQUAL(show(all_events(*db, "r1")), show(es));
  auto after = db->events_after("r1", 2, 3);
  CAF_REQUIRE(after.ok());
  CAF_CHECK_EQUAL(seqs_of(*after), (std::vector<int64_t>{3, 4, 5}));
  auto recent = db->recent_events("r1", 3);
  CAF_REQUIRE(recent.ok());
  CAF_CHECK_EQUAL(show(*recent), show(std::vector<event>(es.begin() + 4, es.end())));
  auto all = db->recent_events("r1", 100);
  CAF_REQUIRE(all.ok());
  CAF_CHECK_EQUAL(seqs_of(*all), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  auto none = db->events_after("r1", 7, 10);
  CAF_REQUIRE(none.ok());
  CAF_CHECK(none->empty());
}

CAF_TEST(a write with a gap is a conflict and writes nothing) {
  make_room("r1", {"alice", "bob"});
  append_messages("r1", 1, 2);
  auto out = write_one(room_writes{.room = "r1",
                                   .events = {msg("r1", 4, "alice", "x4", "gap"),
                                              msg("r1", 5, "alice", "x5", "gap")},
                                   .reads = {{"bob", 5}}});
  CAF_CHECK_EQUAL(code_of(out.code), "conflict");
  CAF_CHECK(out.duplicates.empty());
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 2);
  CAF_CHECK_EQUAL(seqs_of(all_events(*db, "r1")), (std::vector<int64_t>{1, 2}));
  CAF_CHECK_EQUAL(read_seq_of("r1", "bob"), 0);
}

CAF_TEST(a write whose seq is taken is a conflict) {
  make_room("r1", {"alice"});
  append_messages("r1", 1, 3);
  auto out = write_one(room_writes{.room = "r1", .events = {msg("r1", 3, "alice", "y", "b")}});
  CAF_CHECK_EQUAL(code_of(out.code), "conflict");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 3);
  CAF_CHECK_EQUAL(show(all_events(*db, "r1")[2]), show(msg("r1", 3, "alice", "c3", "m3")));
}

CAF_TEST(many events of one room are stored in order and a stored cid among them refuses all) {
  // More events than one INSERT statement takes (SQLite: 16): rows on both sides of each
  // chunk's edge keep their fields, and a clash in the last chunk undoes the first ones.
  make_room("r1", {"alice", "bob"});
  append("r1", {msg("r1", 1, "bob", "old", "original")});
  std::vector<event> es;
  for (int64_t s = 2; s <= 36; ++s) {
    auto e = msg("r1", s, s % 2 ? "alice" : "bob", tag("k", s), tag("body ", s));
    e.ts = 1000 + s;
    es.push_back(e);
  }
  auto clash = es;
  clash[33] = msg("r1", 35, "bob", "old", "retry");  // in the third chunk
  auto out = write_one(room_writes{.room = "r1", .events = clash});
  CAF_CHECK_EQUAL(code_of(out.code), "conflict");
  CAF_REQUIRE_EQUAL(out.duplicates.size(), 1u);
  CAF_CHECK_EQUAL(show(out.duplicates[0]), show(msg("r1", 1, "bob", "old", "original")));
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 1);
  CAF_CHECK_EQUAL(seqs_of(all_events(*db, "r1")), (std::vector<int64_t>{1}));
  out = write_one(room_writes{.room = "r1", .events = es});
  CAF_CHECK_EQUAL(code_of(out.code), "ok");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 36);
  auto stored = all_events(*db, "r1");
  CAF_REQUIRE_EQUAL(stored.size(), 36u);
  CAF_CHECK_EQUAL(show(std::vector<event>(stored.begin() + 1, stored.end())), show(es));
}

CAF_TEST(a duplicate cid in one room fails only that room and names the original) {
  for (auto r : {"a", "b", "c"})
    make_room(r, {"alice", "bob"});
  append("b", {msg("b", 1, "bob", "dup", "original")});
  std::vector<room_writes> batch{
    {.room = "a", .events = {msg("a", 1, "alice", "k1", "a1"), msg("a", 2, "bob", "k1", "a2")}},
    {.room = "b",
     .events = {msg("b", 2, "alice", "fresh", "b2"), msg("b", 3, "bob", "dup", "retry")},
     .reads = {{"alice", 3}}},
    {.room = "c", .events = {msg("c", 1, "alice", "dup", "c1")}, .reads = {{"bob", 1}}},
  };
  auto out = db->write(batch);
  CAF_REQUIRE_EQUAL(out.size(), 3u);
  CAF_CHECK_EQUAL(code_of(out[0].code), "ok");
  CAF_CHECK_EQUAL(code_of(out[1].code), "conflict");
  CAF_CHECK_EQUAL(code_of(out[2].code), "ok");
  CAF_REQUIRE_EQUAL(out[1].duplicates.size(), 1u);
  // The original's seq and ts, not the retry's.
  CAF_CHECK_EQUAL(show(out[1].duplicates[0]), show(msg("b", 1, "bob", "dup", "original")));
  CAF_CHECK(out[0].duplicates.empty() && out[2].duplicates.empty());
  CAF_CHECK_EQUAL(head_of(*db, "a"), 2);
  CAF_CHECK_EQUAL(head_of(*db, "b"), 1);
  CAF_CHECK_EQUAL(head_of(*db, "c"), 1);
  CAF_CHECK_EQUAL(seqs_of(all_events(*db, "b")), (std::vector<int64_t>{1}));
  CAF_CHECK_EQUAL(read_seq_of("b", "alice"), 0);  // rolled back with its room
  CAF_CHECK_EQUAL(read_seq_of("c", "bob"), 1);
}

CAF_TEST(writes to an unknown room are not_found and the rest commits) {
  make_room("r1", {"alice"});
  std::vector<room_writes> batch{
    {.room = "ghost", .events = {msg("ghost", 1, "alice", "g", "boo")}},
    {.room = "r1", .events = {msg("r1", 1, "alice", "c1", "hi")}},
    {.room = "ghost2", .reads = {{"alice", 1}}},
  };
  auto out = db->write(batch);
  CAF_REQUIRE_EQUAL(out.size(), 3u);
  CAF_CHECK_EQUAL(code_of(out[0].code), "not_found");
  CAF_CHECK_EQUAL(code_of(out[1].code), "ok");
  CAF_CHECK_EQUAL(code_of(out[2].code), "not_found");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 1);
  CAF_CHECK(all_events(*db, "ghost").empty());
}

CAF_TEST(an empty batch is a no-op) {
  CAF_CHECK(db->write({}).empty());
  make_room("r1", {"alice"});
  auto out = write_one(room_writes{.room = "r1"});
  CAF_CHECK_EQUAL(code_of(out.code), "ok");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 0);
}

CAF_TEST(find_message finds a stored message by sender and cid) {
  make_room("r1", {"alice", "bob"});
  append("r1", {msg("r1", 1, "alice", "same", "from alice"), msg("r1", 2, "bob", "same", "from bob"),
                msg("r1", 3, "bob", "", "no cid")});
  auto a = db->find_message("r1", "alice", "same");
  CAF_REQUIRE(a.ok() && a->has_value());
  CAF_CHECK_EQUAL(show(**a), show(msg("r1", 1, "alice", "same", "from alice")));
  auto b = db->find_message("r1", "bob", "same");
  CAF_REQUIRE(b.ok() && b->has_value());
  CAF_CHECK_EQUAL((*b)->seq, 2);
  for (auto r : {db->find_message("r1", "carol", "same"), db->find_message("r2", "alice", "same"),
                 db->find_message("r1", "bob", "")}) {
    CAF_REQUIRE(r.ok());
    CAF_CHECK(!r->has_value());
  }
}

CAF_TEST(read markers only move forward and never beyond the head) {
  make_room("r1", {"alice", "bob"});
  append_messages("r1", 1, 5);
  auto mark = [&](std::vector<read_marker> reads, std::vector<event> events = {}) {
    auto out = write_one(room_writes{.room = "r1", .events = std::move(events),
                                     .reads = std::move(reads)});
    CAF_CHECK_EQUAL(code_of(out.code), "ok");
  };
  mark({{"bob", 3}});
  CAF_CHECK_EQUAL(read_seq_of("r1", "bob"), 3);
  mark({{"bob", 2}});
  CAF_CHECK_EQUAL(read_seq_of("r1", "bob"), 3);
  mark({{"bob", 99}, {"alice", 4}, {"mallory", 5}});  // non-members are ignored
  CAF_CHECK_EQUAL(read_seq_of("r1", "bob"), 5);
  CAF_CHECK_EQUAL(read_seq_of("r1", "alice"), 4);
  // Markers in the same write as events clamp to the new head.
  mark({{"alice", 7}, {"bob", 100}}, {msg("r1", 6, "bob", "c6", "m6")});
  CAF_CHECK_EQUAL(read_seq_of("r1", "alice"), 6);
  CAF_CHECK_EQUAL(read_seq_of("r1", "bob"), 6);
  auto loaded = db->load_room("r1");
  CAF_REQUIRE(loaded.ok() && loaded->has_value());
  CAF_CHECK_EQUAL((*loaded)->members.size(), 2u);
}

CAF_TEST(history pages by latest before and after with more) {
  make_room("r1", {"alice", "bob"});
  append_messages("r1", 1, 3);
  append("r1", {change("r1", 4, event_kind::react, "bob", 1, "x", "on")});  // not a message
  append_messages("r1", 5, 10);
  using v = std::vector<int64_t>;
  auto p = history("r1", std::nullopt, std::nullopt, 4);
  CAF_CHECK_EQUAL(seqs_of(p), (v{7, 8, 9, 10}));
  CAF_CHECK(p.more);
  p = history("r1", 7, std::nullopt, 4);
  CAF_CHECK_EQUAL(seqs_of(p), (v{2, 3, 5, 6}));
  CAF_CHECK(p.more);
  p = history("r1", 2, std::nullopt, 4);
  CAF_CHECK_EQUAL(seqs_of(p), (v{1}));
  CAF_CHECK(!p.more);
  p = history("r1", std::nullopt, 3, 4);
  CAF_CHECK_EQUAL(seqs_of(p), (v{5, 6, 7, 8}));
  CAF_CHECK(p.more);
  p = history("r1", std::nullopt, 6, 4);
  CAF_CHECK_EQUAL(seqs_of(p), (v{7, 8, 9, 10}));
  CAF_CHECK(!p.more);
  p = history("r1", std::nullopt, 10, 4);
  CAF_CHECK(p.messages.empty());
  CAF_CHECK(!p.more);
  p = history("r1", std::nullopt, std::nullopt, 100);
  CAF_CHECK_EQUAL(p.messages.size(), 9u);
  CAF_CHECK(!p.more);
  // Out-of-range limits are clamped, not refused.
  p = history("r1", std::nullopt, std::nullopt, 0);
  CAF_CHECK_EQUAL(seqs_of(p), (v{10}));
  CAF_CHECK(p.more);
  CAF_CHECK_EQUAL(history("r1", std::nullopt, std::nullopt, 100000).messages.size(), 9u);
  CAF_CHECK(history("ghost", std::nullopt, std::nullopt, 10).messages.empty());
  CAF_CHECK_EQUAL(show(p.messages[0].msg), show(msg("r1", 10, "alice", "c10", "m10")));
  CAF_CHECK_EQUAL(seqs_of(history("r1", std::nullopt, std::nullopt, -5)), (v{10}));
  // Both cursors: the page runs forward from `after`, bounded by `before`.
  p = history("r1", 8, 2, 2);
  CAF_CHECK_EQUAL(seqs_of(p), (v{3, 5}));
  CAF_CHECK(p.more);
  p = history("r1", 8, 5, 10);
  CAF_CHECK_EQUAL(seqs_of(p), (v{6, 7}));
  CAF_CHECK(!p.more);
}

CAF_TEST(history folds edits deletes and reactions into messages) {
  make_room("r1", {"alice", "bob", "carol"});
  append("r1", {
    msg("r1", 1, "alice", "c1", "first"),
    msg("r1", 2, "bob", "c2", "second"),
    msg("r1", 3, "carol", "c3", "third"),
    change("r1", 4, event_kind::edit, "alice", 1, "first, edited"),
    change("r1", 5, event_kind::react, "bob", 1, "👍", "on"),
    change("r1", 6, event_kind::react, "carol", 1, "👍", "on"),
    change("r1", 7, event_kind::react, "carol", 1, "🎉", "on"),
    change("r1", 8, event_kind::react, "alice", 1, "a-first", "on"),
    change("r1", 9, event_kind::react, "bob", 1, "👍", "off"),
    change("r1", 10, event_kind::react, "bob", 1, "👍", "on"),   // back, now after carol
    change("r1", 11, event_kind::react, "alice", 1, "a-first", "off"),  // emptied: dropped
    change("r1", 12, event_kind::del, "bob", 2),
    change("r1", 13, event_kind::edit, "alice", 1, "first, edited twice"),
    change("r1", 14, event_kind::react, "alice", 3, "👍", "on"),
    change("r1", 15, event_kind::react, "alice", 3, "👍", "on"),   // repeated "on": once
  });
  auto p = history("r1", std::nullopt, std::nullopt, 50);
  CAF_REQUIRE_EQUAL(p.messages.size(), 3u);
  const auto& m1 = p.messages[0];
  CAF_CHECK_EQUAL(m1.msg.seq, 1);
  CAF_CHECK_EQUAL(m1.msg.body, "first, edited twice");
  CAF_CHECK_EQUAL(m1.msg.ts, ts_of(1));  // the message keeps its own time
  CAF_CHECK_EQUAL(m1.edited_ts, ts_of(13));
  CAF_CHECK(!m1.deleted);
  using reactions = std::vector<std::pair<std::string, std::vector<std::string>>>;
  // Sorted by emoji, bytewise: 🎉 (F0 9F 8E 89) before 👍 (F0 9F 91 8D).
  CAF_CHECK(m1.reactions == (reactions{{"🎉", {"carol"}}, {"👍", {"carol", "bob"}}}));
  const auto& m2 = p.messages[1];
  CAF_CHECK(m2.deleted);
  CAF_CHECK_EQUAL(m2.msg.body, "");
  CAF_CHECK_EQUAL(m2.edited_ts, 0);
  const auto& m3 = p.messages[2];
  CAF_CHECK_EQUAL(m3.msg.body, "third");
  CAF_CHECK(m3.reactions == (reactions{{"👍", {"alice"}}}));
  // Paging keeps the fold: the page holding only message 1 still sees its later changes.
  auto first = history("r1", 2, std::nullopt, 10);
  CAF_REQUIRE_EQUAL(first.messages.size(), 1u);
  CAF_CHECK_EQUAL(first.messages[0].msg.body, "first, edited twice");
  CAF_CHECK_EQUAL(first.messages[0].reactions.size(), 2u);
}

CAF_TEST(data survives closing and reopening the store) {
  make_room("r1", {"alice", "bob"});
  append_messages("r1", 1, 3);
  write_one(room_writes{.room = "r1", .reads = {{"bob", 2}}});
  auto before = all_events(*db, "r1");
  db.reset();
  db = connect();
  CAF_REQUIRE(db != nullptr);
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 3);
  CAF_CHECK_EQUAL(read_seq_of("r1", "bob"), 2);
  CAF_CHECK_EQUAL(show(all_events(*db, "r1")), show(before));
  append_messages("r1", 4, 4);  // and the log continues where it was
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 4);
}

CAF_TEST(a second connection sees committed writes) {
  auto reader = connect();
  CAF_REQUIRE(reader != nullptr);
  make_room("r1", {"alice"});
  CAF_CHECK_EQUAL(head_of(*reader, "r1"), 0);
  append_messages("r1", 1, 2);
  CAF_CHECK_EQUAL(head_of(*reader, "r1"), 2);
  CAF_CHECK_EQUAL(seqs_of(all_events(*reader, "r1")), (std::vector<int64_t>{1, 2}));
  append_messages("r1", 3, 3);
  auto recent = reader->recent_events("r1", 1);
  CAF_REQUIRE(recent.ok());
  CAF_CHECK_EQUAL(seqs_of(*recent), (std::vector<int64_t>{3}));
  // And the other way round: the reader's connection can write too.
  std::vector<room_writes> batch{{.room = "r1", .events = {msg("r1", 4, "alice", "c4", "m4")}}};
  CAF_CHECK_EQUAL(code_of(reader->write(batch).front().code), "ok");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 4);
}

CAF_TEST(a reader on another thread keeps reading while the writer commits) {
  make_room("r1", {"alice"});
  auto reader = connect();
  CAF_REQUIRE(reader != nullptr);
  std::atomic<bool> done{false};
  int reads = 0;
  int errors = 0;
  int64_t last_head = 0;
  bool monotonic = true;
  std::thread t{[&] {  // no CAF checks off the test thread: count, check after join
    while (!done.load()) {
      auto r = reader->load_room("r1");
      auto tail = reader->recent_events("r1", 5);
      if (!r.ok() || !r->has_value() || !tail.ok()) {
        ++errors;
        continue;
      }
      monotonic = monotonic && (*r)->head_seq >= last_head;
      last_head = (*r)->head_seq;
      ++reads;
    }
  }};
  for (int64_t s = 1; s <= 100; ++s)
    append("r1", {msg("r1", s, "alice", tag("c", s), "m")});
  done = true;
  t.join();
  CAF_CHECK_EQUAL(errors, 0);
  CAF_CHECK(monotonic);
  CAF_CHECK_GREATER(reads, 0);
  CAF_CHECK_EQUAL(head_of(*reader, "r1"), 100);
}

CAF_TEST(a thousand events commit in one transaction) {
  make_room("r1", {"alice"});
  std::vector<event> es;
  for (int64_t s = 1; s <= 1000; ++s)
    es.push_back(msg("r1", s, "alice", tag("c", s), std::string(100, 'x')));
  std::vector<room_writes> batch{{.room = "r1", .events = es}};
  auto t0 = std::chrono::steady_clock::now();
  auto out = db->write(batch);
  auto t1 = std::chrono::steady_clock::now();
  CAF_REQUIRE_EQUAL(code_of(out.front().code), "ok");
  auto ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  CAF_MESSAGE("1000-event write in one transaction: " << ms << " ms");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 1000);
  CAF_CHECK_EQUAL(all_events(*db, "r1").size(), 1000u);
  // A retry of the whole batch is refused as a whole.
  auto again = db->write(batch);
  CAF_CHECK_EQUAL(code_of(again.front().code), "conflict");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 1000);
}

// -- Membership changes, last_ts, conversation lists, presence (migration 0002) ----------

CAF_TEST(membership changes travel with member events) {
  make_room("r1", {"alice", "bob"});
  append_messages("r1", 1, 2);
  using strings = std::vector<std::string>;
  auto out = write_one(room_writes{
    .room = "r1",
    .events = {member_event("r1", 3, "alice", "carol", true),
               member_event("r1", 4, "alice", "dave", true),
               member_event("r1", 5, "alice", "bob", false)},
    .members = {{.user = "carol", .added = true, .role = member_role::member, .at = 5000},
                {.user = "dave", .added = true, .role = member_role::admin, .at = 6000},
                {.user = "bob", .added = false}}});
  CAF_CHECK_EQUAL(out.message, "");
  CAF_CHECK_EQUAL(code_of(out.code), "ok");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 5);
  CAF_CHECK_EQUAL(members_of("r1"),
                  (strings{"alice admin read=0 joined=1600000000000",
                           "carol member read=0 joined=5000", "dave admin read=0 joined=6000"}));
  // A removed member is gone for good: no longer loaded, no longer listed, and its read
  // markers match no row.
  CAF_CHECK(rooms_of("bob").empty());
  CAF_CHECK_EQUAL(ids_of(rooms_of("carol")), (strings{"r1"}));
  CAF_CHECK_EQUAL(code_of(write_one(room_writes{.room = "r1", .reads = {{"bob", 5}}}).code), "ok");
  CAF_CHECK_EQUAL(members_of("r1").size(), 3u);
  CAF_CHECK_EQUAL(show(all_events(*db, "r1")[4]), show(member_event("r1", 5, "alice", "bob", false)));
}

CAF_TEST(adding a member is a no-op and so is removing a non-member) {
  make_room("r1", {"alice", "bob"});
  append_messages("r1", 1, 3);
  write_one(room_writes{.room = "r1", .reads = {{"bob", 3}}});
  auto before = members_of("r1");
  auto out = write_one(room_writes{
    .room = "r1",
    .events = {member_event("r1", 4, "alice", "bob", true),
               member_event("r1", 5, "alice", "zed", false)},
    .members = {{.user = "bob", .added = true, .role = member_role::admin, .at = 9},
                {.user = "zed", .added = false}}});
  CAF_CHECK_EQUAL(out.message, "");
  CAF_CHECK_EQUAL(code_of(out.code), "ok");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 5);
  // bob keeps his role, read marker and join time.
  CAF_CHECK_EQUAL(members_of("r1"), before);
  CAF_CHECK_EQUAL(read_seq_of("r1", "bob"), 3);
}

CAF_TEST(membership changes apply in order after the events and read markers) {
  make_room("r1", {"alice", "bob"});
  append_messages("r1", 1, 2);
  write_one(room_writes{.room = "r1", .reads = {{"bob", 2}}});
  using strings = std::vector<std::string>;
  auto out = write_one(room_writes{
    .room = "r1",
    .events = {msg("r1", 3, "alice", "c3", "m3")},
    // The markers come first: carol is not a member yet when hers is applied.
    .reads = {{"carol", 3}},
    .members = {
      {.user = "dave", .added = true, .at = 10},    // added, then removed: gone
      {.user = "dave", .added = false},
      {.user = "bob", .added = false},              // removed, then added anew: a new
      {.user = "bob", .added = true, .role = member_role::admin, .at = 20},  // member
      {.user = "carol", .added = true, .at = 30},   // added twice: the first counts
      {.user = "carol", .added = true, .role = member_role::admin, .at = 31},
      {.user = "erin", .added = false},             // never a member: removal, addition,
      {.user = "erin", .added = true, .at = 40},    // removal, addition: the last one
      {.user = "erin", .added = false},
      {.user = "erin", .added = true, .at = 41},
    }});
  CAF_CHECK_EQUAL(out.message, "");
  CAF_CHECK_EQUAL(code_of(out.code), "ok");
  CAF_CHECK_EQUAL(members_of("r1"),
                  (strings{"alice admin read=0 joined=1600000000000", "bob admin read=0 joined=20",
                           "carol member read=0 joined=30", "erin member read=0 joined=41"}));
}

CAF_TEST(membership changes without events and for unknown rooms) {
  make_room("r1", {"alice"});
  append_messages("r1", 1, 1);
  auto ts_before = rooms_of("alice").at(0).last_ts;
  std::vector<room_writes> batch{
    {.room = "r1", .members = {{.user = "bob", .added = true, .at = 77}}},
    {.room = "ghost", .members = {{.user = "bob", .added = true, .at = 77}}},
  };
  auto out = db->write(batch);
  CAF_REQUIRE_EQUAL(out.size(), 2u);
  CAF_CHECK_EQUAL(code_of(out[0].code), "ok");
  CAF_CHECK_EQUAL(code_of(out[1].code), "not_found");
  CAF_CHECK_EQUAL(members_of("r1"), (std::vector<std::string>{
                                      "alice admin read=0 joined=1600000000000",
                                      "bob member read=0 joined=77"}));
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 1);
  CAF_CHECK_EQUAL(rooms_of("alice").at(0).last_ts, ts_before);  // no events: unchanged
  CAF_CHECK_EQUAL(ids_of(rooms_of("bob")), (std::vector<std::string>{"r1"}));
}

CAF_TEST(membership changes of many rooms go in one batch) {
  // On PostgreSQL (COPY mode): the batch-wide statements of the fast path, with rooms that
  // have events, rooms that have none, and several changes to one member.
  for (auto r : {"a", "b", "c"})
    make_room(r, {"alice", "bob"});
  std::vector<room_writes> batch{
    {.room = "a", .events = {member_event("a", 1, "alice", "x", true)},
     .members = {{.user = "x", .at = 1}, {.user = "bob", .added = false}}},
    {.room = "b", .members = {{.user = "bob", .added = false},
                              {.user = "bob", .role = member_role::admin, .at = 2},
                              {.user = "y", .at = 3}}},
    {.room = "c", .events = {msg("c", 1, "bob", "c1", "hi")},
     .members = {{.user = "x", .at = 4}, {.user = "x", .added = false}}},
  };
  auto out = db->write(batch);
  CAF_REQUIRE_EQUAL(out.size(), 3u);
  for (const auto& o : out)
    CAF_CHECK_EQUAL(o.message, "");
  using strings = std::vector<std::string>;
  auto alice = std::string{"alice admin read=0 joined=1600000000000"};
  CAF_CHECK_EQUAL(members_of("a"), (strings{alice, "x member read=0 joined=1"}));
  CAF_CHECK_EQUAL(members_of("b"),
                  (strings{alice, "bob admin read=0 joined=2", "y member read=0 joined=3"}));
  CAF_CHECK_EQUAL(members_of("c"), (strings{alice, "bob member read=0 joined=1600000000000"}));
}

CAF_TEST(a conflicting room keeps its members while the other rooms change theirs) {
  for (auto r : {"a", "b", "c", "d"})
    make_room(r, {"alice", "bob"});
  append("b", {msg("b", 1, "bob", "dup", "original")});
  append_messages("c", 1, 2);
  using strings = std::vector<std::string>;
  auto invite = [](const std::string& room, int64_t seq) {
    return room_writes{.room = room,
                       .events = {member_event(room, seq, "alice", "newbie", true),
                                  member_event(room, seq + 1, "alice", "bob", false)},
                       .members = {{.user = "newbie", .added = true, .at = 123},
                                   {.user = "bob", .added = false}}};
  };
  // b: a cid stored before (a unique key refuses its events); c: a gap (the head check).
  auto b = invite("b", 2);
  b.events.insert(b.events.begin(), msg("b", 2, "bob", "dup", "retry"));
  b.events[1].seq = 3;
  b.events[2].seq = 4;
  auto c = invite("c", 4);
  std::vector<room_writes> batch{invite("a", 1), b, c,
                                 {.room = "d", .members = {{.user = "bob", .added = false}}}};
  auto out = db->write(batch);
  CAF_REQUIRE_EQUAL(out.size(), 4u);
  CAF_CHECK_EQUAL(code_of(out[0].code), "ok");
  CAF_CHECK_EQUAL(code_of(out[1].code), "conflict");
  CAF_CHECK_EQUAL(out[1].duplicates.size(), 1u);
  CAF_CHECK_EQUAL(code_of(out[2].code), "conflict");
  CAF_CHECK_EQUAL(code_of(out[3].code), "ok");
  auto changed = strings{"alice admin read=0 joined=1600000000000",
                         "newbie member read=0 joined=123"};
  auto unchanged = strings{"alice admin read=0 joined=1600000000000",
                           "bob member read=0 joined=1600000000000"};
  CAF_CHECK_EQUAL(members_of("a"), changed);
  CAF_CHECK_EQUAL(members_of("b"), unchanged);
  CAF_CHECK_EQUAL(members_of("c"), unchanged);
  CAF_CHECK_EQUAL(members_of("d"), (strings{"alice admin read=0 joined=1600000000000"}));
  CAF_CHECK_EQUAL(head_of(*db, "a"), 2);
  CAF_CHECK_EQUAL(head_of(*db, "b"), 1);
  CAF_CHECK_EQUAL(head_of(*db, "c"), 2);
  CAF_CHECK_EQUAL(ids_of(rooms_of("newbie")), (strings{"a"}));
  CAF_CHECK_EQUAL(ids_of(rooms_of("bob")), (strings{"c", "b"}));
}

CAF_TEST(last_ts follows the latest event and orders the conversation list) {
  using strings = std::vector<std::string>;
  // Created at different times; none has events yet: ordered by created_at, then id.
  std::vector<std::pair<std::string, int64_t>> rooms{
    {"r1", 100}, {"r2", 300}, {"r3", 200}, {"r4", 200}};
  for (const auto& [id, at] : rooms) {
    room_record r{.id = id, .title = "T " + id, .created_by = "alice", .created_at = at};
    r.members.push_back(member{.user = "alice", .role = member_role::admin});
    CAF_REQUIRE_EQUAL(db->create_room(r).message, "");
  }
  auto list = rooms_of("alice");
  CAF_CHECK_EQUAL(ids_of(list), (strings{"r2", "r3", "r4", "r1"}));
  CAF_REQUIRE_EQUAL(list.size(), 4u);
  CAF_CHECK_EQUAL(list[0].last_ts, 300);
  CAF_CHECK_EQUAL(list[0].title, "T r2");
  CAF_CHECK_EQUAL(list[0].head, 0);
  CAF_CHECK(!list[0].last.has_value());
  // r1 gets events: last_ts is their largest ts, whatever their order in the batch.
  auto e1 = msg("r1", 1, "alice", "c1", "m1");
  auto e2 = msg("r1", 2, "alice", "c2", "m2");
  e1.ts = 5000;
  e2.ts = 4000;
  append("r1", {e1, e2});
  list = rooms_of("alice");
  CAF_CHECK_EQUAL(ids_of(list), (strings{"r1", "r2", "r3", "r4"}));
  CAF_CHECK_EQUAL(list[0].last_ts, 5000);
  CAF_CHECK_EQUAL(list[0].head, 2);
  // r4 and r3 get events with the same ts: ordered by id.
  for (auto id : {"r4", "r3"}) {
    auto e = msg(id, 1, "alice", "c1", "m");
    e.ts = 6000;
    append(id, {e});
  }
  CAF_CHECK_EQUAL(ids_of(rooms_of("alice")), (strings{"r3", "r4", "r1", "r2"}));
  // Writes without events (markers, membership) leave last_ts; an event with an older ts
  // (a clock that stepped back) does not move it back either.
  write_one(room_writes{.room = "r1", .reads = {{"alice", 2}},
                        .members = {{.user = "bob", .added = true, .at = 9000}}});
  auto old = msg("r1", 3, "alice", "c3", "m3");
  old.ts = 10;
  append("r1", {old});
  list = rooms_of("alice");
  CAF_CHECK_EQUAL(ids_of(list), (strings{"r3", "r4", "r1", "r2"}));
  CAF_CHECK_EQUAL(list[2].last_ts, 5000);
  CAF_CHECK_EQUAL(list[2].head, 3);
  // Each member sees the rooms it is in, in the same order.
  CAF_CHECK_EQUAL(ids_of(rooms_of("bob")), (strings{"r1"}));
}

CAF_TEST(unread counts the messages of others after the read marker) {
  make_room("r1", {"alice", "bob", "carol"});
  append("r1", {
    msg("r1", 1, "alice", "c1", "a1"),
    msg("r1", 2, "bob", "c2", "b2"),
    msg("r1", 3, "alice", "c3", "a3"),
    change("r1", 4, event_kind::edit, "bob", 2, "b2 edited"),
    change("r1", 5, event_kind::react, "bob", 1, "👍", "on"),
    msg("r1", 6, "bob", "c6", "b6"),
    member_event("r1", 7, "alice", "dave", true),
    msg("r1", 8, "carol", "c8", "c8"),
    change("r1", 9, event_kind::del, "carol", 8),  // deleted messages still count
  });
  auto unread = [&](const std::string& user) {
    auto list = rooms_of(user);
    CAF_REQUIRE_EQUAL(list.size(), 1u);
    return std::pair{list[0].read, list[0].unread};
  };
  CAF_CHECK_EQUAL(unread("alice"), (std::pair<int64_t, int64_t>{0, 3}));  // 2, 6, 8
  CAF_CHECK_EQUAL(unread("bob"), (std::pair<int64_t, int64_t>{0, 3}));    // 1, 3, 8
  CAF_CHECK_EQUAL(unread("carol"), (std::pair<int64_t, int64_t>{0, 4}));  // 1, 2, 3, 6
  write_one(room_writes{.room = "r1", .reads = {{"alice", 6}, {"bob", 3}, {"carol", 9}}});
  CAF_CHECK_EQUAL(unread("alice"), (std::pair<int64_t, int64_t>{6, 1}));  // 8
  CAF_CHECK_EQUAL(unread("bob"), (std::pair<int64_t, int64_t>{3, 1}));    // 8
  CAF_CHECK_EQUAL(unread("carol"), (std::pair<int64_t, int64_t>{9, 0}));
}

CAF_TEST(unread counts only the latest unread_window messages of a room) {
  // 1,200 messages: alice's up to 1,100, then bob's. The window is the latest 1,000
  // (201..1200), so a backlog nobody reads costs a bounded read, not the room's history.
  constexpr int64_t window = parley::storage::detail::unread_window;
  static_assert(window == 1000, "the figures below assume a window of 1,000");
  make_room("r1", {"alice", "bob", "carol"});
  std::vector<event> es;
  for (int64_t s = 1; s <= 1200; ++s)
    es.push_back(msg("r1", s, s <= 1100 ? "alice" : "bob", tag("c", s), "m"));
  append("r1", std::move(es));
  using pairs = std::vector<std::pair<int64_t, int64_t>>;
  auto both_ways = [&] {
    pairs out;
    std::vector<std::string> users{"alice", "bob", "carol"};
    auto lines = summaries("r1", users);
    CAF_REQUIRE_EQUAL(lines.size(), users.size());
    for (size_t i = 0; i < users.size(); ++i) {
      auto list = rooms_of(users[i]);
      CAF_REQUIRE_EQUAL(list.size(), 1u);
      CAF_CHECK_EQUAL(list[0].unread, lines[i].unread);  // the list and the update agree
      out.emplace_back(lines[i].read, lines[i].unread);
    }
    return out;
  };
  // alice: bob's 100; bob: alice's 201..1100; carol: the whole window, not 1,200.
  CAF_CHECK_EQUAL(both_ways(), (pairs{{0, 100}, {0, 900}, {0, window}}));
  write_one(room_writes{.room = "r1", .reads = {{"bob", 1050}, {"carol", 1150}}});
  CAF_CHECK_EQUAL(both_ways(), (pairs{{0, 100}, {1050, 50}, {1150, 50}}));
}

CAF_TEST(the conversation list shows the latest message of each room folded as history does) {
  make_room("edited", {"alice", "bob", "carol"});
  make_room("deleted", {"alice", "bob"});
  make_room("quiet", {"alice", "bob"});
  make_room("empty", {"alice"});
  append("edited", {
    msg("edited", 1, "bob", "c1", "older"),
    msg("edited", 2, "alice", "c2", "latest"),
    change("edited", 3, event_kind::edit, "alice", 2, "latest, edited"),
    change("edited", 4, event_kind::react, "bob", 2, "👍", "on"),
    change("edited", 5, event_kind::react, "carol", 2, "👍", "on"),
    change("edited", 6, event_kind::react, "carol", 2, "🎉", "on"),
    change("edited", 7, event_kind::react, "carol", 2, "🎉", "off"),
    change("edited", 8, event_kind::edit, "bob", 1, "older, edited"),
    member_event("edited", 9, "alice", "dave", true),  // not a message: 2 stays the latest
  });
  append("deleted", {msg("deleted", 1, "alice", "c1", "first"),
                     msg("deleted", 2, "bob", "c2", "gone"),
                     change("deleted", 3, event_kind::del, "bob", 2)});
  append("quiet", {member_event("quiet", 1, "alice", "bob", true)});
  auto list = rooms_of("alice");
  std::map<std::string, room_summary> by_id;
  for (auto& r : list)
    by_id[r.room] = r;
  CAF_REQUIRE_EQUAL(by_id.size(), 4u);
  auto latest = [&](const std::string& room) {
    auto p = history(room, std::nullopt, std::nullopt, 1);
    return p.messages.empty() ? std::optional<message_state>{} : p.messages.front();
  };
  const auto& edited = by_id["edited"].last;
  CAF_REQUIRE(edited.has_value());
  CAF_CHECK_EQUAL(edited->msg.seq, 2);
  CAF_CHECK_EQUAL(edited->msg.body, "latest, edited");
  CAF_CHECK_EQUAL(edited->edited_ts, ts_of(3));
  using reactions = std::vector<std::pair<std::string, std::vector<std::string>>>;
  CAF_CHECK(edited->reactions == (reactions{{"👍", {"bob", "carol"}}}));
  const auto& deleted = by_id["deleted"].last;
  CAF_REQUIRE(deleted.has_value());
  CAF_CHECK_EQUAL(deleted->msg.seq, 2);
  CAF_CHECK(deleted->deleted);
  CAF_CHECK_EQUAL(deleted->msg.body, "");
  CAF_CHECK(!by_id["quiet"].last.has_value());
  CAF_CHECK(!by_id["empty"].last.has_value());
  for (auto room : {"edited", "deleted", "quiet", "empty"})
    CAF_CHECK_EQUAL(show(by_id[room].last), show(latest(room)));
}

CAF_TEST(the conversation list has a limit) {
  using strings = std::vector<std::string>;
  strings all;
  for (int i = 0; i < 60; ++i) {
    auto id = tag("room", 100 + i);
    make_room(id, {"alice", "bob"});
    append(id, {msg(id, 1, i % 2 == 0 ? "alice" : "bob", "c1", "m")});
    all.push_back(id);  // every room's latest event has the same ts: ordered by id
  }
  auto list = rooms_of("bob", 1000);
  CAF_CHECK_EQUAL(ids_of(list), all);
  CAF_REQUIRE_EQUAL(list.size(), 60u);
  for (size_t i = 0; i < list.size(); ++i) {
    CAF_CHECK_EQUAL(list[i].unread, i % 2 == 0 ? 1 : 0);
    CAF_REQUIRE(list[i].last.has_value());
    CAF_CHECK_EQUAL(list[i].last->msg.body, "m");
  }
  CAF_CHECK_EQUAL(ids_of(rooms_of("bob", 3)), (strings{all[0], all[1], all[2]}));
  // Out-of-range limits are clamped, not refused.
  CAF_CHECK_EQUAL(ids_of(rooms_of("bob", 0)), (strings{all[0]}));
  CAF_CHECK_EQUAL(ids_of(rooms_of("bob", -5)), (strings{all[0]}));
  CAF_CHECK_EQUAL(rooms_of("bob", 1'000'000).size(), 60u);
}

CAF_TEST(the conversation list of an unknown user is empty) {
  make_room("r1", {"alice"});
  append_messages("r1", 1, 2);
  CAF_CHECK(rooms_of("nobody").empty());
  CAF_CHECK(rooms_of("").empty());
  // A known user in no room: empty as well.
  std::vector<user_seen> seen{{"loner", 5}};
  CAF_REQUIRE_EQUAL(db->set_last_seen(seen).message, "");
  CAF_CHECK(rooms_of("loner").empty());
}

CAF_TEST(room_summaries answers each user in the request order with repeats) {
  make_room("r1", {"alice", "bob", "carol"});
  make_room("r2", {"dave"});
  append("r1", {msg("r1", 1, "alice", "c1", "hi"), msg("r1", 2, "bob", "c2", "yo")});
  write_one(room_writes{.room = "r1", .reads = {{"bob", 1}}});
  // carol leaves: no longer a member, though she was one.
  write_one(room_writes{.room = "r1", .events = {member_event("r1", 3, "alice", "carol", false)},
                        .members = {{.user = "carol", .added = false}}});
  using strings = std::vector<std::string>;
  auto got = summaries("r1", {"bob", "ghost", "alice", "dave", "bob", "carol", "", "alice"});
  CAF_CHECK_EQUAL(ids_of(got), (strings{"r1", "", "r1", "", "r1", "", "", "r1"}));
  CAF_CHECK_EQUAL(show(got[4]), show(got[0]));  // a user named twice: the same line twice
  CAF_CHECK_EQUAL(show(got[7]), show(got[2]));
  CAF_CHECK_EQUAL(got[0].title, "room r1");
  CAF_CHECK_EQUAL(got[0].head, 3);
  CAF_CHECK_EQUAL(got[0].last_ts, ts_of(3));
  CAF_CHECK_EQUAL(got[0].read, 1);
  CAF_CHECK_EQUAL(got[0].unread, 0);  // only his own message after his marker
  CAF_CHECK_EQUAL(got[2].read, 0);
  CAF_CHECK_EQUAL(got[2].unread, 1);  // bob's
  CAF_REQUIRE(got[2].last.has_value());
  CAF_CHECK_EQUAL(got[2].last->msg.body, "yo");
  // Non-members (unknown, member elsewhere, removed, the empty id): nothing but the entry.
  for (auto i : {1, 3, 5, 6})
    CAF_CHECK_EQUAL(show(got[i]), show(room_summary{}));
  // A room that does not exist: an empty entry for everyone; no users: no entries.
  CAF_CHECK_EQUAL(show(summaries("ghost", {"alice", "bob", "alice"})),
                  show(std::vector<room_summary>(3)));
  CAF_CHECK(summaries("r1", {}).empty());
  CAF_CHECK(summaries("ghost", {}).empty());
  CAF_CHECK_EQUAL(show(summaries("r2", {"alice", "dave"})[0]), show(room_summary{}));
  CAF_CHECK_EQUAL(summaries("r2", {"alice", "dave"})[1].room, "r2");
}

CAF_TEST(room_summaries counts the unread messages of others after the marker of each user) {
  make_room("r1", {"alice", "bob", "carol", "dave"});
  append("r1", {
    msg("r1", 1, "alice", "c1", "a1"),
    msg("r1", 2, "bob", "c2", "b2"),
    msg("r1", 3, "alice", "c3", "a3"),
    change("r1", 4, event_kind::edit, "bob", 2, "b2 edited"),
    change("r1", 5, event_kind::react, "bob", 1, "👍", "on"),
    msg("r1", 6, "bob", "c6", "b6"),
    member_event("r1", 7, "alice", "erin", true),
    msg("r1", 8, "carol", "c8", "c8"),
    change("r1", 9, event_kind::del, "carol", 8),  // deleted messages still count
  });
  using pairs = std::vector<std::pair<int64_t, int64_t>>;
  auto read_unread = [&] {
    pairs out;
    for (const auto& r : summaries("r1", {"alice", "bob", "carol", "dave"}))
      out.emplace_back(r.read, r.unread);
    return out;
  };
  // alice: 2, 6, 8; bob: 1, 3, 8; carol: 1, 2, 3, 6; dave (never sent): all five.
  CAF_CHECK_EQUAL(read_unread(), (pairs{{0, 3}, {0, 3}, {0, 4}, {0, 5}}));
  write_one(room_writes{.room = "r1", .reads = {{"alice", 6}, {"bob", 3}, {"dave", 7}}});
  CAF_CHECK_EQUAL(read_unread(), (pairs{{6, 1}, {3, 1}, {0, 4}, {7, 1}}));
  write_one(room_writes{.room = "r1", .reads = {{"carol", 9}, {"dave", 9}}});
  CAF_CHECK_EQUAL(read_unread(), (pairs{{6, 1}, {3, 1}, {9, 0}, {9, 0}}));
}

CAF_TEST(room_summaries shows the latest message folded as history does) {
  make_room("r1", {"alice", "bob", "carol"});
  append("r1", {
    msg("r1", 1, "bob", "c1", "older"),
    msg("r1", 2, "alice", "c2", "latest"),
    change("r1", 3, event_kind::edit, "alice", 2, "latest, edited"),
    change("r1", 4, event_kind::react, "bob", 2, "👍", "on"),
    change("r1", 5, event_kind::react, "carol", 2, "👍", "on"),
    change("r1", 6, event_kind::react, "carol", 2, "🎉", "on"),
    change("r1", 7, event_kind::react, "carol", 2, "🎉", "off"),
    change("r1", 8, event_kind::edit, "bob", 1, "older, edited"),
    member_event("r1", 9, "alice", "dave", true),  // not a message: 2 stays the latest
  });
  auto latest = [&] {
    auto p = history("r1", std::nullopt, std::nullopt, 1);
    return p.messages.empty() ? std::optional<message_state>{} : p.messages.front();
  };
  using reactions = std::vector<std::pair<std::string, std::vector<std::string>>>;
  auto got = summaries("r1", {"carol", "alice", "bob"});
  for (const auto& r : got) {
    CAF_REQUIRE(r.last.has_value());
    CAF_CHECK_EQUAL(r.last->msg.seq, 2);
    CAF_CHECK_EQUAL(r.last->msg.body, "latest, edited");
    CAF_CHECK_EQUAL(r.last->edited_ts, ts_of(3));
    CAF_CHECK(!r.last->deleted);
    CAF_CHECK(r.last->reactions == (reactions{{"👍", {"bob", "carol"}}}));
    CAF_CHECK_EQUAL(show(r.last), show(latest()));
  }
  // Deleted, it stays the latest message, emptied; the older one does not come back.
  append("r1", {change("r1", 10, event_kind::del, "alice", 2)});
  got = summaries("r1", {"bob"});
  CAF_REQUIRE(got[0].last.has_value());
  CAF_CHECK_EQUAL(got[0].last->msg.seq, 2);
  CAF_CHECK(got[0].last->deleted);
  CAF_CHECK_EQUAL(got[0].last->msg.body, "");
  CAF_CHECK_EQUAL(show(got[0].last), show(latest()));
  // A new message is the latest, as sent.
  append("r1", {msg("r1", 11, "carol", "c11", "newest")});
  got = summaries("r1", {"bob", "alice"});
  for (const auto& r : got) {
    CAF_CHECK_EQUAL(show(r.last), show(message_state{msg("r1", 11, "carol", "c11", "newest")}));
    CAF_CHECK_EQUAL(r.head, 11);
    CAF_CHECK_EQUAL(r.last_ts, ts_of(11));
  }
}

CAF_TEST(room_summaries of a room without messages has no last) {
  make_room("r1", {"alice", "bob"});
  auto got = summaries("r1", {"bob", "alice"});
  for (const auto& r : got) {
    CAF_CHECK_EQUAL(r.room, "r1");
    CAF_CHECK_EQUAL(r.head, 0);
    CAF_CHECK_EQUAL(r.last_ts, 1'600'000'000'000);  // created_at
    CAF_CHECK_EQUAL(r.unread, 0);
    CAF_CHECK(!r.last.has_value());
  }
  // Events, but no message among them.
  append("r1", {member_event("r1", 1, "alice", "carol", true),
                member_event("r1", 2, "alice", "carol", false)});
  got = summaries("r1", {"alice", "bob"});
  for (const auto& r : got) {
    CAF_CHECK_EQUAL(r.head, 2);
    CAF_CHECK_EQUAL(r.last_ts, ts_of(2));
    CAF_CHECK_EQUAL(r.unread, 0);
    CAF_CHECK(!r.last.has_value());
  }
}

CAF_TEST(room_summaries agrees with rooms_of for every user and room) {
  using strings = std::vector<std::string>;
  strings users{"alice", "bob", "carol", "dave"};
  make_room("a", {"alice", "bob", "carol"});
  make_room("b", {"bob", "dave"});
  make_room("c", {"carol", "alice"});
  make_room("d", {"dave"});
  append("a", {msg("a", 1, "alice", "c1", "a1"), msg("a", 2, "bob", "c2", "a2"),
               change("a", 3, event_kind::react, "carol", 2, "👍", "on"),
               msg("a", 4, "carol", "c4", "a4"),
               change("a", 5, event_kind::edit, "carol", 4, "a4!"),
               member_event("a", 6, "alice", "dave", true)});
  write_one(room_writes{.room = "a", .members = {{.user = "dave", .at = 5}}});
  append("b", {msg("b", 1, "dave", "c1", "b1"), change("b", 2, event_kind::del, "dave", 1)});
  append("c", {member_event("c", 1, "carol", "alice", true)});
  write_one(room_writes{.room = "a", .reads = {{"bob", 2}, {"carol", 6}}});
  write_one(room_writes{.room = "b", .reads = {{"bob", 1}}});
  for (auto room : {"a", "b", "c", "d", "ghost"}) {
    auto got = summaries(room, users);
    for (size_t i = 0; i < users.size(); ++i) {
      CAF_MESSAGE(room << " " << users[i] << ": " << show(got[i]));
      CAF_CHECK_EQUAL(show(got[i]), show(line_of(users[i], room)));
    }
  }
}

CAF_TEST(room_summaries takes user ids of any text) {
  using strings = std::vector<std::string>;
  // What an array literal, a quoted list or a LIKE pattern would treat specially.
  strings odd{"a\"b", "c\\d", "{x,y}", "NULL", " spaced ", "e'f", "ü✓", "50%_"};
  strings members{"alice"};
  members.insert(members.end(), odd.begin(), odd.end());
  make_room("r1", members);
  append("r1", {msg("r1", 1, "a\"b", "c1", "quoted"), msg("r1", 2, "c\\d", "c2", "slashed")});
  write_one(room_writes{.room = "r1", .reads = {{"{x,y}", 1}}});
  strings asked{"NULL", "null", "{x", "x", "a", "50%", "\"", "alice"};
  asked.insert(asked.end(), odd.rbegin(), odd.rend());
  auto got = summaries("r1", asked);
  CAF_CHECK_EQUAL(ids_of(got), (strings{"r1", "", "", "", "", "", "", "r1", "r1", "r1", "r1",
                                        "r1", "r1", "r1", "r1", "r1"}));
  for (size_t i = 0; i < asked.size(); ++i)
    CAF_CHECK_EQUAL(show(got[i]), show(line_of(asked[i], "r1")));
  auto unread_of = [&](const std::string& user) {
    for (size_t i = 0; i < asked.size(); ++i)
      if (asked[i] == user)
        return std::pair{got[i].read, got[i].unread};
    return std::pair<int64_t, int64_t>{-1, -1};
  };
  using p = std::pair<int64_t, int64_t>;
  CAF_CHECK_EQUAL(unread_of("a\"b"), (p{0, 1}));
  CAF_CHECK_EQUAL(unread_of("c\\d"), (p{0, 1}));
  CAF_CHECK_EQUAL(unread_of("{x,y}"), (p{1, 1}));
  CAF_CHECK_EQUAL(unread_of("NULL"), (p{0, 2}));
}

CAF_TEST(room_summaries answers hundreds of users at once) {
  using strings = std::vector<std::string>;
  strings members{"alice"};
  for (int i = 1; i <= 300; ++i)
    members.push_back(tag("u", i));
  make_room("r1", members);
  append_messages("r1", 1, 300);  // all from alice
  room_writes reads{.room = "r1"};
  for (int i = 1; i <= 300; ++i)
    reads.reads.push_back({tag("u", i), i});
  write_one(reads);
  // Members backwards, each after a non-member, alice twice.
  strings asked{"alice"};
  for (int i = 300; i >= 1; --i) {
    asked.push_back(tag("nobody", i));
    asked.push_back(tag("u", i));
  }
  asked.push_back("alice");
  auto got = summaries("r1", asked);
  CAF_CHECK_EQUAL(got.front().unread, 0);  // her own messages only
  CAF_CHECK_EQUAL(show(got.back()), show(got.front()));
  for (int i = 300; i >= 1; --i) {
    const auto& none = got[static_cast<size_t>(2 * (300 - i) + 1)];
    const auto& user = got[static_cast<size_t>(2 * (300 - i) + 2)];
    CAF_CHECK_EQUAL(none.room, "");
    CAF_CHECK_EQUAL(user.room, "r1");
    CAF_CHECK_EQUAL(user.read, i);
    CAF_CHECK_EQUAL(user.unread, 300 - i);
    CAF_REQUIRE(user.last.has_value());
    CAF_CHECK_EQUAL(user.last->msg.seq, 300);
  }
}

CAF_TEST(last_seen round trips and reports unknown users as 0) {
  make_room("r1", {"alice", "bob"});
  std::vector<user_seen> seen{{"alice", 1000}, {"newcomer", 2000}};
  CAF_REQUIRE_EQUAL(db->set_last_seen(seen).message, "");
  auto ask = [&](std::vector<std::string> users) {
    auto r = db->last_seen(users);
    CAF_REQUIRE_EQUAL(r.ok() ? std::string{} : r.err().message, "");
    std::vector<std::string> out;
    for (const auto& u : *r)
      out.push_back(u.user + "=" + std::to_string(u.last_seen));
    return out;
  };
  using strings = std::vector<std::string>;
  // One entry per requested user, in the request's order, repeats included; bob exists
  // (a member) but was never seen.
  CAF_CHECK_EQUAL(ask({"newcomer", "ghost", "alice", "bob", "alice"}),
                  (strings{"newcomer=2000", "ghost=0", "alice=1000", "bob=0", "alice=1000"}));
  CAF_CHECK(ask({}).empty());
  // Later calls overwrite; a user named twice in one call keeps the later entry.
  std::vector<user_seen> again{{"alice", 3000}, {"bob", 10}, {"alice", 4000}};
  CAF_REQUIRE_EQUAL(db->set_last_seen(again).message, "");
  CAF_CHECK_EQUAL(ask({"alice", "bob", "newcomer"}),
                  (strings{"alice=4000", "bob=10", "newcomer=2000"}));
  CAF_CHECK(db->set_last_seen({}).ok());
  // Set on one connection, read on another.
  auto other = connect();
  CAF_REQUIRE(other != nullptr);
  std::vector<std::string> who{"alice"};
  auto r = other->last_seen(who);
  CAF_REQUIRE(r.ok() && r->size() == 1u);
  CAF_CHECK_EQUAL((*r)[0].last_seen, 4000);
  // Membership additions create users, never seen yet.
  write_one(room_writes{.room = "r1", .members = {{.user = "fresh", .added = true, .at = 1}}});
  CAF_CHECK_EQUAL(ask({"fresh"}), (strings{"fresh=0"}));
}

CAF_TEST_FIXTURE_SCOPE_END()
