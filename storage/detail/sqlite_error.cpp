#include "storage/detail/sqlite_error.hpp"

#include <sqlite3.h>

#include <string>

namespace parley::storage::detail {

errc sqlite_errc(int rc) {
  switch (rc & 0xff) {  // the primary code; extended codes refine it in the upper bits
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return errc::ok;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return errc::unavailable;
    case SQLITE_CONSTRAINT:
      return errc::conflict;
    default:
      return errc::internal;
  }
}

error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  auto code = sqlite_errc(rc);
  if (code == errc::ok)  // a caller treating success as failure is a bug; never report "ok"
    code = errc::internal;
  std::string msg{what};
  msg += ": ";
  // errmsg is the most specific text ("UNIQUE constraint failed: events.room_id, ..."), but
  // only while the connection's last error is this one; fall back to the code's text.
  const char* detail = nullptr;
  if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff))
    detail = sqlite3_errmsg(db);
  msg += detail != nullptr ? detail : sqlite3_errstr(rc);
  return error{code, std::move(msg)};
}

}  // namespace parley::storage::detail
