#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/error.hpp"
#include "storage/types.hpp"

namespace parley::storage {

/// The persistence contract the broker relies on; SQLite and PostgreSQL implement it, and one
/// conformance suite (tests/unit/store_conformance.*) holds both to it.
///
/// All calls block. Only the writer and reader actors (detached threads) call them, each on
/// its own store object (connection); a store object is not shared between threads.
class store {
public:
  virtual ~store() = default;

  /// Applies the numbered migrations not yet recorded in `schema_version`.
  virtual status migrate() = 0;

  /// The highest migration applied (0 for an empty database).
  virtual result<int> schema_version() = 0;

  /// Cheap round trip; `/readyz` and reconnect logic use it.
  virtual status ping() = 0;

  /// Creates a room with its members (created_by is among them, as admin when listed so).
  /// conflict: the id exists. Users named in members are created in `users` if missing.
  virtual status create_room(const room_record& room) = 0;

  /// The room and its members; nullopt when it does not exist.
  virtual result<std::optional<room_record>> load_room(std::string_view room) = 0;

  /// Events with seq > after, ascending, at most `limit`.
  virtual result<std::vector<event>> events_after(std::string_view room, int64_t after,
                                                  int64_t limit) = 0;

  /// The last `limit` events of the room, ascending (the room actor's resume tail).
  virtual result<std::vector<event>> recent_events(std::string_view room, int64_t limit) = 0;

  /// Messages in their current state (PROTOCOL `history`).
  virtual result<history_page> history(const history_query& q) = 0;

  /// The stored message with this (room, sender, cid), if any.
  virtual result<std::optional<event>> find_message(std::string_view room,
                                                    std::string_view sender,
                                                    std::string_view cid) = 0;

  /// Group commit: all rooms' writes in ONE transaction and one commit. Each room's writes
  /// are isolated (a savepoint): if one room's events hit a unique key (seq taken, cid
  /// stored) or its head is not events[0].seq - 1, that room gets `conflict` and nothing of
  /// it is written, while the other rooms commit. If the transaction or its commit fails,
  /// every room gets the same error (`unavailable`, or `in_doubt` if the commit's outcome is
  /// unknown). Returns one outcome per element of `batch`, in order. Also advances
  /// rooms.head_seq and rooms.last_ts (the largest event ts), moves read markers forward
  /// (never backward, never beyond the head), and applies membership changes (an addition of
  /// a member is a no-op, a removal of a non-member too; additions create the user).
  virtual std::vector<room_write_outcome> write(std::span<const room_writes> batch) = 0;

  /// The rooms `user` is a member of, most recent first (last_ts descending, then room id),
  /// at most `limit` (1-1000). Unknown user: empty.
  virtual result<std::vector<room_summary>> rooms_of(std::string_view user, int64_t limit) = 0;

  /// The conversation-list line of one room for each of `users` (the `room` event; the
  /// presence registry asks it about a room's connected members). One entry per element of
  /// `users`, in their order, a user named twice getting two equal entries. A user who is
  /// not a member of the room (or a room that does not exist) gets an entry with an empty
  /// `room` and everything else at its default. A member's entry is the line rooms_of shows
  /// for that user and room: room id, title, head, read (the user's read marker), unread
  /// (the user's unread count: `msg` events with seq > read that others sent), last_ts and
  /// `last` (the room's latest message in its current state, the same for every member).
  /// All from one snapshot. No users: empty, without asking the database.
  virtual result<std::vector<room_summary>> room_summaries(std::string_view room,
                                                           std::span<const std::string> users) = 0;

  /// Records when users were last seen (creating unknown users).
  virtual status set_last_seen(std::span<const user_seen> seen) = 0;

  /// When these users were last seen; unknown users are reported with 0.
  virtual result<std::vector<user_seen>> last_seen(std::span<const std::string> users) = 0;
};

/// Opens a store from a URL: `sqlite:PATH` or `postgresql://...`. Creates the SQLite file
/// and its directory if needed. Does not migrate.
result<std::unique_ptr<store>> open_store(const std::string& url);

}  // namespace parley::storage
