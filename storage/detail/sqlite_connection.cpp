#include "storage/detail/sqlite_connection.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include "storage/detail/sqlite_error.hpp"
#include "storage/detail/sqlite_page_cache.hpp"
#include "storage/detail/sqlite_wal_vfs.hpp"

namespace parley::storage::detail {

namespace {

/// Long enough to ride out a checkpoint or another process's commit; short enough that a
/// stuck lock turns into `unavailable` while the caller can still answer its clients.
constexpr int busy_timeout_ms = 5000;

/// Before SQLite's first use in the process: no allocation statistics. With them on (the
/// default), every sqlite3_malloc and sqlite3_free takes a global mutex to count bytes
/// nobody reads here; an insert allocates about a dozen times.
void configure_sqlite_once() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // SQLITE_MISUSE if SQLite started already
    return true;
  }();
  (void)configured;
}

}  // namespace

sqlite_connection::~sqlite_connection() {
  close();
}

void sqlite_connection::close() noexcept {
  // Statements must be finalized before the connection closes.
  cache_.clear();
  begin_write_ = {};
  begin_read_ = {};
  commit_ = {};
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

status sqlite_connection::open(const std::string& path) {
  configure_sqlite_once();
  close();
  if (path.empty())
    return error{errc::internal, "sqlite: empty database path"};
  if (path != ":memory:") {
    auto dir = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty())
      std::filesystem::create_directories(dir, ec);
    if (ec)
      return error{errc::unavailable,
                   "sqlite: cannot create directory " + dir.string() + ": " + ec.message()};
  }
  // NOMUTEX: a store, and so its connection, belongs to one actor, and the writer and the
  // reader are detached actors, each with a thread of its own; nothing else calls it.
  // SQLite's own per-call locking (FULLMUTEX) was 3 % of the broker's samples in the
  // durable scenario, as much as everything else the writer thread locked.
  sqlite3* db = nullptr;
  // Before anything initializes SQLite (the VFS's registration does): a commit skips the
  // page cache's useless scans (sqlite_page_cache.hpp).
  install_page_cache();
  // The log's frames reach the file in one write per commit (sqlite_wal_vfs.hpp).
  auto rc = sqlite3_open_v2(path.c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            wal_gathering_vfs());
  if (rc != SQLITE_OK) {
    auto err = sqlite_error(db, rc, "sqlite: cannot open " + path);
    sqlite3_close_v2(db);  // open_v2 may allocate a handle even when it fails
    return err;
  }
  db_ = db;
  sqlite3_extended_result_codes(db_, 1);  // tells a seq clash from a cid clash
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  // journal_mode answers with the mode in force: a file that cannot use WAL (e.g. on some
  // network file systems) would silently stay in rollback mode, so check the answer.
  auto mode = query_text("PRAGMA journal_mode=WAL");
  if (!mode) {
    auto err = mode.err();
    close();
    return err;
  }
  if (*mode != "wal" && !(path == ":memory:" && *mode == "memory")) {
    close();
    return error{errc::internal,
                 "sqlite: " + path + " refuses WAL (journal_mode=" + *mode + ")"};
  }
  // A 64 MiB page cache (the default is 2 MiB): the event indexes grow with the log, and a
  // cache miss is a pread on the hot path of every insert.
  // A checkpoint every 10,000 WAL pages (~40 MiB; the default is 1,000): a group commit
  // over many rooms dirties a page per room (each room's index tail), and every checkpoint
  // writes each page it finds back once, so a longer interval writes the hot pages back
  // far fewer times: +21 % durable events/s at 256 rooms (docs/benchmarks.md).
  if (auto err = exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                      "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=10000",
                      "sqlite: pragmas")) {
    close();
    return err;
  }
  return {};
}

result<statement_use> sqlite_connection::statement(size_t id, const char* sql) {
  if (db_ == nullptr)
    return error{errc::unavailable, "sqlite: connection is not open"};
  if (id >= cache_.size())
    cache_.resize(id + 1);
  return prepare_into(cache_[id], sql);
}

result<statement_use> sqlite_connection::prepare_into(sqlite_statement& slot,
                                                      const char* sql) {
  if (db_ == nullptr)
    return error{errc::unavailable, "sqlite: connection is not open"};
  if (!slot) {
    sqlite3_stmt* handle = nullptr;
    auto rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &handle, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(handle);
      return fail(rc, std::string{"sqlite: prepare "} + sql);
    }
    slot = sqlite_statement{handle};
  }
  return statement_use{slot.get()};
}

status sqlite_connection::step_once(sqlite_statement& slot, const char* sql,
                                    std::string_view what) {
  auto st = prepare_into(slot, sql);
  if (!st)
    return st.err();
  if (auto rc = st->step(); rc != SQLITE_DONE)
    return fail(rc, what);
  return {};
}

status sqlite_connection::begin_write() {
  return step_once(begin_write_, "BEGIN IMMEDIATE", "sqlite: BEGIN IMMEDIATE");
}

status sqlite_connection::begin_read() {
  return step_once(begin_read_, "BEGIN", "sqlite: BEGIN");
}

status sqlite_connection::commit(std::string_view what) {
  auto err = step_once(commit_, "COMMIT", what);
  if (err.ok())
    return err;
  if (in_transaction()) {
    // Refused (e.g. busy) and still ours: once rolled back, nothing is written.
    rollback();
    if (err.code != errc::internal)
      err.code = errc::unavailable;
  } else {
    err.code = errc::in_doubt;
  }
  return err;
}

result<std::string> sqlite_connection::query_text(const char* sql) {
  sqlite3_stmt* handle = nullptr;
  auto rc = sqlite3_prepare_v2(db_, sql, -1, &handle, nullptr);
  sqlite_statement owner{handle};
  if (rc != SQLITE_OK)
    return fail(rc, std::string{"sqlite: "} + sql);
  statement_use use{handle};
  rc = use.step();
  if (rc != SQLITE_ROW)
    return fail(rc, std::string{"sqlite: "} + sql);
  return use.text(0);
}

status sqlite_connection::exec(const std::string& sql, std::string_view what) {
  if (db_ == nullptr)
    return error{errc::unavailable, "sqlite: connection is not open"};
  char* msg = nullptr;
  auto rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
  if (rc == SQLITE_OK)
    return {};
  std::string text{what};
  text += ": ";
  text += msg != nullptr ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  return error{sqlite_errc(rc), std::move(text)};
}

bool sqlite_connection::in_transaction() const {
  return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

void sqlite_connection::rollback() noexcept {
  if (in_transaction())
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

error sqlite_connection::fail(int rc, std::string_view what) const {
  return sqlite_error(db_, rc, what);
}

}  // namespace parley::storage::detail
