#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "storage/types.hpp"

namespace pqxx {
class row;
}

/// The SQL of the PostgreSQL store, in one place. Each statement is prepared under its name
/// on every new connection (libpqxx sends it to the server on first use, so statements
/// over tables that a later migration creates are fine).
namespace parley::storage::detail::pg {

enum id : size_t {
  ping,
  version_table,
  max_version,
  has_version,
  record_version,
  insert_room,
  insert_user,
  insert_member,
  select_room,
  room_head,
  advance_head,
  find_message,
  events_asc,
  events_desc,
  msgs_asc,
  msgs_desc,
  msg_changes,
  count,
};

struct statement {
  const char* name;
  const char* sql;
};

#define PARLEY_PG_EVENT_COLUMNS "room_id, seq, kind, sender, cid, body, subtype, target, meta, ts"

// The event selects share one shape: $1 room, seq in ($2, $3), at most $4 rows, and the
// column order read_event() expects (the table's order, which COPY relies on too).
inline constexpr statement statements[count] = {
  {"parley_ping", "SELECT 1"},
  // to_regclass follows search_path, as the migrations' CREATE TABLE does.
  {"parley_version_table", "SELECT to_regclass('schema_version') IS NOT NULL"},
  {"parley_max_version", "SELECT COALESCE(MAX(version), 0) FROM schema_version"},
  {"parley_has_version", "SELECT 1 FROM schema_version WHERE version = $1"},
  {"parley_record_version",
   "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)"},
  {"parley_insert_room",
   "INSERT INTO rooms (id, title, created_by, created_at) VALUES ($1, $2, $3, $4)"},
  {"parley_insert_user", "INSERT INTO users (id) VALUES ($1) ON CONFLICT DO NOTHING"},
  {"parley_insert_member",
   "INSERT INTO members (room_id, user_id, role, read_seq, joined_at) "
   "VALUES ($1, $2, $3, 0, $4)"},
  // One statement, so the room and its members come from one snapshot. COLLATE "C": members
  // sorted bytewise by user id, as SQLite does, whatever the database's collation.
  {"parley_select_room",
   "SELECT r.title, r.created_by, r.created_at, r.head_seq,"
   " m.user_id, m.role, m.read_seq, m.joined_at"
   " FROM rooms r LEFT JOIN members m ON m.room_id = r.id"
   " WHERE r.id = $1 ORDER BY m.user_id COLLATE \"C\""},
  {"parley_room_head", "SELECT head_seq FROM rooms WHERE id = $1"},
  // The head check and the head's advance in one statement, which also locks the room's
  // row: a second writer of the same room (another node) waits, re-checks and conflicts.
  {"parley_advance_head", "UPDATE rooms SET head_seq = $3 WHERE id = $1 AND head_seq = $2"},
  {"parley_find_message",
   "SELECT " PARLEY_PG_EVENT_COLUMNS " FROM events WHERE room_id = $1 AND sender = $2"
   " AND cid = $3"},
  {"parley_events_asc",
   "SELECT " PARLEY_PG_EVENT_COLUMNS " FROM events WHERE room_id = $1 AND seq > $2"
   " AND seq < $3 ORDER BY seq LIMIT $4"},
  {"parley_events_desc",
   "SELECT " PARLEY_PG_EVENT_COLUMNS " FROM events WHERE room_id = $1 AND seq > $2"
   " AND seq < $3 ORDER BY seq DESC LIMIT $4"},
  {"parley_msgs_asc",
   "SELECT " PARLEY_PG_EVENT_COLUMNS " FROM events WHERE room_id = $1 AND kind = 'msg'"
   " AND seq > $2 AND seq < $3 ORDER BY seq LIMIT $4"},
  {"parley_msgs_desc",
   "SELECT " PARLEY_PG_EVENT_COLUMNS " FROM events WHERE room_id = $1 AND kind = 'msg'"
   " AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4"},
  // Changes to the messages with seq in [$2, $3]: they come after their target, so the scan
  // of the primary key starts at $2 (and runs to the head: there is no index on target).
  {"parley_msg_changes",
   "SELECT " PARLEY_PG_EVENT_COLUMNS " FROM events WHERE room_id = $1 AND seq > $2"
   " AND kind IN ('edit', 'delete', 'react') AND target BETWEEN $2 AND $3 ORDER BY seq"},
};

#undef PARLEY_PG_EVENT_COLUMNS

inline constexpr int64_t min_seq = std::numeric_limits<int64_t>::min();
inline constexpr int64_t max_seq = std::numeric_limits<int64_t>::max();

/// The name to pass to exec_prepared.
inline std::string name(id q) {
  return statements[q].name;
}

/// Reads a row of the event selects; false on a kind this build does not know.
bool read_event(const pqxx::row& r, event& e);

/// The multi-row INSERT of `rows` events of one room: $1 is the room, then nine parameters
/// per event in the table's column order (see event_params).
std::string insert_events_sql(size_t rows);

/// Appends an event's nine parameters for insert_events_sql (cid "" becomes NULL, which
/// never collides in the (room_id, sender, cid) index).
void event_params(const event& e, std::vector<std::optional<std::string>>& out);

/// The UPDATE that moves `users` read markers of a room forward: $1 room, $2 head, then a
/// (user, seq) pair per marker. Markers move forward only and never beyond the head.
std::string mark_read_sql(size_t users);

// The batch-wide statements of the group commit's fast path (pg_batch_writer):

/// Moves the heads of `rooms` rooms at once; parameters per room: id, expected head, new
/// head. Its affected-row count tells whether every head was where the writer expected.
std::string advance_heads_sql(size_t rooms);

/// How many of `rooms` room ids (one parameter each) exist.
std::string count_rooms_sql(size_t rooms);

/// Moves read markers of several rooms at once (forward only, never past the room's head
/// as this transaction left it); parameters per marker: room id, user id, seq.
std::string mark_reads_sql(size_t markers);

}  // namespace parley::storage::detail::pg
