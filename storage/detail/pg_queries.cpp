#include "storage/detail/pg_queries.hpp"

#include <pqxx/row>

namespace parley::storage::detail::pg {

bool read_event(const pqxx::row& r, event& e) {
  auto kind = event_kind_from(r[2].c_str());
  if (!kind)
    return false;
  e.room = r[0].c_str();
  e.seq = r[1].as<int64_t>();
  e.kind = *kind;
  e.sender = r[3].c_str();
  e.cid = r[4].c_str();  // NULL reads as ""
  e.body = r[5].c_str();
  e.subtype = r[6].c_str();
  e.target = r[7].as<int64_t>();
  e.meta = r[8].c_str();
  e.ts = r[9].as<int64_t>();
  return true;
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
  return "UPDATE rooms AS r SET head_seq = v.last FROM (VALUES " +
         values_list(rooms, {"::text", "::bigint", "::bigint"}) +
         ") AS v(id, expected, last) WHERE r.id = v.id AND r.head_seq = v.expected";
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

}  // namespace parley::storage::detail::pg
