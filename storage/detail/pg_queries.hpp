#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "storage/types.hpp"

namespace pqxx {
class result;
class row;
class transaction_base;
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
  rooms_of,
  room_members,
  msg_senders_after,
  count,
};

struct statement {
  const char* name;
  const char* sql;
};

#define PARLEY_PG_EVENT_COLUMNS "room_id, seq, kind, sender, cid, body, subtype, target, meta, ts"

// What the conversation-list line shows of rooms (rooms_of, room_members): r's last_ts, or
// its created_at when it has no events yet; and the unread count of member `user` whose
// read marker is `read` in `room`: the messages of others after the marker among the
// room's latest `window` (unread_window), through events_msgs (its condition repeated
// verbatim).
#define PARLEY_PG_ROOM_TS(r)                                                                 \
  "CASE WHEN " r ".last_ts > 0 THEN " r ".last_ts ELSE " r ".created_at END"
#define PARLEY_PG_UNREAD(room, read, user, window)                                           \
  "(SELECT count(*) FROM (SELECT u.sender FROM events u WHERE u.room_id = " room            \
  " AND u.kind = 'msg' AND u.seq > " read " ORDER BY u.seq DESC LIMIT " window ") w"        \
  " WHERE w.sender <> " user ")"

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
  // last_ts ($4: the largest ts of the events) only moves forward, like the head.
  {"parley_advance_head",
   "UPDATE rooms SET head_seq = $3, last_ts = GREATEST(last_ts, $4)"
   " WHERE id = $1 AND head_seq = $2"},
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
  // Changes to the messages with seq in [$2, $3], through events_by_target (0002; its
  // condition `target <> 0` verbatim, since a generic plan cannot prove it from $2). No
  // `seq > $2`, as in SQLite: changes always come after their target, and message_fold
  // ignores any that would not.
  {"parley_msg_changes",
   "SELECT " PARLEY_PG_EVENT_COLUMNS " FROM events WHERE room_id = $1 AND target <> 0"
   " AND target BETWEEN $2 AND $3 AND kind IN ('edit', 'delete', 'react') ORDER BY seq"},
  // The conversation list of $1, at most $2 rooms, in one round trip: the member's rooms
  // (members_by_user, then each room by its key) cut to the limit first, then for each the
  // unread count and its latest message (both through events_msgs, whose condition is
  // repeated verbatim). Room ids bytewise, as SQLite orders them. Columns: read_summary's
  // (id, title, head, read, last_ts, unread), then the latest message in read_event's order
  // (NULLs: none).
  {"parley_rooms_of",
   "WITH mine AS ("
   " SELECT r.id, r.title, r.head_seq, m.read_seq, " PARLEY_PG_ROOM_TS("r") " AS t"
   " FROM members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1"
   " ORDER BY t DESC, r.id COLLATE \"C\" LIMIT $2)"
   " SELECT mine.id, mine.title, mine.head_seq, mine.read_seq, mine.t, "
   PARLEY_PG_UNREAD("mine.id", "mine.read_seq", "$1", "$3") ","
   " l.room_id, l.seq, l.kind, l.sender, l.cid, l.body, l.subtype, l.target, l.meta, l.ts"
   " FROM mine LEFT JOIN LATERAL (SELECT " PARLEY_PG_EVENT_COLUMNS " FROM events"
   " WHERE room_id = mine.id AND kind = 'msg' ORDER BY seq DESC LIMIT 1) l ON true"
   " ORDER BY mine.t DESC, mine.id COLLATE \"C\""},
  // The lines of room $1 of those among the users $2 (a text[]) who are its members, in one
  // round trip whatever their number: the members by their primary key (room_id, user_id).
  // The unread column is 0: room_summaries counts them all from msg_senders_after in one
  // pass (a count per member made a big room's notice cost members x backlog). No rows for
  // a room that does not exist; a user named twice in $2 still gives one row. Columns:
  // read_summary's, then the user id; in no particular order.
  {"parley_room_members",
   "SELECT r.id, r.title, r.head_seq, m.read_seq, " PARLEY_PG_ROOM_TS("r") ", 0::bigint,"
   " m.user_id FROM members m JOIN rooms r ON r.id = m.room_id"
   " WHERE m.room_id = $1 AND m.user_id = ANY ($2::text[])"},
  // The latest $3 messages of room $1 after seq $2 with their senders, newest first
  // (events_msgs).
  {"parley_msg_senders_after",
   "SELECT seq, sender FROM events WHERE room_id = $1 AND kind = 'msg' AND seq > $2"
   " ORDER BY seq DESC LIMIT $3"},
};

#undef PARLEY_PG_UNREAD
#undef PARLEY_PG_ROOM_TS
#undef PARLEY_PG_EVENT_COLUMNS

inline constexpr int64_t min_seq = std::numeric_limits<int64_t>::min();
inline constexpr int64_t max_seq = std::numeric_limits<int64_t>::max();

/// The most rows one statement built from a VALUES list takes (PostgreSQL allows 65535
/// parameters per statement; rows here have at most 4).
inline constexpr size_t max_rows_per_statement = 4096;

/// The name to pass to exec_prepared.
inline std::string name(id q) {
  return statements[q].name;
}

/// Reads a row of the event selects (its columns from `first` on); false on a kind this
/// build does not know.
bool read_event(const pqxx::row& r, event& e, size_t first = 0);

/// Reads the first six columns of a rooms_of or room_members row: all of the line but last.
void read_summary(const pqxx::row& row, room_summary& r);

/// Runs `sql(rows)` over `params` (`per_row` of them per row), in statements of at most
/// max_rows_per_statement rows, handing each statement's result to `each` if given.
void exec_rows(pqxx::transaction_base& tx, const std::vector<std::string>& params,
               size_t per_row, std::string (*sql)(size_t rows),
               const std::function<void(const pqxx::result&)>& each = {});

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
/// head, largest event ts (last_ts moves forward only). Its affected-row count tells whether
/// every head was where the writer expected.
std::string advance_heads_sql(size_t rooms);

/// How many of `rooms` room ids (one parameter each) exist.
std::string count_rooms_sql(size_t rooms);

/// Moves read markers of several rooms at once (forward only, never past the room's head
/// as this transaction left it); parameters per marker: room id, user id, seq.
std::string mark_reads_sql(size_t markers);

// Membership changes (of one room on the careful path, of the whole batch on the fast path):

/// Creates the users that do not exist yet; one parameter (user id) per user, no repeats
/// needed (repeats are harmless).
std::string insert_users_sql(size_t users);

/// Removes members; parameters per member: room id, user id. Non-members match no row.
std::string remove_members_sql(size_t members);

/// Adds members unless they are members already; parameters per member: room id, user id,
/// role, joined_at. A (room, user) at most once per statement.
std::string add_members_sql(size_t members);

// The rest of rooms_of and the presence calls:

/// The changes (edit, delete, react) of several rooms' latest messages, ascending seq;
/// parameters per message: room id, seq.
std::string last_msg_changes_sql(size_t messages);

/// Sets users' last_seen, creating unknown users; parameters per user: id, last_seen. A
/// user at most once per statement (ON CONFLICT DO UPDATE refuses repeats).
std::string set_last_seen_sql(size_t users);

/// id and last_seen of the users that exist among `users` ids (one parameter each).
std::string last_seen_sql(size_t users);

}  // namespace parley::storage::detail::pg
