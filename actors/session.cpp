#include "actors/session.hpp"

#include "actors/errors.hpp"
#include "actors/metrics.hpp"

namespace parley::actors {
namespace {

bool is_receiver_down(const caf::error& err) {
  return err == caf::sec::request_receiver_down;
}

void answer(session_actor_ptr self, const request_id& id, reply_body body) {
  if (id.present())
    self->state.link->send_reply(reply{id, std::move(body)});
}

/// Errors go out even for requests without an id (PROTOCOL §3).
void answer_error(session_actor_ptr self, const request_id& id, error_info info) {
  self->state.link->send_reply(reply{id, std::move(info)});
}

void done(session_actor_ptr self) {
  --self->state.in_flight;
}

void fail(session_actor_ptr self, const request_id& id, const caf::error& err) {
  done(self);
  answer_error(self, id, to_error_info(err));
}

/// The reply handler of a request answered with a `T`: pass it on to the client.
template <class T>
auto pass_on(session_actor_ptr self, const request_id& id) {
  return [=](T& result) {
    done(self);
    answer(self, id, std::move(result));
  };
}

/// The reply handler of a request answered with nothing: `ok` to the client.
auto plain_ok(session_actor_ptr self, const request_id& id) {
  return [=]() {
    done(self);
    answer(self, id, ok_empty{});
  };
}

/// Calls `f(room)` with the room's actor: the joined one, or the directory's answer.
template <class F>
void with_room(session_actor_ptr self, const std::string& room, const request_id& id, F f) {
  auto& st = self->state;
  if (auto i = st.joined.find(room); i != st.joined.end()) {
    f(i->second);
    return;
  }
  self->request(st.directory, st.cfg.request_timeout, get_room_atom::value, room)
    .then([=](caf::actor& r) { f(r); }, [=](caf::error& err) { fail(self, id, err); });
}

/// Sends `xs...` to the room and hands the reply to `on_ok`. A room that stopped between
/// the lookup and the request (idle stop) is looked up again, once.
template <class OnOk, class... Ts>
void ask_room(session_actor_ptr self, const std::string& room, const request_id& id,
              bool retried, OnOk on_ok, Ts... xs) {
  with_room(self, room, id, [=](caf::actor& r) {
    self->request(r, self->state.cfg.request_timeout, xs...)
      .then(on_ok, [=](caf::error& err) {
        if (!retried && is_receiver_down(err) && !self->state.joined.count(room)) {
          ask_room(self, room, id, true, on_ok, xs...);
          return;
        }
        fail(self, id, err);
      });
  });
}

void handle(session_actor_ptr self, const request_id& id, create_req& r) {
  auto& st = self->state;
  // The server API creates rooms without becoming their member (creator "").
  auto creator = st.cfg.trusted ? std::string{} : st.user;
  self->request(st.directory, st.cfg.request_timeout, create_atom::value, creator, r)
    .then(pass_on<ok_create>(self, id), [=](caf::error& err) { fail(self, id, err); });
}

void handle(session_actor_ptr self, const request_id& id, join_req& r) {
  auto& st = self->state;
  if (!st.joined.count(r.room) && static_cast<int64_t>(st.joined.size()) >= st.cfg.max_rooms) {
    done(self);
    answer_error(self, id,
                 {error_code::too_large,
                  "joined " + std::to_string(st.cfg.max_rooms) + " rooms: leave one first"});
    return;
  }
  join_args args{st.user, self->id(), st.link, r.since ? *r.since : -1, id};
  auto room_id = r.room;
  with_room(self, room_id, id, [=](caf::actor& room) {
    auto room_handle = room;
    self->request(room, self->state.cfg.request_timeout, join_atom::value, args)
      .then(
        [=](bool joined) {
          // The room itself sent the `ok`, after the replay; only bookkeeping is left.
          done(self);
          if (joined && !self->state.joined.count(room_id)) {
            self->state.joined.emplace(room_id, room_handle);
            self->monitor(room_handle);
          }
        },
        [=](caf::error& err) { fail(self, id, err); });
  });
}

void handle(session_actor_ptr self, const request_id& id, leave_req& r) {
  auto& st = self->state;
  auto i = st.joined.find(r.room);
  if (i != st.joined.end()) {
    self->demonitor(i->second);
    self->send(i->second, leave_atom::value, self->id());
    st.joined.erase(i);
  }
  done(self);
  answer(self, id, ok_empty{});
}

void handle(session_actor_ptr self, const request_id& id, send_req& r) {
  auto room = r.room;
  ask_room(self, room, id, false, pass_on<ok_send>(self, id), send_atom::value,
           self->state.user, std::move(r), self->state.cfg.trusted);
}

void handle(session_actor_ptr self, const request_id& id, typing_req& r) {
  ask_room(self, r.room, id, false, plain_ok(self, id), typing_atom::value, self->state.user,
           r.on, self->id());
}

void handle(session_actor_ptr self, const request_id& id, read_req& r) {
  ask_room(self, r.room, id, false, plain_ok(self, id), read_atom::value, self->state.user,
           r.seq, self->id());
}

void handle(session_actor_ptr self, const request_id& id, history_req& r) {
  auto room = r.room;
  ask_room(self, room, id, false, pass_on<ok_history>(self, id), history_atom::value,
           self->state.user, std::move(r));
}

/// edit, delete, react, invite and remove: to the room, which answers with the new seq.
template <class Atom, class Req, class... Ts>
void change_request(session_actor_ptr self, const request_id& id, Req& r, Ts... xs) {
  auto room = r.room;
  ask_room(self, room, id, false, pass_on<ok_send>(self, id), Atom::value, self->state.user,
           std::move(r), xs...);
}

void handle(session_actor_ptr self, const request_id& id, edit_req& r) {
  change_request<edit_atom>(self, id, r);
}
void handle(session_actor_ptr self, const request_id& id, delete_req& r) {
  change_request<delete_atom>(self, id, r);
}
void handle(session_actor_ptr self, const request_id& id, react_req& r) {
  change_request<react_atom>(self, id, r);
}
void handle(session_actor_ptr self, const request_id& id, invite_req& r) {
  change_request<invite_atom>(self, id, r, self->state.cfg.trusted);
}
void handle(session_actor_ptr self, const request_id& id, remove_req& r) {
  change_request<remove_atom>(self, id, r, self->state.cfg.trusted);
}

void handle(session_actor_ptr self, const request_id& id, rooms_req& r) {
  auto& st = self->state;
  self->request(st.reader, st.cfg.request_timeout, rooms_atom::value, st.user, r.limit)
    .then(pass_on<ok_rooms>(self, id), [=](caf::error& err) { fail(self, id, err); });
}

void handle(session_actor_ptr self, const request_id& id, presence_req& r) {
  auto& st = self->state;
  self->request(st.presence, st.cfg.request_timeout, presence_atom::value, std::move(r.users))
    .then(pass_on<ok_presence>(self, id), [=](caf::error& err) { fail(self, id, err); });
}

// auth and ping never reach a session: the connection answers them.
void handle(session_actor_ptr self, const request_id& id, auth_req&) {
  done(self);
}
void handle(session_actor_ptr self, const request_id& id, ping_req&) {
  done(self);
  answer(self, id, pong{});
}

/// Checks rate, load and the request's own fields; answers and returns false if refused.
template <class Req>
bool admit(session_actor_ptr self, const request_id& id, const Req& r) {
  auto& st = self->state;
  if (st.cfg.limiter)
    if (auto wait = st.cfg.limiter->take(st.user, self->clock().now())) {
      global_metrics().rate_limited.inc();
      answer_error(self, id, {error_code::rate_limited, "too many requests", *wait});
      return false;
    }
  if (st.in_flight >= st.cfg.max_requests_in_flight) {
    answer_error(self, id, {error_code::rate_limited, "too many requests in flight", 100});
    return false;
  }
  if constexpr (!std::is_same_v<Req, auth_req> && !std::is_same_v<Req, ping_req>) {
    if (auto e = validate(r, st.cfg.limits)) {
      answer_error(self, id, *e);
      return false;
    }
  }
  return true;
}

}  // namespace

caf::behavior session_actor(session_actor_ptr self, std::string user, link_ptr link,
                            session_config cfg, caf::actor directory, caf::actor presence,
                            caf::actor reader) {
  auto& st = self->state;
  st.user = std::move(user);
  st.link = std::move(link);
  st.cfg = cfg;
  st.directory = std::move(directory);
  st.presence = std::move(presence);
  st.reader = std::move(reader);
  if (st.cfg.announce_presence)
    self->send(st.presence, online_atom::value, st.user, st.link);
  self->set_down_handler([=](caf::down_msg& dm) {
    // A joined room went away (it never stops while it has subscribers, so it failed):
    // this connection may have missed events, so close it and let the client resume.
    for (auto& [room, actor] : self->state.joined)
      if (actor.address() == dm.source) {
        self->state.link->close(close_code::going_away, "room restarted; resume with since");
        return;
      }
  });
  return {
    [=](removed_atom, const std::string& room) {
      // Removed from a joined room: no longer subscribed, so no longer counted.
      auto& joined = self->state.joined;
      if (auto i = joined.find(room); i != joined.end()) {
        self->demonitor(i->second);
        joined.erase(i);
      }
    },
    [=](inbound& in) {
      global_metrics().requests.inc();
      std::visit(
        [&](auto& req) {
          if (!admit(self, in.id, req))
            return;
          ++self->state.in_flight;
          handle(self, in.id, req);
        },
        in.req);
    },
  };
}

}  // namespace parley::actors
