#define CAF_SUITE migrations
#include "caf/test/unit_test.hpp"

#include <regex>
#include <string>
#include <vector>

#include "storage/migrations.hpp"

using namespace parley::storage;
using strings = std::vector<std::string>;

namespace {

/// Statements with surrounding whitespace trimmed, so the cases read as SQL.
strings split(std::string_view sql) {
  strings out;
  for (auto& s : split_sql_statements(sql)) {
    auto b = s.find_first_not_of(" \t\r\n");
    auto e = s.find_last_not_of(" \t\r\n");
    out.push_back(s.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

CAF_TEST(statements split at top-level semicolons) {
  CAF_CHECK_EQUAL(split("CREATE TABLE a (x INT); CREATE TABLE b (y INT);"),
                  (strings{"CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"}));
  CAF_CHECK_EQUAL(split("SELECT 1"), (strings{"SELECT 1"}));  // no final semicolon
  CAF_CHECK_EQUAL(split(""), strings{});
  CAF_CHECK_EQUAL(split(" ;;\n ; \t"), strings{});  // blank statements drop
}

CAF_TEST(comments drop and their semicolons do not split) {
  CAF_CHECK_EQUAL(split("-- head; comment\nSELECT 1; -- tail; comment\n-- only a comment;"),
                  (strings{"SELECT 1"}));
  CAF_CHECK_EQUAL(split("SELECT 1 -- no newline at the end; really"), (strings{"SELECT 1"}));
  CAF_CHECK_EQUAL(split("SELECT 1 - 2; SELECT 3"), (strings{"SELECT 1 - 2", "SELECT 3"}));
}

CAF_TEST(strings keep their semicolons and dashes) {
  CAF_CHECK_EQUAL(split("INSERT INTO t VALUES ('a;b'); SELECT 'x -- y;'"),
                  (strings{"INSERT INTO t VALUES ('a;b')", "SELECT 'x -- y;'"}));
  // A doubled quote inside a string is an escaped quote, not the string's end.
  CAF_CHECK_EQUAL(split("SELECT 'it''s; fine'; SELECT 2"),
                  (strings{"SELECT 'it''s; fine'", "SELECT 2"}));
}

CAF_TEST(embedded migrations are numbered in order and split cleanly) {
  auto all = embedded_migrations();
  CAF_REQUIRE(!all.empty());
  CAF_CHECK_EQUAL(all.front().number, 1);
  std::regex name{"[0-9]{4}_[a-z0-9_]+(\\.sqlite|\\.pg)?\\.sql"};
  for (const auto& m : all) {
    CAF_CHECK(std::regex_match(std::string{m.name}, name));
    for (const auto& s : split_sql_statements(m.sql))
      CAF_CHECK_EQUAL(s.find("--"), std::string::npos);
  }
  // Each store sees every number once, without gaps, and so reaches the same version.
  for (const char* dialect : {"sqlite", "pg"}) {
    auto mine = migrations_for(dialect);
    CAF_REQUIRE_EQUAL(mine.size(), 3u);
    for (size_t i = 0; i < mine.size(); ++i) {
      CAF_CHECK_EQUAL(mine[i].number, static_cast<int>(i) + 1);
      CAF_CHECK(mine[i].dialect.empty() || mine[i].dialect == dialect);
    }
  }
  auto first = split(all.front().sql);
  CAF_CHECK_EQUAL(first.size(), 6u);  // 4 tables, 2 indexes
  CAF_CHECK_EQUAL(all[1].name, "0002_conversations.sql");
  auto second = split(all[1].sql);
  CAF_REQUIRE_EQUAL(second.size(), 4u);  // a column, 2 indexes, its values for existing rooms
  CAF_CHECK_EQUAL(second[0], "ALTER TABLE rooms ADD COLUMN last_ts BIGINT NOT NULL DEFAULT 0");
  CAF_CHECK_EQUAL(second[3].substr(0, 24), "UPDATE rooms SET last_ts");
  // 0003 rebuilds SQLite's log (new table, copy, drop, rename, 2 indexes); PostgreSQL's stays.
  auto third_sqlite = migrations_for("sqlite")[2];
  CAF_CHECK_EQUAL(third_sqlite.name, "0003_events_clustered.sqlite.sql");
  CAF_CHECK_EQUAL(split(third_sqlite.sql).size(), 6u);
  CAF_CHECK_EQUAL(migrations_for("pg")[2].name, "0003_events_clustered.pg.sql");
}
