#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::storage {

/// One numbered schema migration (storage/migrations/NNNN_name.sql), embedded at build time.
/// Its SQL is written in the dialect both SQLite and PostgreSQL accept, unless the file is
/// one store's own (NNNN_name.sqlite.sql or NNNN_name.pg.sql: `dialect` "sqlite" or "pg").
struct migration {
  int number;
  std::string_view name;
  std::string_view dialect;  ///< "" for both stores.
  std::string_view sql;
};

/// All migrations, ascending by number (a number with dialect files appears once per file).
std::span<const migration> embedded_migrations();

/// The migrations a store of `dialect` ("sqlite" or "pg") applies, ascending by number:
/// the shared ones and its own.
std::vector<migration> migrations_for(std::string_view dialect);

/// Splits a migration's SQL into statements at top-level semicolons (no procedural bodies are
/// used in migrations, so a plain split is enough); blank statements and `--` comments drop.
std::vector<std::string> split_sql_statements(std::string_view sql);

}  // namespace parley::storage
