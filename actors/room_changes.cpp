// The room's requests that change what is already in the log or who may read it: edit,
// delete, react (events that target a message), invite and remove (`member` events).
#include <string>

#include "actors/errors.hpp"
#include "actors/room_ops.hpp"

namespace parley::actors::room_ops {
namespace {

caf::error no_message(int64_t seq, const char* why) {
  return make_error(error_code::not_found, "seq " + std::to_string(seq) + " " + why);
}

/// Looks the target message up in its current state and calls `next(message, promise)`,
/// or answers not_found. Through the reader, because the target may be older than the
/// room's tail and whether it was deleted is only known from the folded log.
template <class Next>
caf::result<ok_send> with_target(room_actor_ptr self, const std::string& user, int64_t target,
                                 Next next) {
  auto& st = self->state;
  if (!st.is_member(user))
    return not_a_member();
  if (auto err = refuse_write(st))
    return err;
  if (target < 1 || target > st.head)
    return no_message(target, "is not in the room's log");
  auto rp = self->make_response_promise();
  storage::history_query q{st.id, std::nullopt, target - 1, 1};
  self->request(st.reader, st.cfg.storage_timeout, history_atom::value, std::move(q))
    .then(
      [=](ok_history& h) mutable {
        if (h.messages.empty() || h.messages.front().msg.seq != target)
          rp.deliver(no_message(target, "is not a message"));
        else if (h.messages.front().deleted)
          rp.deliver(no_message(target, "was deleted"));
        else
          next(h.messages.front(), rp);
      },
      [=](caf::error&) mutable {
        rp.deliver(make_error(error_code::unavailable, "could not read the message"));
      });
  return rp;
}

/// Gives a checked change its seq and ts and hands it to the writer; `rp` is answered after
/// the commit. The room may have stopped taking writes while the target was looked up.
void append_change(room_actor_ptr self, storage::event ev, caf::response_promise rp,
                   std::vector<storage::member_change> members = {}) {
  auto& st = self->state;
  if (auto err = refuse_write(st)) {
    rp.deliver(err);
    return;
  }
  ev.room = st.id;
  ev.seq = st.next_seq++;
  ev.ts = st.next_ts();
  for (auto& m : members) {
    m.at = ev.ts;
    st.membership_in_flight.insert(m.user);
  }
  pending_write write;
  write.ev = std::move(ev);
  write.members = std::move(members);
  in_flight_write w;
  w.waiting.push_back(std::move(rp));
  hand_to_writer(self, std::move(write), std::move(w));
}

storage::event change(storage::event_kind kind, const std::string& sender, int64_t target) {
  storage::event ev;
  ev.kind = kind;
  ev.sender = sender;
  ev.target = target;
  return ev;
}

bool is_admin(const room_state& st, const std::string& user) {
  auto m = st.members.find(user);
  return m != st.members.end() && m->second.role == storage::member_role::admin;
}

}  // namespace

caf::result<ok_send> on_edit(room_actor_ptr self, const std::string& user, edit_req& req) {
  return with_target(self, user, req.target,
                     [self, user, req](const storage::message_state& m,
                                       caf::response_promise rp) {
                       if (m.msg.sender != user) {
                         rp.deliver(make_error(error_code::forbidden,
                                               "only the author may edit a message"));
                         return;
                       }
                       auto ev = change(storage::event_kind::edit, user, req.target);
                       ev.body = req.body;
                       append_change(self, std::move(ev), std::move(rp));
                     });
}

caf::result<ok_send> on_delete(room_actor_ptr self, const std::string& user, delete_req& req) {
  return with_target(self, user, req.target,
                     [self, user, req](const storage::message_state& m,
                                       caf::response_promise rp) {
                       if (m.msg.sender != user && !is_admin(self->state, user)) {
                         rp.deliver(make_error(error_code::forbidden,
                                               "only the author or a room admin may delete"));
                         return;
                       }
                       append_change(self, change(storage::event_kind::del, user, req.target),
                                     std::move(rp));
                     });
}

caf::result<ok_send> on_react(room_actor_ptr self, const std::string& user, react_req& req) {
  return with_target(self, user, req.target,
                     [self, user, req](const storage::message_state&,
                                       caf::response_promise rp) {
                       auto ev = change(storage::event_kind::react, user, req.target);
                       ev.body = req.emoji;
                       ev.subtype = req.on ? "on" : "off";
                       append_change(self, std::move(ev), std::move(rp));
                     });
}

namespace {

/// Checks shared by invite and remove; none when the change may go ahead.
caf::error check_membership_change(room_state& st, const std::string& user,
                                   const std::string& target, bool trusted) {
  if (!trusted && !st.is_member(user))
    return not_a_member();
  if (st.membership_in_flight.count(target))
    return make_error(error_code::unavailable,
                      "a membership change of " + target + " is being stored; retry");
  return refuse_write(st);
}

}  // namespace

caf::result<ok_send> on_invite(room_actor_ptr self, const std::string& user, invite_req& req,
                               bool trusted) {
  auto& st = self->state;
  if (auto err = check_membership_change(st, user, req.user, trusted))
    return err;
  if (st.is_member(req.user))
    return make_error(error_code::conflict, req.user + " is a member already");
  auto rp = self->make_response_promise();
  auto ev = change(storage::event_kind::member, user, 0);
  ev.body = req.user;
  ev.subtype = "added";
  append_change(self, std::move(ev), rp,
                {storage::member_change{req.user, true, storage::member_role::member, 0}});
  return rp;
}

caf::result<ok_send> on_remove(room_actor_ptr self, const std::string& user, remove_req& req,
                               bool trusted) {
  auto& st = self->state;
  if (auto err = check_membership_change(st, user, req.user, trusted))
    return err;
  if (!st.is_member(req.user))
    return make_error(error_code::not_found, req.user + " is not a member");
  if (!trusted && req.user != user && !is_admin(st, user))
    return make_error(error_code::forbidden, "only a room admin may remove others");
  auto rp = self->make_response_promise();
  auto ev = change(storage::event_kind::member, user, 0);
  ev.body = req.user;
  ev.subtype = "removed";
  append_change(self, std::move(ev), rp, {storage::member_change{req.user, false}});
  return rp;
}

void apply_member_changes(room_actor_ptr self,
                          const std::vector<storage::member_change>& changes) {
  auto& st = self->state;
  for (auto& c : changes) {
    st.membership_in_flight.erase(c.user);
    if (c.added) {
      st.members[c.user] = storage::member{c.user, c.role, 0, c.at};
      continue;
    }
    st.members.erase(c.user);
    // The removed user's connections saw the `member` event; now they stop receiving.
    for (auto i = st.subscribers.begin(); i != st.subscribers.end();) {
      if (i->second.user != c.user) {
        ++i;
        continue;
      }
      self->send(caf::actor_cast<caf::actor>(i->second.session), removed_atom::value, st.id);
      i = st.subscribers.erase(i);
    }
  }
}

}  // namespace parley::actors::room_ops
