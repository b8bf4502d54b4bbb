#pragma once

// Internal to the room actor: the pieces room.cpp (order, commits), room_sends.cpp
// (messages), room_joins.cpp (joins and replays) and room_changes.cpp (edits, deletes,
// reactions, membership) share. Not for other actors.

#include <caf/all.hpp>

#include <string>
#include <vector>

#include "actors/room.hpp"

namespace parley::actors::room_ops {

caf::error not_a_member();

/// Refuses writes while the room cannot take them (recovering, draining, backlogs full).
caf::error refuse_write(room_state& st);

/// Sends a write to the room's writer and keeps `w` (who waits for it) in flight until its
/// commit.
void hand_to_writer(room_actor_ptr self, pending_write write, in_flight_write w);
/// Sends the writer what the outbox holds, if anything. Everything else the room sends
/// the writer goes after it, so the writer sees the room's writes in order.
void send_outbox(room_actor_ptr self);

/// Arms the idle stop if the room has nobody subscribed and nothing in flight.
void schedule_idle_check(room_actor_ptr self);

// room_sends.cpp: a message, after its commit (or at once: refused, or its cid stored).
caf::result<ok_send> on_send(room_actor_ptr self, const std::string& user, const send_req& req,
                             bool trusted);
/// One session's sends at once: one outcome per send, in order, when all are known.
caf::result<std::vector<send_outcome>> on_send_batch(room_actor_ptr self,
                                                     const std::string& user,
                                                     const std::vector<send_req>& reqs,
                                                     bool trusted);

// room_joins.cpp: subscribes the session; pushes the replay (from the tail or storage),
// then the join `ok`, then live events; answers whether it subscribed.
caf::result<bool> on_join(room_actor_ptr self, join_args& args);
// Ends a session's subscription: its `leave`, or its end (a down message; it is monitored
// from its join until then).
void unsubscribe(room_actor_ptr self, uint64_t session);
void on_session_down(room_actor_ptr self, const caf::actor_addr& session);

// room_changes.cpp: each answers with the new event's seq (ok_send), after the commit.
caf::result<ok_send> on_edit(room_actor_ptr self, const std::string& user, edit_req& req);
caf::result<ok_send> on_delete(room_actor_ptr self, const std::string& user, delete_req& req);
caf::result<ok_send> on_react(room_actor_ptr self, const std::string& user, react_req& req);
/// `trusted`: the server API, which manages membership without being a member or admin.
caf::result<ok_send> on_invite(room_actor_ptr self, const std::string& user, invite_req& req,
                               bool trusted);
caf::result<ok_send> on_remove(room_actor_ptr self, const std::string& user, remove_req& req,
                               bool trusted);

/// After a committed `member` event reached the subscribers: the membership it records
/// takes effect (a removed user's connections are unsubscribed and their sessions told).
void apply_member_changes(room_actor_ptr self,
                          const std::vector<storage::member_change>& changes);

}  // namespace parley::actors::room_ops
