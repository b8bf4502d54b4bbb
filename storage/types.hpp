#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/error.hpp"

namespace parley::storage {

/// Persistent kinds of room events (PROTOCOL §4). Each gets the next `seq` of its room.
enum class event_kind : uint8_t { msg = 0, edit = 1, del = 2, react = 3, member = 4 };

/// "msg", "edit", "delete", "react", "member": the protocol's names, also stored as text.
std::string_view to_string(event_kind k);
std::optional<event_kind> event_kind_from(std::string_view text);

/// One row of `events`: a persistent room event. Field use by kind:
///   msg:    cid, body, subtype = the message kind ("text"), target = reply_to (0: none), meta
///   edit:   body = new text, target
///   delete: target
///   react:  body = emoji, subtype = "on" | "off", target
///   member: body = the user added or removed, subtype = "added" | "removed"
struct event {
  std::string room;
  int64_t seq = 0;
  event_kind kind = event_kind::msg;
  std::string sender;
  std::string cid;
  std::string body;
  std::string subtype;
  int64_t target = 0;
  std::string meta;  ///< JSON text of an object, or "" for none.
  int64_t ts = 0;    ///< Milliseconds since the Unix epoch, server time.

  friend bool operator==(const event&, const event&) = default;
};

enum class member_role : uint8_t { member = 0, admin = 1 };

struct member {
  std::string user;
  member_role role = member_role::member;
  int64_t read_seq = 0;  ///< Read marker: the last seq this member has read.
  int64_t joined_at = 0;

  friend bool operator==(const member&, const member&) = default;
};

/// A room with its members, as loaded when its actor starts.
struct room_record {
  std::string id;
  std::string title;
  std::string created_by;
  int64_t created_at = 0;
  int64_t head_seq = 0;  ///< Last committed seq; 0 for a room without events.
  std::vector<member> members;
};

/// A message as `history` shows it: its current state after edits, deletion and reactions.
struct message_state {
  event msg;
  int64_t edited_ts = 0;  ///< 0: never edited.
  bool deleted = false;   ///< Then msg.body is "".
  std::vector<std::pair<std::string, std::vector<std::string>>> reactions;  ///< emoji -> users
};

/// `history` request: `before` or `after` (exclusive), or neither for the latest `limit`.
struct history_query {
  std::string room;
  std::optional<int64_t> before;
  std::optional<int64_t> after;
  int64_t limit = 50;
};

struct history_page {
  std::vector<message_state> messages;  ///< Ascending seq.
  bool more = false;  ///< before/neither: older messages exist; after: newer ones exist.
};

/// Read-marker update: markers only move forward.
struct read_marker {
  std::string user;
  int64_t seq = 0;
};

/// A membership change that goes with a `member` event (invite, remove).
struct member_change {
  std::string user;
  bool added = true;                        ///< false: removed.
  member_role role = member_role::member;   ///< For additions.
  int64_t at = 0;                           ///< joined_at for additions (ms).
};

/// The writes of one room within one group-commit transaction.
struct room_writes {
  std::string room;
  std::vector<event> events;         ///< Contiguous ascending seq, the first = head + 1.
  std::vector<read_marker> reads;
  std::vector<member_change> members;  ///< Applied after the events, in order.
};

/// One line of a user's conversation list (PROTOCOL `rooms`).
struct room_summary {
  std::string room;
  std::string title;
  int64_t head = 0;
  int64_t read = 0;    ///< The user's read marker.
  int64_t unread = 0;  ///< `msg` events after the marker that others sent (deleted ones too),
                       ///< among the room's latest detail::unread_window (1,000).
  int64_t last_ts = 0; ///< ts of the room's latest event, else its created_at.
  std::optional<message_state> last;  ///< The latest message, in its current state.
};

/// When a user was last seen online (presence); 0: never.
struct user_seen {
  std::string user;
  int64_t last_seen = 0;
};

/// What happened to one room's writes.
struct room_write_outcome {
  errc code = errc::ok;
  std::string message;
  /// code == conflict because a (sender, cid) was stored before: the stored originals.
  std::vector<event> duplicates;
};

}  // namespace parley::storage
