#pragma once

// The actors' vocabulary: atoms and message structs exchanged between sessions, rooms, the
// directory, the presence registry and the writer/reader pools, registered in one type-ID
// block. Types that hold pointers (links) or std::optional are local-only and marked so.

#include <caf/all.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/client_link.hpp"
#include "actors/protocol.hpp"
#include "storage/error.hpp"
#include "storage/types.hpp"

namespace parley::actors {

/// One write a room hands to its writer: an event (a `member` event with the membership
/// change it records), or a read-marker move.
struct pending_write {
  bool is_event = true;
  storage::event ev;                          ///< When is_event.
  storage::read_marker read;                  ///< Otherwise.
  std::vector<storage::member_change> members;  ///< With a `member` event: its change.
  friend bool operator==(const pending_write&, const pending_write&) = default;
};

/// Everything a room needs to start: its record and its most recent events.
struct room_snapshot {
  bool found = false;
  storage::room_record record;
  std::vector<storage::event> tail;
};

/// The writer's answer to a room that re-reads its head after a failed batch.
struct resync_result {
  int64_t head = 0;
  /// Events after the room's last known head that are in storage (a commit whose outcome
  /// the room could not know); the room delivers them before accepting new work.
  std::vector<storage::event> missed;
};

/// A room's log grew (or a member's read marker moved): the conversation-list lines its
/// members should see. `lines` the room made itself (conversation_lines), for members by
/// user id with their unread counts; the members in `ask` have markers before what the
/// room has seen, and presence has the reader make theirs. `last` is set when `lines` is
/// not empty.
struct conversation_notice {
  std::string room;
  int64_t head = 0;
  std::optional<storage::message_state> last;
  std::vector<std::pair<std::string, int64_t>> lines;
  std::vector<std::string> ask;
};

/// The outcome of one send of a batch (send_batch_atom): its `ok`, or why it failed.
struct send_outcome {
  ok_send ok;
  caf::error err;  ///< Set if the send was refused or its write failed.
};

/// A session joining a room: who, where to push events, and from where to replay.
struct join_args {
  std::string user;
  uint64_t session_id = 0;
  link_ptr link;
  int64_t since = -1;  ///< -1: no replay.
  request_id id;       ///< The room sends the join `ok` itself, after the replay.
};

}  // namespace parley::actors

// Local-only messages: they carry pointers or std::optional (no CAF 0.17 inspector).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::join_args)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::conversation_notice)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::inbound)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::inbound_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<parley::actors::send_req>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<parley::actors::send_outcome>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::create_req)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::history_req)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::storage::history_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::link_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::ok_presence)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::actors::ok_rooms)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::storage::room_summary)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<parley::storage::room_summary>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<parley::storage::user_seen>)

namespace parley::storage {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  return f(caf::meta::type_name("event"), x.room, x.seq, x.kind, x.sender, x.cid, x.body,
           x.subtype, x.target, x.meta, x.ts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  return f(caf::meta::type_name("member"), x.user, x.role, x.read_seq, x.joined_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_record& x) {
  return f(caf::meta::type_name("room_record"), x.id, x.title, x.created_by, x.created_at,
           x.head_seq, x.members);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_marker& x) {
  return f(caf::meta::type_name("read_marker"), x.user, x.seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_change& x) {
  return f(caf::meta::type_name("member_change"), x.user, x.added, x.role, x.at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message_state& x) {
  return f(caf::meta::type_name("message_state"), x.msg, x.edited_ts, x.deleted, x.reactions);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, error& x) {
  return f(caf::meta::type_name("storage_error"), x.code, x.message);
}

}  // namespace parley::storage

namespace parley::actors {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pending_write& x) {
  return f(caf::meta::type_name("pending_write"), x.is_event, x.ev, x.read, x.members);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_snapshot& x) {
  return f(caf::meta::type_name("room_snapshot"), x.found, x.record, x.tail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resync_result& x) {
  return f(caf::meta::type_name("resync_result"), x.head, x.missed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, send_req& x) {
  return f(caf::meta::type_name("send_req"), x.room, x.cid, x.body, x.kind, x.reply_to, x.meta);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, edit_req& x) {
  return f(caf::meta::type_name("edit_req"), x.room, x.target, x.body);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_req& x) {
  return f(caf::meta::type_name("delete_req"), x.room, x.target);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, react_req& x) {
  return f(caf::meta::type_name("react_req"), x.room, x.target, x.emoji, x.on);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, invite_req& x) {
  return f(caf::meta::type_name("invite_req"), x.room, x.user);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_req& x) {
  return f(caf::meta::type_name("remove_req"), x.room, x.user);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ok_create& x) {
  return f(caf::meta::type_name("ok_create"), x.room);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ok_send& x) {
  return f(caf::meta::type_name("ok_send"), x.room, x.seq, x.ts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ok_history& x) {
  return f(caf::meta::type_name("ok_history"), x.messages, x.more);
}

}  // namespace parley::actors

// Atoms (at most 10 characters in CAF 0.17) and the inspectable types, in one block.
CAF_BEGIN_TYPE_ID_BLOCK(parley, caf::first_custom_type_id)
  CAF_ADD_ATOM(parley, parley::actors, get_room_atom, "get_room")
  CAF_ADD_ATOM(parley, parley::actors, create_atom, "create")
  CAF_ADD_ATOM(parley, parley::actors, join_atom, "join")
  CAF_ADD_ATOM(parley, parley::actors, leave_atom, "leave")
  CAF_ADD_ATOM(parley, parley::actors, send_atom, "send")
  CAF_ADD_ATOM(parley, parley::actors, send_batch_atom, "sends")
  CAF_ADD_ATOM(parley, parley::actors, typing_atom, "typing")
  CAF_ADD_ATOM(parley, parley::actors, read_atom, "read")
  CAF_ADD_ATOM(parley, parley::actors, history_atom, "history")
  CAF_ADD_ATOM(parley, parley::actors, append_atom, "append")
  CAF_ADD_ATOM(parley, parley::actors, outbox_atom, "outbox")
  CAF_ADD_ATOM(parley, parley::actors, flush_atom, "flush")
  CAF_ADD_ATOM(parley, parley::actors, committed_atom, "committed")
  CAF_ADD_ATOM(parley, parley::actors, failed_atom, "failed")
  CAF_ADD_ATOM(parley, parley::actors, resync_atom, "resync")
  CAF_ADD_ATOM(parley, parley::actors, load_atom, "load")
  CAF_ADD_ATOM(parley, parley::actors, replay_atom, "replay")
  CAF_ADD_ATOM(parley, parley::actors, stopping_atom, "stopping")
  CAF_ADD_ATOM(parley, parley::actors, idle_atom, "idle")
  CAF_ADD_ATOM(parley, parley::actors, online_atom, "online")
  CAF_ADD_ATOM(parley, parley::actors, count_atom, "count")
  CAF_ADD_ATOM(parley, parley::actors, drain_atom, "drain")
  CAF_ADD_ATOM(parley, parley::actors, ping_atom, "ping")
  CAF_ADD_ATOM(parley, parley::actors, migrate_atom, "migrate")
  CAF_ADD_ATOM(parley, parley::actors, edit_atom, "edit")
  CAF_ADD_ATOM(parley, parley::actors, delete_atom, "delete")
  CAF_ADD_ATOM(parley, parley::actors, react_atom, "react")
  CAF_ADD_ATOM(parley, parley::actors, invite_atom, "invite")
  CAF_ADD_ATOM(parley, parley::actors, remove_atom, "remove")
  CAF_ADD_ATOM(parley, parley::actors, removed_atom, "removed")
  CAF_ADD_ATOM(parley, parley::actors, presence_atom, "presence")
  CAF_ADD_ATOM(parley, parley::actors, offline_atom, "offline")
  CAF_ADD_ATOM(parley, parley::actors, rooms_atom, "rooms")
  CAF_ADD_ATOM(parley, parley::actors, room_atom, "room")
  CAF_ADD_ATOM(parley, parley::actors, summaries_atom, "summaries")
  CAF_ADD_ATOM(parley, parley::actors, seen_atom, "seen")
  CAF_ADD_ATOM(parley, parley::actors, last_seen_atom, "last_seen")
  CAF_ADD_ATOM(parley, parley::actors, notice_atom, "notice")
  CAF_ADD_ATOM(parley, parley::actors, disconnect_atom, "disconnect")
  CAF_ADD_ATOM(parley, parley::actors, sweep_atom, "sweep")
  CAF_ADD_TYPE_ID(parley, (parley::storage::event))
  CAF_ADD_TYPE_ID(parley, (parley::storage::room_record))
  CAF_ADD_TYPE_ID(parley, (parley::storage::error))
  CAF_ADD_TYPE_ID(parley, (std::vector<parley::storage::event>))
  CAF_ADD_TYPE_ID(parley, (parley::actors::pending_write))
  CAF_ADD_TYPE_ID(parley, (std::vector<parley::actors::pending_write>))
  CAF_ADD_TYPE_ID(parley, (parley::actors::room_snapshot))
  CAF_ADD_TYPE_ID(parley, (parley::actors::resync_result))
  CAF_ADD_TYPE_ID(parley, (parley::actors::send_req))
  CAF_ADD_TYPE_ID(parley, (parley::actors::edit_req))
  CAF_ADD_TYPE_ID(parley, (parley::actors::delete_req))
  CAF_ADD_TYPE_ID(parley, (parley::actors::react_req))
  CAF_ADD_TYPE_ID(parley, (parley::actors::invite_req))
  CAF_ADD_TYPE_ID(parley, (parley::actors::remove_req))
  CAF_ADD_TYPE_ID(parley, (parley::actors::ok_create))
  CAF_ADD_TYPE_ID(parley, (parley::actors::ok_send))
  CAF_ADD_TYPE_ID(parley, (parley::actors::ok_history))
CAF_END_TYPE_ID_BLOCK(parley)
