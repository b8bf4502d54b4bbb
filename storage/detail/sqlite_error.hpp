#pragma once

#include <string_view>

#include "storage/error.hpp"

struct sqlite3;

namespace parley::storage::detail {

/// Translates an SQLite result code into the store's error enum, so nothing above storage/
/// has to know SQLite's codes: busy/locked/I/O/full/cantopen -> unavailable (retry later),
/// constraint -> conflict, anything else -> internal. `db` may be null (open failures).
error sqlite_error(sqlite3* db, int rc, std::string_view what);

/// The class of `rc` alone, without a message.
errc sqlite_errc(int rc);

}  // namespace parley::storage::detail
