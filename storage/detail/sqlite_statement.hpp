#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3_stmt;

namespace parley::storage::detail {

/// Owns one prepared statement for the life of its connection: statements are prepared once
/// and reused, so the per-call cost is bind + step. Finalizes on destruction.
class sqlite_statement {
public:
  sqlite_statement() = default;
  explicit sqlite_statement(sqlite3_stmt* handle) : handle_(handle) {}
  ~sqlite_statement();

  sqlite_statement(sqlite_statement&& other) noexcept;
  sqlite_statement& operator=(sqlite_statement&& other) noexcept;
  sqlite_statement(const sqlite_statement&) = delete;
  sqlite_statement& operator=(const sqlite_statement&) = delete;

  sqlite3_stmt* get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }

private:
  sqlite3_stmt* handle_ = nullptr;
};

/// One use of a cached statement: bind, step, read columns. Resets the statement and clears
/// its bindings when it goes out of scope, so an early return never leaves a SELECT half
/// stepped (which in WAL mode would pin the connection's read snapshot).
class statement_use {
public:
  explicit statement_use(sqlite3_stmt* handle) : handle_(handle) {}
  ~statement_use();

  statement_use(statement_use&& other) noexcept;
  statement_use& operator=(statement_use&&) = delete;
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;

  /// Parameters are 1-based, as in SQL (`?1`). Text is copied (SQLITE_TRANSIENT), so
  /// temporaries are safe. A failed bind is remembered and returned by the next step().
  statement_use& bind(int index, std::string_view text);
  /// Text that SQLite reads in place (SQLITE_STATIC): it must outlive this use (the
  /// statement is reset when the use ends). For the hot insert, where each bound copy was
  /// an allocation per column and event.
  statement_use& bind_unowned(int index, std::string_view text);
  statement_use& bind(int index, int64_t value);
  statement_use& bind_null(int index);

  /// SQLITE_ROW, SQLITE_DONE or an (extended) error code.
  int step();

  /// Columns are 0-based. NULL text reads as "".
  std::string text(int column) const { return std::string{text_view(column)}; }
  /// The text in SQLite's own buffer: valid until the next step or reset, or until this
  /// column is read as another type.
  std::string_view text_view(int column) const;
  int64_t int64(int column) const;

private:
  sqlite3_stmt* handle_;
  int bind_rc_ = 0;
};

}  // namespace parley::storage::detail
