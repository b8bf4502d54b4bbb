#include "storage/detail/migration_runner.hpp"

#include <chrono>

namespace parley::storage::detail {

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

status apply_migrations(const migration_hooks& hooks, std::string_view prefix) {
  for (const auto& m : migrations_for(prefix)) {
    auto what = std::string{prefix} + ": migration " + std::string{m.name};
    auto st = hooks.in_transaction([&]() -> status {
      if (auto err = hooks.exec(schema_version_ddl, std::string{prefix} + ": schema_version"))
        return err;
      // Checked inside the transaction: whoever waited for the lock sees the version the
      // other process recorded, and skips the migration.
      auto applied = hooks.is_applied(m.number);
      if (!applied)
        return applied.err();
      if (*applied)
        return {};
      for (const auto& statement : split_sql_statements(m.sql))
        if (auto err = hooks.exec(statement, what))
          return err;
      return hooks.record(m, now_ms());
    });
    if (st)
      return st;
  }
  return {};
}

}  // namespace parley::storage::detail
