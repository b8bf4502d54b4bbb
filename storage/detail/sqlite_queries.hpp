#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "storage/detail/sqlite_connection.hpp"
#include "storage/types.hpp"

/// The SQL of the SQLite store, in one place: each statement has an id under which its
/// connection caches it, prepared on first use.
namespace parley::storage::detail::sql {

enum id : size_t {
  savepoint,
  release,
  rollback_to,
  ping,
  version_table,
  max_version,
  has_version,
  record_version,
  insert_room,
  insert_user,
  insert_member,
  select_room,
  select_members,
  room_head,
  insert_event,
  set_head,
  mark_read,
  find_message,
  events_asc,
  events_desc,
  msgs_asc,
  msgs_desc,
  msg_changes,
  add_member,
  remove_member,
  rooms_of,
  room_member,
  count_unread,
  msg_senders_after,
  set_last_seen,
  last_seen,
  count,
};

// The conversation-list line of member m in room r, in the column order read_summary()
// expects (id, title, head, read, last_ts): rooms_of and room_member select it.
#define PARLEY_SQLITE_SUMMARY_COLUMNS                                                        \
  "r.id, r.title, r.head_seq, m.read_seq,"                                                 \
  " CASE WHEN r.last_ts > 0 THEN r.last_ts ELSE r.created_at END"
#define PARLEY_SQLITE_SUMMARY_FROM " FROM members m JOIN rooms r ON r.id = m.room_id"

// The event selects share one shape: ?1 room, seq in (?2, ?3), at most ?4 rows (-1: all),
// and the column order read_event() expects.
inline constexpr const char* text[count] = {
  "SAVEPOINT room_write",
  "RELEASE room_write",
  "ROLLBACK TO room_write",
  "SELECT 1",
  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
  "SELECT COALESCE(MAX(version), 0) FROM schema_version",
  "SELECT 1 FROM schema_version WHERE version = ?1",
  "INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, ?3)",
  "INSERT INTO rooms (id, title, created_by, created_at) VALUES (?1, ?2, ?3, ?4)",
  "INSERT OR IGNORE INTO users (id) VALUES (?1)",
  "INSERT INTO members (room_id, user_id, role, read_seq, joined_at) VALUES (?1, ?2, ?3, 0, ?4)",
  "SELECT title, created_by, created_at, head_seq FROM rooms WHERE id = ?1",
  "SELECT user_id, role, read_seq, joined_at FROM members WHERE room_id = ?1 ORDER BY user_id",
  "SELECT head_seq FROM rooms WHERE id = ?1",
  // The writer inserts through prepare_insert_events, which repeats this one's VALUES for
  // several rows.
  "INSERT INTO events (room_id, seq, kind, sender, cid, body, subtype, target, meta, ts)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  // last_ts only moves forward, like the head (a clock that stepped back does not reorder
  // the conversation lists).
  "UPDATE rooms SET head_seq = ?2, last_ts = max(last_ts, ?3) WHERE id = ?1",
  // SQLite's two-argument max/min are scalar: forward only, never beyond the head.
  "UPDATE members SET read_seq = max(read_seq, min(?3, ?4)) WHERE room_id = ?1 AND user_id = ?2",
  "SELECT room_id, seq, kind, sender, cid, body, subtype, target, meta, ts FROM events"
  " WHERE room_id = ?1 AND sender = ?2 AND cid = ?3",
  "SELECT room_id, seq, kind, sender, cid, body, subtype, target, meta, ts FROM events"
  " WHERE room_id = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4",
  "SELECT room_id, seq, kind, sender, cid, body, subtype, target, meta, ts FROM events"
  " WHERE room_id = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4",
  "SELECT room_id, seq, kind, sender, cid, body, subtype, target, meta, ts FROM events"
  " WHERE room_id = ?1 AND kind = 'msg' AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4",
  "SELECT room_id, seq, kind, sender, cid, body, subtype, target, meta, ts FROM events"
  " WHERE room_id = ?1 AND kind = 'msg' AND seq > ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4",
  // Changes to the messages with seq in [?2, ?3], through events_by_target (0002; its
  // condition `target <> 0` verbatim), named: left to itself SQLite prefers the primary key
  // (it gives the order, and since 0003 it is the table) and scans the room's whole log.
  // No `seq > ?2` for the same reason. Changes always come after their target;
  // message_fold ignores any that would not.
  "SELECT room_id, seq, kind, sender, cid, body, subtype, target, meta, ts FROM events"
  " INDEXED BY events_by_target WHERE room_id = ?1 AND target <> 0 AND target BETWEEN ?2 AND ?3"
  " AND kind IN ('edit', 'delete', 'react') ORDER BY seq LIMIT ?4",
  // A membership change (write): an addition of a member changes nothing.
  "INSERT INTO members (room_id, user_id, role, read_seq, joined_at) VALUES (?1, ?2, ?3, 0, ?4)"
  " ON CONFLICT (room_id, user_id) DO NOTHING",
  "DELETE FROM members WHERE room_id = ?1 AND user_id = ?2",
  // The conversation list of ?1: members_by_user, then each room by its key. Room ids in
  // BINARY (bytewise) order, as PostgreSQL's COLLATE "C".
  "SELECT " PARLEY_SQLITE_SUMMARY_COLUMNS " AS t" PARLEY_SQLITE_SUMMARY_FROM
  " WHERE m.user_id = ?1 ORDER BY t DESC, r.id LIMIT ?2",
  // The same line for room ?1 and user ?2 (room_summaries), by the members' primary key;
  // no row when ?2 is not a member (or the room does not exist).
  "SELECT " PARLEY_SQLITE_SUMMARY_COLUMNS PARLEY_SQLITE_SUMMARY_FROM
  " WHERE m.room_id = ?1 AND m.user_id = ?2",
  // Messages of others after the read marker among the room's latest ?4 (unread_window):
  // the room's rows from its head backwards (the log is clustered by room and seq, 0003).
  "SELECT count(*) FROM (SELECT sender FROM events WHERE room_id = ?1 AND kind = 'msg'"
  " AND seq > ?2 ORDER BY seq DESC LIMIT ?4) WHERE sender <> ?3",
  // The latest ?3 messages after ?2 with their senders, newest first (room_summaries counts
  // the unread messages of all asked members from them in one pass): the room's rows from
  // its head backwards.
  "SELECT seq, sender FROM events WHERE room_id = ?1 AND kind = 'msg' AND seq > ?2"
  " ORDER BY seq DESC LIMIT ?3",
  "INSERT INTO users (id, last_seen) VALUES (?1, ?2)"
  " ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
  "SELECT last_seen FROM users WHERE id = ?1",
};

#undef PARLEY_SQLITE_SUMMARY_FROM
#undef PARLEY_SQLITE_SUMMARY_COLUMNS

inline constexpr int64_t min_seq = std::numeric_limits<int64_t>::min();
inline constexpr int64_t max_seq = std::numeric_limits<int64_t>::max();

/// The cached statement `q`.
inline result<statement_use> prepare(sqlite_connection& conn, id q) {
  return conn.statement(q, text[q]);
}

/// How many events one INSERT writes at most, and the parameters each takes (insert_event's
/// columns, in its order).
inline constexpr size_t max_insert_rows = 16;
inline constexpr int insert_event_columns = 10;

/// The cached INSERT of `rows` events (1 to max_insert_rows) in one statement, its
/// parameters insert_event's, row after row (row i's first is i * insert_event_columns + 1).
result<statement_use> prepare_insert_events(sqlite_connection& conn, size_t rows);

/// Runs a statement without parameters whose rows, if any, do not matter.
status run(sqlite_connection& conn, id q, std::string_view what);

/// Reads a row of the event selects; false on a kind this build does not know.
bool read_event(const statement_use& s, event& e);

/// Reads a row of rooms_of or room_member: all of the line but unread and last.
void read_summary(const statement_use& s, room_summary& r);

}  // namespace parley::storage::detail::sql
