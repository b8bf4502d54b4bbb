#define CAF_SUITE store_pg
#include "caf/test/unit_test.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/result>
#include <pqxx/transaction>

#include "storage/detail/migration_runner.hpp"
#include "storage/detail/pg_connection.hpp"
#include "storage/detail/pg_error.hpp"
#include "storage/migrations.hpp"
#include "storage/pg_store.hpp"
#include "storage/store.hpp"
#include "unit/store_pg_backend.hpp"

namespace {

using namespace parley::storage;
using parley::storage::testing::pg_backend;

}  // namespace

// The conformance suite, with stores opened by open_store (the default insert mode).
#define PARLEY_STORE_BACKEND pg_backend
#include "unit/store_conformance.hpp"

// -- PostgreSQL only ----------------------------------------------------------------------

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// A socket directory where no server runs: connecting fails at once (no such socket).
std::string unreachable_url() {
  auto dir = std::filesystem::temp_directory_path() / "parley-no-server";
  std::filesystem::create_directories(dir);
  return "postgresql://postgres@/parley?host=" + dir.string();
}

/// Per test: the schema of pg_backend plus a migrated pg_store on it.
struct pg_fixture : testing::conformance_fixture<pg_backend> {
  pg_store& pg() {
    auto* p = dynamic_cast<pg_store*>(db.get());
    CAF_REQUIRE(p != nullptr);
    return *p;
  }

  /// Runs SQL in a transaction of the admin connection; a driver exception fails the test.
  void admin_exec_in(pqxx::transaction_base& tx, const std::string& sql) {
    try {
      tx.exec(sql);
    } catch (const std::exception& e) {
      CAF_FAIL("admin: " << sql << ": " << e.what());
    }
  }

  /// Kills the store's server process from the admin connection and waits until it is gone,
  /// as a server restart or an administrator would.
  void terminate_backend(int pid) {
    CAF_REQUIRE_NOT_EQUAL(pid, 0);
    admin_exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    for (int i = 0; i < 200; ++i) {
      auto r = admin_exec("SELECT count(*) FROM pg_stat_activity WHERE pid = "
                          + std::to_string(pid));
      if (r[0][0].as<int>() == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CAF_FAIL("backend " << pid << " did not go away");
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(pg_only, pg_fixture)

using testing::code_of;
using testing::seqs_of;
using testing::version_of;

CAF_TEST(open_store takes postgresql and postgres URLs) {
  for (const auto& u : {url(), "postgres" + url().substr(std::string{"postgresql"}.size())}) {
    auto s = open_store(u);
    CAF_REQUIRE_EQUAL(s.ok() ? std::string{} : s.err().message, "");
    CAF_CHECK(dynamic_cast<pg_store*>(s->get()) != nullptr);
    CAF_CHECK((*s)->ping().ok());
    CAF_CHECK_EQUAL(version_of(**s), embedded_migrations().back().number);
  }
}

CAF_TEST(a fresh schema starts at version 0 and two processes can migrate it at once) {
  admin_exec("DROP SCHEMA " + name + " CASCADE; CREATE SCHEMA " + name);
  pg_store fresh{url()};
  CAF_REQUIRE_EQUAL(fresh.open_status().message, "");
  CAF_CHECK_EQUAL(version_of(fresh), 0);
  // Several connections at the same moment (processes starting side by side): the advisory
  // lock lets one create the tables while the others wait and then find them.
  std::vector<std::unique_ptr<pg_store>> stores;
  for (int i = 0; i < 4; ++i)
    stores.push_back(std::make_unique<pg_store>(url()));
  std::vector<std::string> errors(stores.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < stores.size(); ++i)
    threads.emplace_back([&, i] { errors[i] = stores[i]->migrate().message; });
  for (auto& t : threads)
    t.join();
  for (const auto& e : errors)
    CAF_CHECK_EQUAL(e, "");
  CAF_CHECK_EQUAL(version_of(fresh), embedded_migrations().back().number);
  auto rows = admin_exec("SELECT count(*) FROM schema_version");
  CAF_CHECK_EQUAL(rows[0][0].as<size_t>(), migrations_for("pg").size());
}

CAF_TEST(a version 1 schema migrates to version 2 with last_ts filled) {
  // What an older binary left: migration 1 only, with rooms, members and events.
  admin_exec("DROP SCHEMA " + name + " CASCADE; CREATE SCHEMA " + name);
  admin_exec(detail::schema_version_ddl);
  for (const auto& statement : split_sql_statements(embedded_migrations().front().sql))
    admin_exec(statement);
  admin_exec(testing::version1_rows_sql);
  pg_store s{url()};
  CAF_REQUIRE_EQUAL(s.open_status().message, "");
  CAF_CHECK_EQUAL(version_of(s), 1);
  CAF_REQUIRE_EQUAL(s.migrate().message, "");
  // The column holds the latest event's ts; a room without events keeps 0 (rooms_of shows
  // its created_at).
  auto rows = admin_exec("SELECT id, last_ts FROM rooms ORDER BY id");
  CAF_REQUIRE_EQUAL(rows.size(), 2u);
  CAF_CHECK_EQUAL(std::string{rows[0][0].c_str()} + "=" + rows[0][1].c_str(), "idle=0");
  CAF_CHECK_EQUAL(std::string{rows[1][0].c_str()} + "=" + rows[1][1].c_str(), "old=7000");
  testing::check_migrated_from_version1(s);
  auto indexes = admin_exec("SELECT indexname FROM pg_indexes WHERE schemaname = '" + name
                            + "' AND indexname LIKE 'events_%' ORDER BY indexname");
  std::vector<std::string> names;
  for (const auto& row : indexes)
    names.push_back(row[0].c_str());
  CAF_CHECK_EQUAL(names, (std::vector<std::string>{"events_by_target", "events_cid",
                                                   "events_msgs", "events_pkey"}));
}

CAF_TEST(membership additions create users) {
  make_room("r1", {"alice"});
  auto out = write_one(room_writes{.room = "r1",
                                   .members = {{.user = "x", .at = 1},
                                               {.user = "x", .added = false},
                                               {.user = "y", .at = 2}}});
  CAF_CHECK_EQUAL(out.message, "");
  auto users = admin_exec("SELECT id, name, last_seen FROM users ORDER BY id");
  std::vector<std::string> rows;
  for (const auto& row : users)
    rows.push_back(std::string{row[0].c_str()} + "|" + row[1].c_str() + "|" + row[2].c_str());
  // x too, though removed again in the same write.
  CAF_CHECK_EQUAL(rows, (std::vector<std::string>{"alice||0", "x||0", "y||0"}));
}

CAF_TEST(an unreachable server fails every call fast with unavailable) {
  auto t0 = clock_type::now();
  auto opened = open_store(unreachable_url());
  CAF_CHECK_LESS(seconds_since(t0), 3.0);
  CAF_REQUIRE(!opened.ok());
  CAF_CHECK_EQUAL(code_of(opened.err().code), "unavailable");
  // No socket in the directory, and a loopback port nothing listens on: both refuse at once.
  for (const auto& where : {unreachable_url(), std::string{"postgresql://u@127.0.0.1:1/x"}}) {
    pg_store s{where};
    CAF_CHECK_EQUAL(code_of(s.open_status().code), "unavailable");
    t0 = clock_type::now();
    CAF_CHECK_EQUAL(code_of(s.ping().code), "unavailable");
    CAF_CHECK_EQUAL(code_of(s.migrate().code), "unavailable");
    CAF_CHECK_EQUAL(code_of(s.load_room("r").err().code), "unavailable");
    CAF_CHECK_EQUAL(code_of(s.history(history_query{"r", {}, {}, 10}).err().code), "unavailable");
    std::vector<room_writes> batch(2);
    batch[0].room = "a";
    batch[1].room = "b";
    auto out = s.write(batch);
    CAF_REQUIRE_EQUAL(out.size(), 2u);
    CAF_CHECK_EQUAL(code_of(out[0].code), "unavailable");
    CAF_CHECK_EQUAL(code_of(out[1].code), "unavailable");
    CAF_CHECK_EQUAL(code_of(s.rooms_of("alice", 10).err().code), "unavailable");
    std::vector<user_seen> seen{{"alice", 1}};
    CAF_CHECK_EQUAL(code_of(s.set_last_seen(seen).code), "unavailable");
    std::vector<std::string> who{"alice"};
    CAF_CHECK_EQUAL(code_of(s.last_seen(who).err().code), "unavailable");
    CAF_CHECK_EQUAL(code_of(s.room_summaries("r", who).err().code), "unavailable");
    CAF_CHECK_LESS(seconds_since(t0), 3.0);
    CAF_CHECK_EQUAL(s.backend_pid(), 0);
  }
}

CAF_TEST(a connection string libpq cannot parse is internal on every call) {
  pg_store s{"host=/tmp bogus_option=1"};
  CAF_CHECK_EQUAL(code_of(s.open_status().code), "internal");
  CAF_CHECK_EQUAL(code_of(s.ping().code), "internal");
  CAF_CHECK(!open_store("postgresql://[::1").ok());
}

CAF_TEST(the store reconnects after its backend was terminated) {
  make_room("r1", {"alice", "bob"});
  append_messages("r1", 1, 2);
  // Reads: the first call after the kill finds the connection dead, connects again and
  // answers (nothing was lost: it only read).
  auto pid = pg().backend_pid();
  terminate_backend(pid);
  CAF_CHECK(db->ping().ok());
  CAF_CHECK_NOT_EQUAL(pg().backend_pid(), pid);
  CAF_CHECK_NOT_EQUAL(pg().backend_pid(), 0);
  terminate_backend(pg().backend_pid());
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 2);
  // A write whose connection died before its commit was sent is retried on the new one.
  terminate_backend(pg().backend_pid());
  auto out = write_one(room_writes{.room = "r1", .events = {msg("r1", 3, "bob", "c3", "m3")},
                                   .reads = {{"alice", 3}}});
  CAF_CHECK_EQUAL(code_of(out.code), "ok");
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 3);
  CAF_CHECK_EQUAL(read_seq_of("r1", "alice"), 3);
  CAF_CHECK_EQUAL(seqs_of(all_events(*db, "r1")), (std::vector<int64_t>{1, 2, 3}));
}

CAF_TEST(a commit whose outcome is unknown is in_doubt and never ok) {
  make_room("a", {"alice"});
  make_room("b", {"alice"});
  // A deferred trigger that kills its own backend: the connection drops while COMMIT runs,
  // so the client cannot know whether it committed (here it did not).
  admin_exec("CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             "PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); "
             "RETURN NULL; END $$");
  admin_exec("CREATE CONSTRAINT TRIGGER die AFTER INSERT ON events DEFERRABLE INITIALLY "
             "DEFERRED FOR EACH ROW WHEN (NEW.body = 'die') EXECUTE FUNCTION die_at_commit()");
  std::vector<room_writes> batch{{.room = "a", .events = {msg("a", 1, "alice", "x", "fine")}},
                                 {.room = "b", .events = {msg("b", 1, "alice", "y", "die")}}};
  auto t0 = clock_type::now();
  auto out = db->write(batch);
  CAF_CHECK_LESS(seconds_since(t0), 3.0);
  CAF_REQUIRE_EQUAL(out.size(), 2u);
  for (const auto& o : out) {
    CAF_CHECK_NOT_EQUAL(code_of(o.code), "ok");
    CAF_CHECK(o.code == errc::in_doubt || o.code == errc::unavailable);
  }
  CAF_MESSAGE("outcome: " << code_of(out[0].code) << ": " << out[0].message);
  // The next call reconnects; a re-read tells what happened.
  CAF_CHECK_EQUAL(head_of(*db, "a"), 0);
  CAF_CHECK_EQUAL(head_of(*db, "b"), 0);
  append("a", {msg("a", 1, "alice", "x", "fine")});
  CAF_CHECK_EQUAL(head_of(*db, "a"), 1);
}

CAF_TEST(a room blocked by a lock gives up within the lock timeout and only it fails) {
  make_room("r1", {"alice"});
  make_room("r2", {"alice"});
  pqxx::work holder{*admin};  // another writer of the room (another node), holding its row
  admin_exec_in(holder, "SELECT * FROM " + name + ".rooms WHERE id = 'r1' FOR UPDATE");
  std::vector<room_writes> batch{{.room = "r1", .events = {msg("r1", 1, "alice", "c1", "m")}},
                                 {.room = "r2", .events = {msg("r2", 1, "alice", "c1", "m")}}};
  auto t0 = clock_type::now();
  auto out = db->write(batch);
  auto waited = seconds_since(t0);
  CAF_REQUIRE_EQUAL(out.size(), 2u);
  CAF_MESSAGE("blocked room gave up after " << waited << " s: " << out[0].message);
  CAF_CHECK_EQUAL(code_of(out[0].code), "unavailable");
  CAF_CHECK_EQUAL(code_of(out[1].code), "ok");
  CAF_CHECK_GREATER(waited, 1.0);
  // At most twice the 2 s lock timeout: once on the batch-wide fast path, which cannot tell
  // which room is locked, then once more on the careful path for the locked room alone.
  CAF_CHECK_LESS(waited, 6.0);
  holder.abort();
  CAF_CHECK_EQUAL(head_of(*db, "r2"), 1);
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 0);
  append("r1", {msg("r1", 1, "alice", "c1", "m")});  // the connection is still good
  CAF_CHECK_EQUAL(head_of(*db, "r1"), 1);
}

CAF_TEST(text PostgreSQL cannot hold fails only its room) {
  make_room("a", {"alice"});
  make_room("b", {"alice"});
  using namespace std::string_literals;
  for (auto bad : {"nul \0 byte"s, "not utf-8 \xff\xfe"s}) {
    std::vector<room_writes> batch{
      {.room = "a", .events = {msg("a", head_of(*db, "a") + 1, "alice", "", "fine")}},
      {.room = "b", .events = {msg("b", 1, "alice", "c", bad)}, .reads = {{"alice", 1}}}};
    auto out = db->write(batch);
    CAF_REQUIRE_EQUAL(out.size(), 2u);
    CAF_CHECK_EQUAL(code_of(out[0].code), "ok");
    CAF_CHECK_EQUAL(code_of(out[1].code), "internal");
    CAF_MESSAGE(out[1].message);
    CAF_CHECK_EQUAL(head_of(*db, "b"), 0);
  }
  CAF_CHECK_EQUAL(head_of(*db, "a"), 2);
  // Keys with a NUL byte cannot exist in PostgreSQL: reads find nothing.
  auto r = db->load_room("a\0b"s);
  CAF_REQUIRE(r.ok());
  CAF_CHECK(!r->has_value());
  auto m = db->find_message("a", "alice\0x"s, "c");
  CAF_REQUIRE(m.ok());
  CAF_CHECK(!m->has_value());
  room_record bad{.id = "c", .title = "t\0t"s, .created_by = "alice"};
  CAF_CHECK_EQUAL(code_of(db->create_room(bad).code), "internal");
  // The same for users in membership changes and presence.
  std::vector<room_writes> batch{
    {.room = "a", .members = {{.user = "bob", .at = 1}}},
    {.room = "b", .members = {{.user = "nul\0user"s, .at = 1}}}};
  auto out = db->write(batch);
  CAF_REQUIRE_EQUAL(out.size(), 2u);
  CAF_CHECK_EQUAL(code_of(out[0].code), "ok");
  CAF_CHECK_EQUAL(code_of(out[1].code), "internal");
  CAF_CHECK_EQUAL(members_of("b").size(), 1u);
  CAF_CHECK_EQUAL(members_of("a").size(), 2u);
  std::vector<user_seen> seen{{"alice", 1}, {"nul\0user"s, 2}};
  CAF_CHECK_EQUAL(code_of(db->set_last_seen(seen).code), "internal");
  std::vector<std::string> who{"alice", "nul\0user"s};
  auto r2 = db->last_seen(who);
  CAF_REQUIRE(r2.ok() && r2->size() == 2u);
  CAF_CHECK_EQUAL((*r2)[0].last_seen, 0);  // nothing of the refused call was written
  CAF_CHECK_EQUAL((*r2)[1].last_seen, 0);
  auto list = db->rooms_of("alice\0"s, 10);
  CAF_REQUIRE(list.ok());
  CAF_CHECK(list->empty());
  // Nor can such a user be a member, nor such a room exist: empty entries, the others' lines.
  std::vector<std::string> asked{"alice\0"s, "alice", "\0"s};
  auto lines = db->room_summaries("a", asked);
  CAF_REQUIRE(lines.ok() && lines->size() == 3u);
  CAF_CHECK_EQUAL((*lines)[0].room, "");
  CAF_CHECK_EQUAL((*lines)[1].room, "a");
  CAF_CHECK_EQUAL((*lines)[1].head, 2);
  CAF_CHECK_EQUAL((*lines)[2].room, "");
  lines = db->room_summaries("a\0"s, asked);
  CAF_REQUIRE(lines.ok() && lines->size() == 3u);
  for (const auto& l : *lines)
    CAF_CHECK_EQUAL(l.room, "");
}

CAF_TEST(PostgreSQL error classes map to store errors) {
  using detail::pg_errc;
  for (auto s : {"08000", "08006", "08001", "57P01", "57P02", "57P03", "53300", "53100",
                 "53200", "57014", "55P03", "40001", "40P01", "25006"})
    CAF_CHECK_EQUAL(code_of(pg_errc(s)), "unavailable");
  for (auto s : {"23505", "23P01"})
    CAF_CHECK_EQUAL(code_of(pg_errc(s)), "conflict");
  CAF_CHECK_EQUAL(code_of(pg_errc("40003")), "in_doubt");
  for (auto s : {"42601", "42P01", "23503", "23502", "22021", "XX000", "", "0"})
    CAF_CHECK_EQUAL(code_of(pg_errc(s)), "internal");
}

CAF_TEST(the connection string gets the store defaults and keeps what was given) {
  auto c = detail::pg_conninfo("postgresql://postgres@/parley?host=/run/x&connect_timeout=7");
  CAF_REQUIRE(c.ok());
  for (auto part : {"host='/run/x'", "user='postgres'", "dbname='parley'", "connect_timeout='7'",
                    "keepalives='1'", "tcp_user_timeout='5000'", "client_encoding='UTF8'",
                    "application_name='parley'"})
    CAF_CHECK_NOT_EQUAL(c->find(part), std::string::npos);
  auto k = detail::pg_conninfo(R"(host=/run/x dbname=parley password='it\'s')");
  CAF_REQUIRE(k.ok());
  CAF_CHECK_NOT_EQUAL(k->find("connect_timeout='2'"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(k->find(R"(password='it\'s')"), std::string::npos);
  CAF_CHECK_EQUAL(code_of(detail::pg_conninfo("nonsense").err().code), "internal");
}

CAF_TEST_FIXTURE_SCOPE_END()
