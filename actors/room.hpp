#pragma once

#include <caf/all.hpp>

#include <string>

#include "actors/room_config.hpp"
#include "actors/room_state.hpp"

namespace parley::actors {

using room_actor_ptr = caf::stateful_actor<room_state>*;

/// The room actor: the single owner of one room's order (DESIGN "the path of one message").
/// It loads its record and recent events from the reader, then serves:
///   (send_atom, user, send_req[, trusted]) -> ok_send, after the commit
///   (send_batch_atom, user, [send_req], trusted) -> [send_outcome], one per send, in order
///   (join_atom, join_args)                 -> bool; pushes replay, the join `ok`, then live
///   (leave_atom, session_id)               -> void
///   (typing_atom, user, on, session_id)    -> void; ephemeral event to others
///   (read_atom, user, seq, session_id)     -> void, after the commit; `read` event
///   (history_atom, user, history_req)      -> ok_history, delegated to the reader
///   (drain_atom)                           -> void, once nothing is in flight
/// and from its writer: (committed_atom, room, count, events), (failed_atom, room, error, dups).
/// With no subscribers and nothing in flight for `idle_timeout`, it stops.
caf::behavior room_actor(room_actor_ptr self, std::string id, room_config cfg,
                         caf::actor writer, caf::actor reader, caf::actor directory);

}  // namespace parley::actors
