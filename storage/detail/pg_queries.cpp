#include "storage/detail/pg_queries.hpp"

#include <pqxx/prepared_statement>
#include <pqxx/result>
#include <pqxx/row>
#include <pqxx/transaction_base>

#include <algorithm>
#include <cstddef>

namespace parley::storage::detail::pg {

bool read_event(const pqxx::row& r, event& e, size_t first) {
  auto col = [&](size_t i) { return r[static_cast<pqxx::row::size_type>(first + i)]; };
  auto kind = event_kind_from(col(2).c_str());
  if (!kind)
    return false;
  e.room = col(0).c_str();
  e.seq = col(1).as<int64_t>();
  e.kind = *kind;
  e.sender = col(3).c_str();
  e.cid = col(4).c_str();  // NULL reads as ""
  e.body = col(5).c_str();
  e.subtype = col(6).c_str();
  e.target = col(7).as<int64_t>();
  e.meta = col(8).c_str();
  e.ts = col(9).as<int64_t>();
  return true;
}

void read_summary(const pqxx::row& row, room_summary& r) {
  r.room = row[0].c_str();
  r.title = row[1].c_str();
  r.head = row[2].as<int64_t>();
  r.read = row[3].as<int64_t>();
  r.last_ts = row[4].as<int64_t>();
  r.unread = row[5].as<int64_t>();
}

void exec_rows(pqxx::transaction_base& tx, const std::vector<std::string>& params,
               size_t per_row, std::string (*sql)(size_t rows),
               const std::function<void(const pqxx::result&)>& each) {
  auto rows = params.size() / per_row;
  for (size_t i = 0; i < rows; i += max_rows_per_statement) {
    auto n = std::min(max_rows_per_statement, rows - i);
    auto begin = params.begin() + static_cast<std::ptrdiff_t>(i * per_row);
    auto end = begin + static_cast<std::ptrdiff_t>(n * per_row);
    auto result = tx.exec_params(sql(n), pqxx::prepare::make_dynamic_params(begin, end));
    if (each)
      each(result);
  }
}

std::string insert_events_sql(size_t rows) {
  std::string sql =
    "INSERT INTO events (room_id, seq, kind, sender, cid, body, subtype, target, meta, ts)"
    " VALUES ";
  sql.reserve(sql.size() + rows * 64);
  int n = 2;
  for (size_t i = 0; i < rows; ++i) {
    sql += i == 0 ? "($1" : ",($1";
    for (int c = 0; c < 9; ++c) {
      sql += ",$";
      sql += std::to_string(n++);
    }
    sql += ')';
  }
  return sql;
}

void event_params(const event& e, std::vector<std::optional<std::string>>& out) {
  out.emplace_back(std::to_string(e.seq));
  out.emplace_back(std::string{to_string(e.kind)});
  out.emplace_back(e.sender);
  if (e.cid.empty())
    out.emplace_back(std::nullopt);
  else
    out.emplace_back(e.cid);
  out.emplace_back(e.body);
  out.emplace_back(e.subtype);
  out.emplace_back(std::to_string(e.target));
  out.emplace_back(e.meta);
  out.emplace_back(std::to_string(e.ts));
}

std::string mark_read_sql(size_t users) {
  std::string sql =
    "UPDATE members AS m SET read_seq = GREATEST(m.read_seq, LEAST(v.seq, $2)) FROM (VALUES ";
  int n = 3;
  for (size_t i = 0; i < users; ++i) {
    if (i > 0)
      sql += ',';
    sql += "($" + std::to_string(n) + "::text,$" + std::to_string(n + 1) + "::bigint)";
    n += 2;
  }
  sql += ") AS v(user_id, seq) WHERE m.room_id = $1 AND m.user_id = v.user_id";
  return sql;
}

namespace {

/// "($1::text,$2::bigint),($3::text,$4::bigint)" for rows of the given column casts.
std::string values_list(size_t rows, std::initializer_list<const char*> casts) {
  std::string sql;
  int n = 1;
  for (size_t i = 0; i < rows; ++i) {
    sql += i == 0 ? "(" : ",(";
    bool first = true;
    for (auto cast : casts) {
      if (!first)
        sql += ',';
      first = false;
      sql += '$';
      sql += std::to_string(n++);
      sql += cast;
    }
    sql += ')';
  }
  return sql;
}

}  // namespace

std::string advance_heads_sql(size_t rooms) {
  return "UPDATE rooms AS r SET head_seq = v.last, last_ts = GREATEST(r.last_ts, v.ts)"
         " FROM (VALUES " +
         values_list(rooms, {"::text", "::bigint", "::bigint", "::bigint"}) +
         ") AS v(id, expected, last, ts) WHERE r.id = v.id AND r.head_seq = v.expected";
}

std::string count_rooms_sql(size_t rooms) {
  return "SELECT count(*) FROM rooms WHERE id IN (VALUES " + values_list(rooms, {"::text"}) +
         ")";
}

std::string mark_reads_sql(size_t markers) {
  return "UPDATE members AS m SET read_seq = GREATEST(m.read_seq, LEAST(v.seq, r.head_seq))"
         " FROM (VALUES " +
         values_list(markers, {"::text", "::text", "::bigint"}) +
         ") AS v(room_id, user_id, seq), rooms AS r"
         " WHERE r.id = v.room_id AND m.room_id = v.room_id AND m.user_id = v.user_id";
}

std::string insert_users_sql(size_t users) {
  return "INSERT INTO users (id) SELECT v.id FROM (VALUES " + values_list(users, {"::text"}) +
         ") AS v(id) ON CONFLICT DO NOTHING";
}

std::string remove_members_sql(size_t members) {
  return "DELETE FROM members AS m USING (VALUES " +
         values_list(members, {"::text", "::text"}) +
         ") AS v(room_id, user_id) WHERE m.room_id = v.room_id AND m.user_id = v.user_id";
}

std::string add_members_sql(size_t members) {
  return "INSERT INTO members (room_id, user_id, role, read_seq, joined_at)"
         " SELECT v.room_id, v.user_id, v.role, 0, v.at FROM (VALUES " +
         values_list(members, {"::text", "::text", "::text", "::bigint"}) +
         ") AS v(room_id, user_id, role, at) ON CONFLICT (room_id, user_id) DO NOTHING";
}

std::string last_msg_changes_sql(size_t messages) {
  // Through events_by_target (its condition verbatim), one probe per message.
  return "SELECT e.room_id, e.seq, e.kind, e.sender, e.cid, e.body, e.subtype, e.target,"
         " e.meta, e.ts FROM events AS e JOIN (VALUES " +
         values_list(messages, {"::text", "::bigint"}) +
         ") AS v(room_id, seq) ON e.room_id = v.room_id AND e.target = v.seq"
         " WHERE e.target <> 0 AND e.kind IN ('edit', 'delete', 'react') ORDER BY e.seq";
}

std::string set_last_seen_sql(size_t users) {
  return "INSERT INTO users (id, last_seen) VALUES " +
         values_list(users, {"::text", "::bigint"}) +
         " ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen";
}

std::string last_seen_sql(size_t users) {
  return "SELECT id, last_seen FROM users WHERE id IN (VALUES " +
         values_list(users, {"::text"}) + ")";
}

}  // namespace parley::storage::detail::pg
