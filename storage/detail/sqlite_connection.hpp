#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "storage/detail/sqlite_statement.hpp"
#include "storage/error.hpp"

struct sqlite3;

namespace parley::storage::detail {

/// One SQLite connection configured the way the store relies on (WAL, synchronous=FULL,
/// foreign keys, busy timeout), with a cache of its prepared statements. Knows nothing of
/// the schema: the store names its statements by index and passes their SQL.
class sqlite_connection {
public:
  sqlite_connection() = default;
  ~sqlite_connection();

  sqlite_connection(const sqlite_connection&) = delete;
  sqlite_connection& operator=(const sqlite_connection&) = delete;

  /// Opens `path`, creating the file and its parent directory if missing, then applies the
  /// pragmas. On failure the connection stays closed and the error says why.
  status open(const std::string& path);

  bool is_open() const { return db_ != nullptr; }
  sqlite3* handle() const { return db_; }

  /// The statement cached under `id`, prepared from `sql` on its first use. Later calls with
  /// the same id must pass the same SQL. SQLite re-prepares it by itself after schema changes.
  result<statement_use> statement(size_t id, const char* sql);

  /// Runs SQL that is not worth caching (migrations, pragmas): one or more statements.
  status exec(const std::string& sql, std::string_view what);

  /// BEGIN IMMEDIATE: takes the write lock up front, waiting up to the busy timeout. A
  /// deferred transaction that needs the lock later could fail with SQLITE_BUSY halfway,
  /// where the busy handler can no longer help.
  status begin_write();

  /// BEGIN (deferred): a read snapshot, so a few SELECTs see one state.
  status begin_read();

  /// COMMIT, classified for the caller: `unavailable` when the transaction was refused and
  /// rolled back (nothing written), `in_doubt` when SQLite ended it on an I/O error (the WAL
  /// frames may or may not be on disk: only a re-read can tell).
  status commit(std::string_view what);

  /// Whether an explicit transaction is open (SQLite also ends one by itself on some errors).
  bool in_transaction() const;

  /// Rolls the open transaction back, if any; errors are ignored (it is the cleanup path).
  void rollback() noexcept;

  error fail(int rc, std::string_view what) const;

private:
  void close() noexcept;
  result<statement_use> prepare_into(sqlite_statement& slot, const char* sql);
  status step_once(sqlite_statement& slot, const char* sql, std::string_view what);

  /// The first column of the first row of a one-off query.
  result<std::string> query_text(const char* sql);

  sqlite3* db_ = nullptr;
  std::vector<sqlite_statement> cache_;  ///< By statement id; finalized before the close.
  sqlite_statement begin_write_;
  sqlite_statement begin_read_;
  sqlite_statement commit_;
};

/// Rolls the connection's transaction back on scope exit unless dismissed after the commit:
/// every early return and every exception leaves the connection outside a transaction.
class rollback_guard {
public:
  explicit rollback_guard(sqlite_connection& conn) : conn_(conn) {}
  ~rollback_guard() {
    if (!dismissed_)
      conn_.rollback();
  }
  rollback_guard(const rollback_guard&) = delete;
  rollback_guard& operator=(const rollback_guard&) = delete;

  void dismiss() { dismissed_ = true; }

private:
  sqlite_connection& conn_;
  bool dismissed_ = false;
};

}  // namespace parley::storage::detail
