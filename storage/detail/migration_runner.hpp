#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "storage/error.hpp"
#include "storage/migrations.hpp"

namespace parley::storage::detail {

/// The DDL of the table that records applied migrations; both dialects accept it.
inline constexpr const char* schema_version_ddl =
  "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT, "
  "applied_at BIGINT)";

/// What applying migrations needs from a store's connection. The loop and its rules live in
/// apply_migrations() so that SQLite and PostgreSQL record versions the same way; the hooks
/// only speak their dialect and driver.
struct migration_hooks {
  /// Runs `body` in one write transaction that no other migrating process can interleave
  /// with (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), committing when it returns
  /// ok and rolling back otherwise.
  std::function<status(const std::function<status()>& body)> in_transaction;
  /// Runs one statement without parameters (DDL of a migration).
  std::function<status(const std::string& sql, std::string_view what)> exec;
  /// Whether `schema_version` records this migration number.
  std::function<result<bool>(int number)> is_applied;
  /// Records the migration as applied at `applied_at` (ms since the epoch).
  std::function<status(const migration& m, int64_t applied_at)> record;
};

/// Applies each embedded migration not yet recorded, one transaction per migration, so a
/// failure leaves the database at the last complete version. The version table is created
/// inside the first transaction (and checked in every one): a second process migrating the
/// same database at the same moment waits for the first and then finds the work done.
/// Exception-neutral: whatever a hook throws passes through (the PostgreSQL store turns it
/// into an error value one level up). `prefix` names the store in messages and is the
/// dialect whose own migrations apply besides the shared ones ("sqlite" or "pg").
status apply_migrations(const migration_hooks& hooks, std::string_view prefix);

}  // namespace parley::storage::detail
