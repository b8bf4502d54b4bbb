#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "storage/error.hpp"

namespace pqxx {
class connection_base;
}

namespace parley::storage::detail {

/// The libpq connection string the store really uses: `conninfo` (a postgresql:// URL or
/// keyword=value pairs) in keyword form, with defaults for what the store relies on where
/// the caller did not say otherwise: connect_timeout=2 (a down server fails a call fast),
/// TCP keepalives and tcp_user_timeout (a silently dead peer breaks a call within seconds
/// instead of the kernel's minutes), client_encoding=UTF8 and application_name=parley.
/// internal when libpq cannot parse it.
result<std::string> pg_conninfo(const std::string& conninfo);

/// One PostgreSQL session that mends itself: a broken connection is dropped, and the next
/// call connects anew (once; if the server is down, it fails fast with `unavailable`). Each
/// new session gets its timeouts (statement_timeout, lock_timeout: no call blocks for long)
/// and the store's prepared statements. Knows nothing of the schema beyond pg::statements.
class pg_connection {
public:
  /// Does not connect; connect() or the first run() does.
  explicit pg_connection(const std::string& conninfo);
  ~pg_connection();

  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;

  /// Opens a session unless one is open. unavailable when the server cannot be reached,
  /// internal for a connection string libpq cannot parse.
  status connect();

  /// Whether a session is open, as far as libpq knows (a server-side kill shows only when
  /// the connection is next used).
  bool is_open() const noexcept;

  /// The server process of the open session, 0 if none (tests terminate it).
  int backend_pid() const noexcept;

  /// Runs `f(pqxx::connection_base&)` on an open session and returns its result; any
  /// exception becomes an error value (see pg_current_error), and a session that broke is
  /// dropped. When a session that was open before this call turns out broken (the server
  /// restarted, or killed the backend), `f` runs once more on a new session: nothing can
  /// have been committed, since a break during COMMIT reports in_doubt, never retried.
  template <class F>
  auto run(std::string_view what, F&& f) -> decltype(f(std::declval<pqxx::connection_base&>())) {
    for (int attempt = 0;; ++attempt) {
      bool reused = is_open();
      if (auto err = connect())
        return err;
      try {
        return f(handle());
      } catch (...) {
        bool lost = false;
        auto err = failure(what, lost);
        if (lost && reused && attempt == 0 && err.code == errc::unavailable)
          continue;
        return err;
      }
    }
  }

private:
  struct session;

  pqxx::connection_base& handle();

  /// The error for the exception being handled; drops the session if it no longer works.
  error failure(std::string_view what, bool& lost) noexcept;

  status config_;  ///< A connection string that cannot work: every call returns this.
  std::string conninfo_;
  std::unique_ptr<session> session_;
};

}  // namespace parley::storage::detail
