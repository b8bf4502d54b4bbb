#define CAF_SUITE store_sqlite
#include "caf/test/unit_test.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/detail/migration_runner.hpp"
#include "storage/detail/sqlite_error.hpp"
#include "storage/detail/sqlite_queries.hpp"
#include "storage/detail/sqlite_wal_vfs.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/store.hpp"
#include "unit/store_conformance_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using namespace parley::storage;

/// A directory of its own under $TMPDIR, removed with everything in it.
struct temp_directory {
  temp_directory() {
    auto pattern = (fs::temp_directory_path() / "parley-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~temp_directory() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  temp_directory(const temp_directory&) = delete;
  temp_directory& operator=(const temp_directory&) = delete;

  fs::path path;
};

std::unique_ptr<store> open_migrated(const std::string& url) {
  auto s = open_store(url);
  if (!s) {
    CAF_FAIL("open_store(" << url << "): " << s.err().message);
  }
  auto st = (*s)->migrate();
  CAF_REQUIRE_EQUAL(st.message, "");
  return std::move(s).value();
}

/// The SQLite side of the conformance suite: one fresh file per test, in a directory that
/// does not exist yet (the store creates it).
struct sqlite_backend : temp_directory {
  std::string url() const {
    return "sqlite:" + (path / "data" / "parley.db").string();
  }
  testing::store_factory connector() {
    return [this] { return open_migrated(url()); };
  }
};

}  // namespace

#define PARLEY_STORE_BACKEND sqlite_backend
#include "unit/store_conformance.hpp"

// -- SQLite only -------------------------------------------------------------------------

namespace {

/// Runs SQL on a database file through SQLite itself, without the store; `rows` gets each
/// result row's columns joined by '|'.
void raw_exec(const std::string& file, const std::string& sql,
              std::vector<std::string>* rows = nullptr) {
  sqlite3* db = nullptr;
  auto rc = sqlite3_open(file.c_str(), &db);
  char* err = nullptr;
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int n, char** values, char**) {
        if (out != nullptr) {
          std::string row;
          for (int i = 0; i < n; ++i)
            row += (i > 0 ? "|" : "") + std::string{values[i] != nullptr ? values[i] : "NULL"};
          static_cast<std::vector<std::string>*>(out)->push_back(std::move(row));
        }
        return 0;
      },
      rows, &err);
  std::string message = err != nullptr ? err : (db != nullptr ? sqlite3_errmsg(db) : "");
  sqlite3_free(err);
  sqlite3_close(db);
  CAF_REQUIRE_EQUAL(rc == SQLITE_OK ? std::string{} : message, "");
}

/// Creates `rooms` rooms and writes `per_room` messages to each in one group commit
/// (tens of pages: a frame of two writes each, header and page, without the gathering VFS).
std::vector<room_writes> rooms_with_messages(sqlite_store& store, int rooms, int64_t per_room) {
  std::vector<room_writes> batch;
  for (int r = 0; r < rooms; ++r) {
    auto id = testing::tag("room", r);
    room_record rec{.id = id, .title = id, .created_by = "alice", .created_at = 1};
    rec.members.push_back(member{.user = "alice", .role = member_role::admin});
    CAF_REQUIRE_EQUAL(store.create_room(rec).message, "");
    room_writes w{.room = id};
    for (int64_t s = 1; s <= per_room; ++s)
      w.events.push_back(event{.room = id, .seq = s, .kind = event_kind::msg, .sender = "alice",
                               .cid = testing::tag("c", s), .body = id + "/" + std::to_string(s),
                               .subtype = "text", .ts = 1000 + s});
    batch.push_back(std::move(w));
  }
  return batch;
}

/// Every room of rooms_with_messages(.., rooms, 20) reads back whole from `store`.
void check_rooms_read_back(sqlite_store& store, int rooms) {
  for (int r = 0; r < rooms; ++r) {
    auto id = testing::tag("room", r);
    auto evs = store.events_after(id, 0, 100);
    CAF_REQUIRE(evs.ok());
    CAF_REQUIRE_EQUAL(evs->size(), 20u);
    CAF_CHECK_EQUAL(evs->back().body, id + "/20");
    CAF_CHECK_EQUAL(evs->front().cid, "c1");
  }
}

}  // namespace

CAF_TEST_FIXTURE_SCOPE(sqlite_only, temp_directory)

using parley::storage::testing::version_of;

CAF_TEST(a version 1 database migrates to the latest with last_ts filled and the log clustered) {
  auto file = (path / "v1.db").string();
  // What an older binary left: migration 1 only, with rooms, members and events.
  std::string v1 = std::string{detail::schema_version_ddl} + ";\n";
  v1 += std::string{embedded_migrations().front().sql} + ";\n";
  v1 += testing::version1_rows_sql;
  raw_exec(file, v1);
  sqlite_store s{file};
  CAF_REQUIRE_EQUAL(s.open_status().message, "");
  CAF_CHECK_EQUAL(version_of(s), 1);
  CAF_REQUIRE_EQUAL(s.migrate().message, "");
  std::vector<std::string> rows;
  raw_exec(file, "SELECT id, last_ts FROM rooms ORDER BY id", &rows);
  // The column holds the latest event's ts; a room without events keeps 0 (rooms_of shows
  // its created_at).
  CAF_CHECK_EQUAL(rows, (std::vector<std::string>{"idle|0", "old|7000"}));
  testing::check_migrated_from_version1(s);
  rows.clear();
  raw_exec(file, "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'events_%'"
                 " ORDER BY name", &rows);
  // Version 3 rebuilt the log without a rowid (its rows are checked above) and dropped
  // events_msgs; the idempotency and target indexes were made again.
  CAF_CHECK_EQUAL(rows, (std::vector<std::string>{"events_by_target", "events_cid"}));
  rows.clear();
  raw_exec(file, "SELECT count(*) FROM sqlite_master WHERE name = 'events'"
                 " AND sql LIKE '%WITHOUT ROWID%'", &rows);
  CAF_CHECK_EQUAL(rows, (std::vector<std::string>{"1"}));
}

CAF_TEST(the queries of history rooms_of and room_summaries use their indexes) {
  auto file = (path / "plans.db").string();
  {
    sqlite_store s{file};
    CAF_REQUIRE_EQUAL(s.migrate().message, "");
  }
  auto plan = [&](detail::sql::id q) {
    std::vector<std::string> rows;
    raw_exec(file, std::string{"EXPLAIN QUERY PLAN "} + detail::sql::text[q], &rows);
    std::string out;
    for (const auto& r : rows)
      out += r + "\n";
    return out;
  };
  auto uses = [](const std::string& plan, const std::string& what) {
    if (plan.find(what) == std::string::npos)
      CAF_FAIL("expected " << what << " in the plan:\n" << plan);
    return true;
  };
  // Changes of an old page through the target index, not a scan from the page to the head.
  CAF_CHECK(uses(plan(detail::sql::msg_changes), "USING INDEX events_by_target"));
  // Unread counts and message pages: a range of the room's rows in the log itself, which
  // is clustered by (room_id, seq) since 0003; no sort, no second B-tree.
  auto range = "SEARCH events USING PRIMARY KEY (room_id=? AND seq>?";
  CAF_CHECK(uses(plan(detail::sql::count_unread), range));
  CAF_CHECK(uses(plan(detail::sql::msg_senders_after), range));
  CAF_CHECK(uses(plan(detail::sql::msgs_desc), range));
  CAF_CHECK(uses(plan(detail::sql::msgs_asc), range));
  for (auto q : {detail::sql::msg_senders_after, detail::sql::msgs_desc, detail::sql::msgs_asc})
    CAF_CHECK_EQUAL(plan(q).find("TEMP B-TREE"), std::string::npos);
  CAF_CHECK(uses(plan(detail::sql::rooms_of), "USING INDEX members_by_user"));
  // room_summaries: each member by the members' primary key (room_id, user_id).
  CAF_CHECK(uses(plan(detail::sql::room_member),
                 "USING INDEX sqlite_autoindex_members_1 (room_id=? AND user_id=?)"));
}

CAF_TEST(a new file starts at version 0 and migrates once) {
  auto file = (path / "fresh.db").string();
  sqlite_store s{file};
  CAF_REQUIRE_EQUAL(s.open_status().message, "");
  CAF_CHECK_EQUAL(version_of(s), 0);
  CAF_CHECK_EQUAL(s.migrate().message, "");
  auto highest = embedded_migrations().back().number;
  CAF_CHECK_EQUAL(version_of(s), highest);
  // A second store on the file (another process at start-up) finds nothing to do.
  sqlite_store other{file};
  CAF_CHECK_EQUAL(other.migrate().message, "");
  CAF_CHECK_EQUAL(version_of(other), highest);
  CAF_CHECK(other.ping().ok());
}

CAF_TEST(the file is in WAL mode) {
  auto file = path / "wal.db";
  {
    sqlite_store s{file.string()};
    CAF_REQUIRE(s.migrate().ok());
  }
  // Bytes 18 and 19 of the header are the file format versions: 2 means WAL, which sticks
  // to the file once set.
  std::ifstream in(file, std::ios::binary);
  char header[20] = {};
  in.read(header, sizeof header);
  CAF_REQUIRE(in.good());
  CAF_CHECK_EQUAL(static_cast<int>(header[18]), 2);
  CAF_CHECK_EQUAL(static_cast<int>(header[19]), 2);
}

CAF_TEST(a commit reaches the log in a few large writes and another connection reads it) {
  auto file = (path / "gather.db").string();
  sqlite_store writer{file};
  CAF_REQUIRE_EQUAL(writer.migrate().message, "");
  auto batch = rooms_with_messages(writer, 64, 20);
  auto before = detail::wal_gathering_stats();
  auto out = writer.write(batch);
  auto after = detail::wal_gathering_stats();
  for (auto& o : out)
    CAF_REQUIRE_EQUAL(o.message, "");
  auto in = after.writes_in - before.writes_in;
  auto written = after.writes_out - before.writes_out;
  CAF_MESSAGE("log writes from SQLite: " << in << ", to the file: " << written);
  CAF_CHECK_GREATER_OR_EQUAL(in, 20u);
  CAF_CHECK_GREATER(written, 0u);
  CAF_CHECK_LESS_OR_EQUAL(written * 10, in);
  // Still in the log (no checkpoint yet): a second connection reads it from the file.
  sqlite_store reader{file};
  CAF_REQUIRE_EQUAL(reader.open_status().message, "");
  check_rooms_read_back(reader, 64);
}

CAF_TEST(the log grows in zeroed steps and a copy taken mid-log recovers every commit) {
  auto file = (path / "grow.db").string();
  auto wal = file + "-wal";
  sqlite_store writer{file};
  CAF_REQUIRE_EQUAL(writer.migrate().message, "");
  auto batch = rooms_with_messages(writer, 64, 20);
  for (auto& o : writer.write(batch))
    CAF_REQUIRE_EQUAL(o.message, "");
  // The commits are in the log (no checkpoint yet), which ends in zeros up to a whole step.
  auto size = fs::file_size(wal);
  CAF_MESSAGE("log file size: " << size);
  CAF_CHECK_GREATER(size, 0u);
  CAF_CHECK_EQUAL(size % (1u << 20), 0u);
  // What a crash leaves: the database and its log with the zeros, no shared-memory index.
  // Opening the copy makes SQLite recover the index from the log, which must stop at the
  // zeros with every commit before them.
  fs::copy_file(file, path / "copy.db");
  fs::copy_file(wal, path / "copy.db-wal");
  sqlite_store copy{(path / "copy.db").string()};
  CAF_REQUIRE_EQUAL(copy.open_status().message, "");
  check_rooms_read_back(copy, 64);
  // And it goes on from there: a new commit lands after the recovered ones.
  room_writes more{.room = testing::tag("room", 0)};
  more.events.push_back(event{.room = more.room, .seq = 21, .kind = event_kind::msg,
                              .sender = "alice", .cid = "c21", .body = "after recovery",
                              .subtype = "text", .ts = 2000});
  std::vector<room_writes> again{more};
  for (auto& o : copy.write(again))
    CAF_REQUIRE_EQUAL(o.message, "");
  auto evs = copy.events_after(more.room, 19, 100);
  CAF_REQUIRE(evs.ok());
  CAF_REQUIRE_EQUAL(evs->size(), 2u);
  CAF_CHECK_EQUAL(evs->back().body, "after recovery");
}

CAF_TEST(two connections that take turns growing the log keep the commits of both) {
  // Each connection remembers how long it made the log; the other one grows it meanwhile.
  // Zeros written from a stale length would land on the other's committed frames.
  auto file = (path / "turns.db").string();
  sqlite_store a{file};
  CAF_REQUIRE_EQUAL(a.migrate().message, "");
  sqlite_store b{file};
  CAF_REQUIRE_EQUAL(b.open_status().message, "");
  constexpr int rooms_each = 6, turns = 12;
  auto room_of = [](char who, int r) { return std::string(1, who) + "-" + std::to_string(r); };
  for (char who : {'a', 'b'})
    for (int r = 0; r < rooms_each; ++r) {
      room_record rec{.id = room_of(who, r), .title = "t", .created_by = "alice", .created_at = 1};
      CAF_REQUIRE_EQUAL((who == 'a' ? a : b).create_room(rec).message, "");
    }
  for (int turn = 0; turn < turns; ++turn)
    for (char who : {'a', 'b'}) {
      std::vector<room_writes> batch;
      for (int r = 0; r < rooms_each; ++r) {
        room_writes w{.room = room_of(who, r)};
        for (int64_t k = 1; k <= 20; ++k) {
          auto seq = turn * 20 + k;
          w.events.push_back(event{.room = w.room, .seq = seq, .kind = event_kind::msg,
                                   .sender = "alice", .cid = testing::tag("c", seq),
                                   .body = std::string(400, static_cast<char>('a' + k % 26)),
                                   .ts = seq});
        }
        batch.push_back(std::move(w));
      }
      for (auto& o : (who == 'a' ? a : b).write(batch))
        CAF_REQUIRE_EQUAL(o.message, "");
    }
  auto size = fs::file_size(file + "-wal");
  CAF_MESSAGE("log file size: " << size);
  CAF_REQUIRE_GREATER(size, 2u << 20);  // the turns crossed several growth steps
  sqlite_store reader{file};
  for (char who : {'a', 'b'})
    for (int r = 0; r < rooms_each; ++r) {
      auto evs = reader.events_after(room_of(who, r), 0, 1'000);
      CAF_REQUIRE(evs.ok());
      CAF_REQUIRE_EQUAL(evs->size(), static_cast<size_t>(turns * 20));
      CAF_CHECK_EQUAL(evs->back().seq, turns * 20);
    }
}

CAF_TEST(open_store understands sqlite and refuses the rest clearly) {
  auto nested = path / "a" / "b" / "c.db";
  auto s = open_store("sqlite:" + nested.string());
  CAF_REQUIRE(s.ok());
  CAF_CHECK(fs::exists(nested));
  CAF_CHECK((*s)->ping().ok());
  // PostgreSQL URLs go to the PostgreSQL store (tested in store_pg): with no server behind
  // the socket directory, it reports the server unreachable, not the URL unknown.
  auto no_server = (path / "no-server").string();
  for (auto scheme : {"postgresql", "postgres"}) {
    auto pg = open_store(std::string{scheme} + "://u@/parley?host=" + no_server);
    CAF_REQUIRE(!pg.ok());
    CAF_CHECK_EQUAL(to_string(pg.err().code), std::string{"unavailable"});
  }
  for (auto url : {"mysql://x", "", "sqlite", "sqlite:"}) {
    auto bad = open_store(url);
    CAF_REQUIRE(!bad.ok());
    CAF_CHECK_EQUAL(to_string(bad.err().code), std::string{"internal"});
    CAF_CHECK_NOT_EQUAL(bad.err().message, "");
  }
}

CAF_TEST(a store that cannot open says so on every call) {
  auto blocker = path / "file";
  std::ofstream(blocker) << "not a directory";
  auto where = (blocker / "db" / "parley.db").string();  // under a regular file
  CAF_CHECK(!open_store("sqlite:" + where).ok());
  sqlite_store s{where};
  CAF_CHECK_EQUAL(to_string(s.open_status().code), std::string{"unavailable"});
  CAF_CHECK_EQUAL(to_string(s.ping().code), std::string{"unavailable"});
  CAF_CHECK(!s.migrate().ok());
  CAF_CHECK(!s.load_room("r").ok());
  CAF_CHECK(!s.history(history_query{"r", {}, {}, 10}).ok());
  std::vector<std::string> who{"alice"};
  CAF_CHECK_EQUAL(to_string(s.room_summaries("r", who).err().code), std::string{"unavailable"});
  std::vector<room_writes> batch(2);
  auto out = s.write(batch);
  CAF_REQUIRE_EQUAL(out.size(), 2u);
  CAF_CHECK_EQUAL(to_string(out[1].code), std::string{"unavailable"});
}

CAF_TEST(a file that is not a database is refused) {
  auto junk = path / "junk.db";
  std::ofstream(junk) << std::string(4096, 'j');
  sqlite_store s{junk.string()};
  CAF_CHECK(!s.open_status().ok());
  CAF_CHECK_EQUAL(to_string(s.open_status().code), std::string{"internal"});
}

CAF_TEST(sqlite result codes map to store errors) {
  using detail::sqlite_errc;
  CAF_CHECK(sqlite_errc(SQLITE_OK) == errc::ok);
  CAF_CHECK(sqlite_errc(SQLITE_DONE) == errc::ok);
  for (int rc : {SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, SQLITE_IOERR,
                 SQLITE_IOERR_FSYNC, SQLITE_FULL, SQLITE_CANTOPEN})
    CAF_CHECK(sqlite_errc(rc) == errc::unavailable);
  for (int rc : {SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY,
                 SQLITE_CONSTRAINT_FOREIGNKEY})
    CAF_CHECK(sqlite_errc(rc) == errc::conflict);
  for (int rc : {SQLITE_ERROR, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISUSE})
    CAF_CHECK(sqlite_errc(rc) == errc::internal);
  auto e = detail::sqlite_error(nullptr, SQLITE_BUSY, "write");
  CAF_CHECK(e.code == errc::unavailable);
  CAF_CHECK_EQUAL(e.message, "write: database is locked");
}

CAF_TEST_FIXTURE_SCOPE_END()
