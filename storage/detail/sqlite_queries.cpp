#include "storage/detail/sqlite_queries.hpp"

#include <sqlite3.h>

#include <array>
#include <string>

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

result<statement_use> prepare_insert_events(sqlite_connection& conn, size_t rows) {
  // One statement writes a room's events of a commit (a few in a busy many-rooms commit,
  // hundreds in a busy room's): what a statement costs besides its rows (binding, a step,
  // a reset, opening cursors on the table and its indexes) comes once per room and chunk
  // instead of once per event. The B-tree seeks stay, one per key per row. Measured over
  // 200 rooms x 10 (docs/benchmarks.md, "What callgrind's counts changed"): instructions
  // per message 48,647 -> 46,401 (SQLite's -10 %), deliveries/s +5 %.
  static const auto texts = [] {
    std::array<std::string, max_insert_rows> out;
    std::string values = "(?,?,?,?,?,?,?,?,?,?)";
    static_assert(insert_event_columns == 10, "one ? per column of insert_event");
    std::string sql = text[insert_event];
    sql.resize(sql.find(" VALUES") + 7);
    for (auto& t : out) {
      sql += (&t == out.data() ? " " : ",") + values;
      t = sql;
    }
    return out;
  }();
  if (rows == 0 || rows > max_insert_rows)
    return error{errc::internal, "sqlite: an INSERT of " + std::to_string(rows) + " events"};
  return conn.statement(count + rows - 1, texts[rows - 1].c_str());
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
