#include "storage/detail/sqlite_queries.hpp"

#include <sqlite3.h>

namespace parley::storage::detail::sql {

status run(sqlite_connection& conn, id q, std::string_view what) {
  auto st = prepare(conn, q);
  if (!st)
    return st.err();
  auto rc = st->step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return conn.fail(rc, what);
  return {};
}

bool read_event(const statement_use& s, event& e) {
  auto kind = event_kind_from(s.text(2));
  if (!kind)
    return false;
  e.room = s.text(0);
  e.seq = s.int64(1);
  e.kind = *kind;
  e.sender = s.text(3);
  e.cid = s.text(4);
  e.body = s.text(5);
  e.subtype = s.text(6);
  e.target = s.int64(7);
  e.meta = s.text(8);
  e.ts = s.int64(9);
  return true;
}

void read_summary(const statement_use& s, room_summary& r) {
  r.room = s.text(0);
  r.title = s.text(1);
  r.head = s.int64(2);
  r.read = s.int64(3);
  r.last_ts = s.int64(4);
}

}  // namespace parley::storage::detail::sql
