#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::storage {

/// One numbered schema migration (storage/migrations/NNNN_name.sql), embedded at build time.
/// The SQL is written in the dialect both SQLite and PostgreSQL accept.
struct migration {
  int number;
  std::string_view name;
  std::string_view sql;
};

/// All migrations, ascending by number.
std::span<const migration> embedded_migrations();

/// Splits a migration's SQL into statements at top-level semicolons (no procedural bodies are
/// used in migrations, so a plain split is enough); blank statements and `--` comments drop.
std::vector<std::string> split_sql_statements(std::string_view sql);

}  // namespace parley::storage
