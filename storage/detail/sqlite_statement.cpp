#include "storage/detail/sqlite_statement.hpp"

#include <sqlite3.h>

#include <utility>

namespace parley::storage::detail {

sqlite_statement::~sqlite_statement() {
  sqlite3_finalize(handle_);  // a no-op on nullptr
}

sqlite_statement::sqlite_statement(sqlite_statement&& other) noexcept
  : handle_(std::exchange(other.handle_, nullptr)) {
}

sqlite_statement& sqlite_statement::operator=(sqlite_statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

statement_use::~statement_use() {
  if (handle_ != nullptr) {
    sqlite3_reset(handle_);
    sqlite3_clear_bindings(handle_);
  }
}

statement_use::statement_use(statement_use&& other) noexcept
  : handle_(std::exchange(other.handle_, nullptr)), bind_rc_(other.bind_rc_) {
}

namespace {

int bind_text(sqlite3_stmt* handle, int index, std::string_view text,
              sqlite3_destructor_type lifetime) {
  // A default string_view has data() == nullptr, which SQLite would bind as NULL; the
  // columns bound here are NOT NULL, so an empty text must stay an empty text.
  const char* data = text.data() != nullptr ? text.data() : "";
  return sqlite3_bind_text64(handle, index, data, text.size(), lifetime, SQLITE_UTF8);
}

}  // namespace

statement_use& statement_use::bind(int index, std::string_view text) {
  auto rc = bind_text(handle_, index, text, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK)
    bind_rc_ = rc;
  return *this;
}

statement_use& statement_use::bind_unowned(int index, std::string_view text) {
  auto rc = bind_text(handle_, index, text, SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK)
    bind_rc_ = rc;
  return *this;
}

statement_use& statement_use::bind(int index, int64_t value) {
  auto rc = sqlite3_bind_int64(handle_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK)
    bind_rc_ = rc;
  return *this;
}

statement_use& statement_use::bind_null(int index) {
  auto rc = sqlite3_bind_null(handle_, index);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK)
    bind_rc_ = rc;
  return *this;
}

int statement_use::step() {
  if (bind_rc_ != SQLITE_OK)
    return bind_rc_;
  return sqlite3_step(handle_);
}

std::string_view statement_use::text_view(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(handle_, column));
  if (p == nullptr)
    return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(handle_, column))};
}

int64_t statement_use::int64(int column) const {
  return sqlite3_column_int64(handle_, column);
}

}  // namespace parley::storage::detail
