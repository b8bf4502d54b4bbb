#pragma once

#include <string_view>

#include "storage/error.hpp"

namespace parley::storage::detail {

/// The store's error class for a PostgreSQL SQLSTATE, so nothing above storage/ has to know
/// PostgreSQL's codes. Retry-later conditions are `unavailable`: connection failures (class
/// 08), shutdown and start-up (57P01-57P03), exhausted resources (class 53, including
/// too_many_connections), our own statement and lock timeouts (57014, 55P03), serialization
/// failures and deadlocks (40001, 40P01) and a read-only server (25006, e.g. a standby after
/// a failover). A unique or exclusion violation is `conflict`; 40003 (statement completion
/// unknown) is `in_doubt`; everything else, including other constraint violations, which our
/// statements cannot cause, is `internal`.
errc pg_errc(std::string_view sqlstate);

/// Translates the exception being handled (call only inside a catch block): in_doubt_error
/// -> in_doubt, broken_connection -> unavailable, sql_error -> pg_errc(sqlstate), anything
/// else -> internal. The message is `what: ` and the driver's text.
error pg_current_error(std::string_view what) noexcept;

}  // namespace parley::storage::detail
