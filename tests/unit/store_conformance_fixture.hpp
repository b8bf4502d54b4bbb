#pragma once

// The fixture and helpers of the store conformance suite (store_conformance.hpp).
// Include after CAF's unit_test.hpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/migrations.hpp"
#include "storage/store.hpp"

namespace parley::storage::testing {

/// Opens a new connection (store object) to the current test's own database and migrates
/// it. The database is empty when the test starts; later calls reach the same database,
/// which is how the cases test reopening and a second connection. Null on failure.
using store_factory = std::function<std::unique_ptr<store>()>;

inline std::string show(const event& e) {
  return e.room + "#" + std::to_string(e.seq) + " " + std::string{to_string(e.kind)} + " from="
         + e.sender + " cid=" + e.cid + " body=" + e.body + " sub=" + e.subtype
         + " target=" + std::to_string(e.target) + " meta=" + e.meta + " ts="
         + std::to_string(e.ts);
}

inline std::string show(const std::vector<event>& es) {
  std::string out;
  for (const auto& e : es)
    out += show(e) + "\n";
  return out;
}

/// A message as history (and rooms_of) show it, everything spelled out.
inline std::string show(const message_state& m) {
  std::string out = show(m.msg) + " edited=" + std::to_string(m.edited_ts)
                    + (m.deleted ? " deleted" : "") + " reactions=";
  for (const auto& [emoji, users] : m.reactions) {
    out += emoji + ":";
    for (const auto& u : users)
      out += u + ",";
    out += ";";
  }
  return out;
}

inline std::string show(const std::optional<message_state>& m) {
  return m ? show(*m) : std::string{"none"};
}

/// A conversation-list line, everything spelled out.
inline std::string show(const room_summary& r) {
  return "room=" + r.room + " title=" + r.title + " head=" + std::to_string(r.head)
         + " read=" + std::to_string(r.read) + " unread=" + std::to_string(r.unread)
         + " last_ts=" + std::to_string(r.last_ts) + " last=" + show(r.last);
}

inline std::vector<std::string> show(const std::vector<room_summary>& list) {
  std::vector<std::string> out;
  for (const auto& r : list)
    out.push_back(show(r));
  return out;
}

/// A member row, everything spelled out.
inline std::string show(const member& m) {
  return m.user + (m.role == member_role::admin ? " admin" : " member") + " read="
         + std::to_string(m.read_seq) + " joined=" + std::to_string(m.joined_at);
}

/// prefix + n; spelled out because GCC 12 at -O3 flags `"c" + std::to_string(n)` with a
/// false -Wrestrict.
inline std::string tag(const char* prefix, int64_t n) {
  std::string out{prefix};
  out += std::to_string(n);
  return out;
}

/// The schema version, or -1 on error (the error then fails the comparison).
inline int version_of(store& s) {
  auto v = s.schema_version();
  return v.ok() ? v.value() : -1;
}

inline std::string code_of(errc c) {
  return to_string(c);
}

inline std::vector<int64_t> seqs_of(const std::vector<event>& es) {
  std::vector<int64_t> out;
  for (const auto& e : es)
    out.push_back(e.seq);
  return out;
}

inline std::vector<int64_t> seqs_of(const history_page& p) {
  std::vector<int64_t> out;
  for (const auto& m : p.messages)
    out.push_back(m.msg.seq);
  return out;
}

/// A database at schema version 1 (the migration of an older binary, applied by hand) with
/// rows in it: `old` has events (its latest at ts 7000), `idle` has none (created at 2000).
/// Run after schema_version_ddl and the statements of migration 1.
inline constexpr const char* version1_rows_sql =
  "INSERT INTO schema_version (version, name, applied_at) VALUES (1, '0001_init.sql', 0);"
  "INSERT INTO rooms (id, title, created_by, created_at, head_seq)"
  " VALUES ('old', 'Old', 'alice', 1000, 3), ('idle', 'Idle', 'alice', 2000, 0);"
  "INSERT INTO users (id) VALUES ('alice'), ('bob');"
  "INSERT INTO members (room_id, user_id, role, read_seq, joined_at)"
  " VALUES ('old', 'alice', 'admin', 0, 1000), ('old', 'bob', 'member', 0, 1000),"
  " ('idle', 'alice', 'admin', 0, 2000);"
  "INSERT INTO events (room_id, seq, kind, sender, cid, body, subtype, target, meta, ts)"
  " VALUES ('old', 1, 'msg', 'bob', 'c1', 'hello', 'text', 0, '', 5000),"
  " ('old', 2, 'edit', 'bob', NULL, 'hello!', '', 1, '', 6000),"
  " ('old', 3, 'react', 'alice', NULL, 'ok', 'on', 1, '', 7000)";

/// What a store that migrated the database of version1_rows_sql must show: the latest
/// version, last_ts from the latest event (or created_at), the old rows intact, and writes
/// going on.
inline void check_migrated_from_version1(store& s) {
  CAF_CHECK_EQUAL(version_of(s), embedded_migrations().back().number);
  auto list = s.rooms_of("alice", 10);
  CAF_REQUIRE(list.ok());
  CAF_REQUIRE_EQUAL(list->size(), 2u);
  const auto& old = (*list)[0];
  CAF_CHECK_EQUAL(old.room, "old");
  CAF_CHECK_EQUAL(old.last_ts, 7000);
  CAF_CHECK_EQUAL(old.head, 3);
  CAF_CHECK_EQUAL(old.read, 0);
  CAF_CHECK_EQUAL(old.unread, 1);  // bob's message
  CAF_REQUIRE(old.last.has_value());
  CAF_CHECK_EQUAL(old.last->msg.body, "hello!");
  CAF_CHECK_EQUAL(old.last->edited_ts, 6000);
  CAF_CHECK(old.last->reactions
            == (std::vector<std::pair<std::string, std::vector<std::string>>>{
              {"ok", {"alice"}}}));
  const auto& idle = (*list)[1];
  CAF_CHECK_EQUAL(idle.room, "idle");
  CAF_CHECK_EQUAL(idle.last_ts, 2000);
  CAF_CHECK(!idle.last.has_value());
  auto bob = s.rooms_of("bob", 10);
  CAF_REQUIRE(bob.ok() && bob->size() == 1u);
  CAF_CHECK_EQUAL((*bob)[0].unread, 0);  // his own message only
  // The log goes on where version 1 left it, and moves last_ts.
  event e{.room = "old", .seq = 4, .kind = event_kind::msg, .sender = "bob", .cid = "c4",
          .body = "again", .subtype = "text", .ts = 8000};
  std::vector<room_writes> batch{{.room = "idle", .members = {{.user = "bob", .at = 9000}}},
                                 {.room = "old", .events = {e}}};
  auto out = s.write(batch);
  CAF_REQUIRE_EQUAL(out.size(), 2u);
  CAF_CHECK_EQUAL(out[0].message, "");
  CAF_CHECK_EQUAL(out[1].message, "");
  bob = s.rooms_of("bob", 10);
  CAF_REQUIRE(bob.ok() && bob->size() == 2u);
  CAF_CHECK_EQUAL((*bob)[0].room, "old");
  CAF_CHECK_EQUAL((*bob)[0].last_ts, 8000);
  CAF_CHECK_EQUAL((*bob)[1].room, "idle");
}

/// Per test: a fresh database from the backend, one connection to it, and helpers.
template <class Backend>
struct conformance_fixture : Backend {
  conformance_fixture() : connect(this->connector()) {
    db = connect();
    CAF_REQUIRE(db != nullptr);
  }

  store_factory connect;
  std::unique_ptr<store> db;

  static int64_t ts_of(int64_t seq) {
    return 1'700'000'000'000 + seq * 10;
  }

  static event msg(const std::string& room, int64_t seq, const std::string& sender,
                   const std::string& cid, const std::string& body) {
    return event{.room = room, .seq = seq, .kind = event_kind::msg, .sender = sender,
                 .cid = cid, .body = body, .subtype = "text", .ts = ts_of(seq)};
  }

  static event change(const std::string& room, int64_t seq, event_kind kind,
                      const std::string& sender, int64_t target, const std::string& body = {},
                      const std::string& subtype = {}) {
    return event{.room = room, .seq = seq, .kind = kind, .sender = sender, .body = body,
                 .subtype = subtype, .target = target, .ts = ts_of(seq)};
  }

  /// A room whose first user is its admin and creator.
  void make_room(const std::string& id, const std::vector<std::string>& users) {
    room_record r{.id = id, .title = "room " + id, .created_by = users.front(),
                  .created_at = 1'600'000'000'000};
    for (const auto& u : users)
      r.members.push_back(
        member{.user = u, .role = u == users.front() ? member_role::admin : member_role::member});
    auto st = db->create_room(r);
    CAF_REQUIRE_EQUAL(st.message, "");
  }

  room_write_outcome write_one(room_writes w) {
    std::vector<room_writes> batch{std::move(w)};
    auto out = db->write(batch);
    CAF_REQUIRE_EQUAL(out.size(), 1u);
    return out.front();
  }

  void append(const std::string& room, std::vector<event> events) {
    auto out = write_one(room_writes{.room = room, .events = std::move(events)});
    CAF_REQUIRE_EQUAL(out.message, "");
    CAF_REQUIRE_EQUAL(code_of(out.code), "ok");
  }

  /// Messages 1..n from alice (cid "c<seq>", body "m<seq>").
  void append_messages(const std::string& room, int64_t from, int64_t to) {
    std::vector<event> es;
    for (auto s = from; s <= to; ++s)
      es.push_back(msg(room, s, "alice", tag("c", s), tag("m", s)));
    append(room, std::move(es));
  }

  int64_t head_of(store& s, const std::string& room) {
    auto r = s.load_room(room);
    CAF_REQUIRE(r.ok());
    CAF_REQUIRE(r->has_value());
    return (*r)->head_seq;
  }

  int64_t read_seq_of(const std::string& room, const std::string& user) {
    auto r = db->load_room(room);
    CAF_REQUIRE(r.ok() && r->has_value());
    for (const auto& m : (*r)->members)
      if (m.user == user)
        return m.read_seq;
    CAF_FAIL("no member " << user);
    return -1;
  }

  static event member_event(const std::string& room, int64_t seq, const std::string& sender,
                            const std::string& user, bool added) {
    return change(room, seq, event_kind::member, sender, 0, user, added ? "added" : "removed");
  }

  /// The members of a room, spelled out (sorted by user id, as load_room gives them).
  std::vector<std::string> members_of(const std::string& room) {
    auto r = db->load_room(room);
    CAF_REQUIRE(r.ok() && r->has_value());
    std::vector<std::string> out;
    for (const auto& m : (*r)->members)
      out.push_back(show(m));
    return out;
  }

  std::vector<room_summary> rooms_of(const std::string& user, int64_t limit = 1000) {
    auto r = db->rooms_of(user, limit);
    CAF_REQUIRE_EQUAL(r.ok() ? std::string{} : r.err().message, "");
    return std::move(r).value();
  }

  std::vector<room_summary> summaries(const std::string& room,
                                      const std::vector<std::string>& users) {
    auto r = db->room_summaries(room, users);
    CAF_REQUIRE_EQUAL(r.ok() ? std::string{} : r.err().message, "");
    CAF_REQUIRE_EQUAL(r->size(), users.size());
    return std::move(r).value();
  }

  /// The line of `room` in the conversation list of `user` (an empty one if not listed).
  room_summary line_of(const std::string& user, const std::string& room) {
    for (auto& r : rooms_of(user))
      if (r.room == room)
        return r;
    return {};
  }

  /// The room ids of a conversation list, in its order.
  static std::vector<std::string> ids_of(const std::vector<room_summary>& list) {
    std::vector<std::string> out;
    for (const auto& r : list)
      out.push_back(r.room);
    return out;
  }

  std::vector<event> all_events(store& s, const std::string& room) {
    auto r = s.events_after(room, 0, 100000);
    CAF_REQUIRE(r.ok());
    return std::move(r).value();
  }

  history_page history(const std::string& room, std::optional<int64_t> before,
                       std::optional<int64_t> after, int64_t limit) {
    auto r = db->history(history_query{room, before, after, limit});
    CAF_REQUIRE_EQUAL(r.ok() ? std::string{} : r.err().message, "");
    return std::move(r).value();
  }
};

}  // namespace parley::storage::testing

