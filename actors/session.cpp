#include "actors/session.hpp"

#include "actors/errors.hpp"
#include "actors/metrics.hpp"

namespace parley::actors {
namespace {

/// Rooms a session remembers having sent to without joining (a publisher, the server API):
/// their next send skips the directory. A stopped room answers request_receiver_down and
/// is looked up again; the oldest entry makes room for a new one.
constexpr size_t max_known_rooms = 16;

/// A client request the session has taken: its id for the reply, its deadline's ticket,
/// and whether it holds a catch-up slot of its connection (inbound::lane).
struct taken {
  request_id id;
  uint64_t ticket;
  bool lane = false;
};

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

/// Nothing waits any more: the link's tick may stop sweeping for this session.
void stop_tick_sweeps_if_idle(session_actor_ptr self) {
  auto& st = self->state;
  if (st.sweeps_on_tick && st.deadlines.waiting() == 0) {
    st.link->tick_sweeps(false);
    st.sweeps_on_tick = false;
  }
}

/// The request is answered now: true if its answer may go out, false if its deadline
/// passed and the client had a timeout error already.
bool settle(session_actor_ptr self, const taken& t) {
  if (!self->state.deadlines.close(t.ticket))
    return false;  // (expired: the sweep gave the catch-up slot back)
  --self->state.in_flight;
  if (t.lane)
    self->state.link->lane_done();
  stop_tick_sweeps_if_idle(self);
  return true;
}

void fail(session_actor_ptr self, const taken& t, const caf::error& err) {
  if (settle(self, t))
    answer_error(self, t.id, to_error_info(err));
}

/// Sends of one read to one room, taken together (inbound_batch): asked of the room in one
/// message, answered in one.
using taken_sends = std::shared_ptr<const std::vector<taken>>;

void fail(session_actor_ptr self, const taken_sends& ts, const caf::error& err) {
  for (auto& t : *ts)
    fail(self, t, err);
}

bool still_waiting(session_actor_ptr self, const taken& t) {
  return self->state.deadlines.waiting(t.ticket);
}

/// Any of them: the ones past their deadline go with the rest, and their cids make a
/// retry from the client, which was told to retry, come to the same message.
bool still_waiting(session_actor_ptr self, const taken_sends& ts) {
  return std::any_of(ts->begin(), ts->end(), [&](auto& t) { return still_waiting(self, t); });
}

/// The reply handler of a request answered with a `T`: pass it on to the client.
template <class T>
auto pass_on(session_actor_ptr self, const taken& t) {
  return [=](T& result) {
    if (settle(self, t))
      answer(self, t.id, std::move(result));
  };
}

/// The reply handler of a request answered with nothing: `ok` to the client.
auto plain_ok(session_actor_ptr self, const taken& t) {
  return [=]() {
    if (settle(self, t))
      answer(self, t.id, ok_empty{});
  };
}

/// A sweep at a quarter of the timeout keeps each deadline to within 25 %.
std::chrono::milliseconds sweep_interval(const session_config& cfg) {
  return std::max(cfg.request_timeout / 4, std::chrono::milliseconds{1});
}

/// Makes sure a sweep comes while requests wait: the link's tick if it has one (asked once
/// per busy period), else a CAF timer.
void schedule_sweep(session_actor_ptr self) {
  auto& st = self->state;
  if (st.sweep_scheduled || st.sweeps_on_tick || st.deadlines.waiting() == 0)
    return;
  if (st.link->tick_sweeps(true)) {
    st.sweeps_on_tick = true;
    return;
  }
  st.sweep_scheduled = true;
  self->delayed_send(self, sweep_interval(*st.cfg), sweep_atom::value);
}

/// Answers the requests past their deadline with a timeout error; their late answers, if
/// any come, are dropped by `settle`.
void sweep(session_actor_ptr self) {
  auto& st = self->state;
  st.sweep_scheduled = false;  // (a link's tick never sets it: a link ticks or it does not)
  st.deadlines.expire(self->clock().now(), [&](const request_id& id, bool lane) {
    --st.in_flight;
    if (lane)
      st.link->lane_done();
    answer_error(self, id, to_error_info(caf::make_error(caf::sec::request_timeout)));
  });
  stop_tick_sweeps_if_idle(self);
  schedule_sweep(self);
}

const caf::actor* known_room(session_actor_ptr self, const std::string& room) {
  auto& st = self->state;
  if (auto i = st.joined.find(room); i != st.joined.end())
    return &i->second;
  for (auto& [name, actor] : st.known_rooms)
    if (name == room)
      return &actor;
  return nullptr;
}

void remember_room(session_actor_ptr self, const std::string& room, const caf::actor& actor) {
  auto& known = self->state.known_rooms;
  if (self->state.joined.count(room))
    return;
  std::erase_if(known, [&](auto& k) { return k.first == room; });
  if (known.size() >= max_known_rooms)
    known.erase(known.begin());
  known.emplace_back(room, actor);
}

void forget_room(session_actor_ptr self, const std::string& room) {
  auto& known = self->state.known_rooms;
  std::erase_if(known, [&](auto& k) { return k.first == room; });
  if (known.empty())
    decltype(self->state.known_rooms){}.swap(known);  // a joined-only session keeps nothing
}

/// Calls `f(room)` with the room's actor: a joined or known one, or the directory's answer;
/// or `on_error` with the directory's error.
template <class OnError, class F>
void with_room(session_actor_ptr self, const std::string& room, OnError on_error, F f) {
  auto& st = self->state;
  if (auto known = known_room(self, room)) {
    auto r = *known;  // a copy: f may change the tables it came from
    f(r);
    return;
  }
  self->request(st.cfg->directory, caf::infinite, get_room_atom::value, room)
    .then(
      [=](caf::actor& r) mutable {
        remember_room(self, room, r);
        f(r);
      },
      on_error);
}

/// Sends `msg` to the room and hands the reply to `on_ok`. A room that stopped since the
/// session learned its actor (idle stop) is looked up again, once.
///
/// The message is built once and shared (a CAF message is reference counted): the lambdas
/// that may need it again for the retry capture it, not the request — capturing `xs...`
/// copied a send's body, room and cid three times per send (perf: string construction in
/// ask_room was the largest caller of malloc on the scheduler thread).
template <class OnOk, class Taken>
void ask_room_with(session_actor_ptr self, const std::string& room, const Taken& t,
                   bool retried, OnOk on_ok, caf::message msg) {
  auto on_error = [=](caf::error& err) { fail(self, t, err); };
  with_room(self, room, on_error, [=, msg = std::move(msg)](caf::actor& r) mutable {
    // Past its deadline the client was told to retry: going on would act on it anyway.
    if (!still_waiting(self, t))
      return;
    if (retried || self->state.joined.count(room)) {
      // No retry can follow, so the message goes without a reference kept here: a room
      // handler taking it by mutable reference, as the only holder, then uses it in place
      // instead of copying it first (copy on write). Sends are read by const reference
      // in the room either way (room.cpp, on_send).
      self->request(r, caf::infinite, std::move(msg)).then(on_ok, on_error);
      return;
    }
    self->request(r, caf::infinite, msg).then(on_ok, [=](caf::error& err) {
      if (!retried && is_receiver_down(err) && !self->state.joined.count(room)) {
        forget_room(self, room);
        ask_room_with(self, room, t, true, on_ok, msg);
        return;
      }
      fail(self, t, err);
    });
  });
}

template <class OnOk, class... Ts>
void ask_room(session_actor_ptr self, const std::string& room, const taken& t, OnOk on_ok,
              Ts&&... xs) {
  ask_room_with(self, room, t, false, std::move(on_ok),
                caf::make_message(std::forward<Ts>(xs)...));
}

void handle(session_actor_ptr self, const taken& t, create_req& r) {
  auto& st = self->state;
  // The server API creates rooms without becoming their member (creator "").
  auto creator = st.cfg->trusted ? std::string{} : st.user;
  self->request(st.cfg->directory, caf::infinite, create_atom::value, creator, r)
    .then(pass_on<ok_create>(self, t), [=](caf::error& err) { fail(self, t, err); });
}

/// The room answered a join (`joined`: it subscribed this session) or it failed.
void join_done(session_actor_ptr self, const std::string& room_id, bool joined,
               const caf::actor& room) {
  auto& st = self->state;
  bool left_meanwhile = false;
  if (auto p = st.joins_pending.find(room_id); p != st.joins_pending.end()) {
    left_meanwhile = p->second.leave;
    if (left_meanwhile && joined && !p->second.leave_sent) {
      // The client left before this answer came: the room sees the leave after the join.
      p->second.leave_sent = true;
      self->send(room, leave_atom::value, self->id());
    }
    if (--p->second.count == 0) {
      st.joins_pending.erase(p);
      if (st.joins_pending.empty())
        st.joins_pending.shrink_to_fit();  // an idle session holds nothing for it
    }
  }
  if (!joined || left_meanwhile || st.joined.count(room_id))
    return;
  forget_room(self, room_id);
  st.joined.emplace(room_id, room);
  self->monitor(room);
}

void handle(session_actor_ptr self, const taken& t, join_req& r) {
  auto& st = self->state;
  auto room_id = r.room;
  // Joins still waiting for the room count too: the room sends the client its `ok` before
  // the session hears back, so the client's next join may come first.
  bool counted = st.joined.count(room_id) || st.joins_pending.count(room_id);
  if (!counted && static_cast<int64_t>(st.joined.size() + st.joins_pending.size())
                    >= st.cfg->max_rooms) {
    settle(self, t);
    answer_error(self, t.id,
                 {error_code::too_large,
                  "joined " + std::to_string(st.cfg->max_rooms) + " rooms: leave one first"});
    return;
  }
  auto& pending = st.joins_pending[room_id];
  ++pending.count;
  pending.leave = false;  // the latest request wins
  pending.leave_sent = false;
  join_args args{st.user, self->id(), st.link, r.since ? *r.since : -1, t.id};
  auto on_error = [=](caf::error& err) {
    join_done(self, room_id, false, {});
    fail(self, t, err);
  };
  with_room(self, room_id, on_error, [=](caf::actor& room) {
    auto room_handle = room;
    self->request(room, caf::infinite, join_atom::value, args)
      .then(
        [=](bool joined) {
          // The room itself sent the `ok`, after the replay; only bookkeeping is left, and
          // it holds even if the deadline passed meanwhile: the room has the subscriber.
          settle(self, t);
          join_done(self, room_id, joined, room_handle);
        },
        on_error);
  });
}

void handle(session_actor_ptr self, const taken& t, leave_req& r) {
  auto& st = self->state;
  auto p = st.joins_pending.find(r.room);
  if (p != st.joins_pending.end()) {
    p->second.leave = true;  // join_done sends the leave after the room's answer
    p->second.leave_sent = false;
  }
  auto i = st.joined.find(r.room);
  if (i != st.joined.end()) {
    self->demonitor(i->second);
    self->send(i->second, leave_atom::value, self->id());
    st.joined.erase(i);
    if (st.joined.empty())
      st.joined.shrink_to_fit();
    if (p != st.joins_pending.end())
      p->second.leave_sent = true;  // this leave reaches the room after the pending join
  }
  if (settle(self, t))
    answer(self, t.id, ok_empty{});
}

void handle(session_actor_ptr self, const taken& t, send_req& r) {
  auto room = r.room;
  ask_room(self, room, t, pass_on<ok_send>(self, t), send_atom::value,
           self->state.user, std::move(r), self->state.cfg->trusted);
}

void handle(session_actor_ptr self, const taken& t, typing_req& r) {
  ask_room(self, r.room, t, plain_ok(self, t), typing_atom::value, self->state.user,
           r.on, self->id());
}

void handle(session_actor_ptr self, const taken& t, read_req& r) {
  ask_room(self, r.room, t, plain_ok(self, t), read_atom::value, self->state.user,
           r.seq, self->id());
}

void handle(session_actor_ptr self, const taken& t, history_req& r) {
  auto room = r.room;
  ask_room(self, room, t, pass_on<ok_history>(self, t), history_atom::value,
           self->state.user, std::move(r));
}

/// edit, delete, react, invite and remove: to the room, which answers with the new seq.
template <class Atom, class Req, class... Ts>
void change_request(session_actor_ptr self, const taken& t, Req& r, Ts... xs) {
  auto room = r.room;
  ask_room(self, room, t, pass_on<ok_send>(self, t), Atom::value, self->state.user,
           std::move(r), xs...);
}

void handle(session_actor_ptr self, const taken& t, edit_req& r) {
  change_request<edit_atom>(self, t, r);
}
void handle(session_actor_ptr self, const taken& t, delete_req& r) {
  change_request<delete_atom>(self, t, r);
}
void handle(session_actor_ptr self, const taken& t, react_req& r) {
  change_request<react_atom>(self, t, r);
}
void handle(session_actor_ptr self, const taken& t, invite_req& r) {
  change_request<invite_atom>(self, t, r, self->state.cfg->trusted);
}
void handle(session_actor_ptr self, const taken& t, remove_req& r) {
  change_request<remove_atom>(self, t, r, self->state.cfg->trusted);
}

void handle(session_actor_ptr self, const taken& t, rooms_req& r) {
  auto& st = self->state;
  self->request(st.reader, caf::infinite, rooms_atom::value, st.user, r.limit)
    .then(pass_on<ok_rooms>(self, t), [=](caf::error& err) { fail(self, t, err); });
}

void handle(session_actor_ptr self, const taken& t, presence_req& r) {
  auto& st = self->state;
  self->request(st.cfg->presence, caf::infinite, presence_atom::value, std::move(r.users))
    .then(pass_on<ok_presence>(self, t), [=](caf::error& err) { fail(self, t, err); });
}

// auth and ping never reach a session: the connection answers them.
void handle(session_actor_ptr self, const taken& t, auth_req&) {
  settle(self, t);
}
void handle(session_actor_ptr self, const taken& t, ping_req&) {
  if (settle(self, t))
    answer(self, t.id, pong{});
}

/// Checks rate, load and the request's own fields; answers and returns false if refused.
/// `now`: the actor clock's reading when the session took the batch the request came in.
template <class Req>
bool admit(session_actor_ptr self, const request_id& id, const Req& r,
           caf::actor_clock::time_point now) {
  auto& st = self->state;
  if (st.cfg->limiter)
    if (auto wait = st.cfg->limiter->take(st.user, now)) {
      global_metrics().rate_limited.inc();
      answer_error(self, id, {error_code::rate_limited, "too many requests", *wait});
      return false;
    }
  if (st.in_flight >= st.cfg->max_requests_in_flight) {
    answer_error(self, id, {error_code::rate_limited, "too many requests in flight", 100});
    return false;
  }
  if constexpr (!std::is_same_v<Req, auth_req> && !std::is_same_v<Req, ping_req>) {
    if (auto e = validate(r, st.cfg->limits)) {
      answer_error(self, id, *e);
      return false;
    }
  }
  return true;
}

/// When the session takes requests off its queue: by the wall's steady clock for the
/// queue-wait histogram (the connection's stamp is one), by the actor's clock for the
/// deadline (the test coordinator's clock in unit tests).
struct take_time {
  std::chrono::steady_clock::time_point steady;
  caf::actor_clock::time_point actor;

  static take_time now(session_actor_ptr self) {
    return {std::chrono::steady_clock::now(), self->clock().now()};
  }
};

/// Admits a client request (or refuses it with an answer) and opens its deadline.
std::optional<taken> open(session_actor_ptr self, inbound& in, const take_time& now) {
  auto& m = global_metrics();
  m.requests.inc();
  if (in.received != std::chrono::steady_clock::time_point{})
    m.request_queue.observe(std::chrono::duration<double>(now.steady - in.received).count());
  return std::visit(
    [&](auto& req) -> std::optional<taken> {
      auto& st = self->state;
      if (!admit(self, in.id, req, now.actor)) {
        if (in.lane)
          st.link->lane_done();
        return std::nullopt;
      }
      ++st.in_flight;
      auto deadline = now.actor + st.cfg->request_timeout;
      taken t{in.id, st.deadlines.open(in.id, deadline, in.lane), in.lane};
      schedule_sweep(self);
      return t;
    },
    in.req);
}

/// Takes a client request: admits it, opens its deadline and handles it.
void take(session_actor_ptr self, inbound& in, const take_time& now) {
  if (auto t = open(self, in, now))
    std::visit([&](auto& req) { handle(self, *t, req); }, in.req);
}

/// Consecutive sends of one read to one room, admitted and waiting to be asked together.
struct send_group {
  std::string room;
  std::vector<taken> tickets;
  std::vector<send_req> reqs;
};

/// Asks the room for the group's sends in one message (one alone goes as usual), and
/// answers each from the room's one reply. Perf, 200 rooms x 10, a publisher's read
/// carrying ~60 sends: a request and a response per send were most of the actor messages.
void ask_room_sends(session_actor_ptr self, send_group& g) {
  if (g.reqs.size() == 1)
    handle(self, g.tickets.front(), g.reqs.front());
  if (g.reqs.size() <= 1) {
    g = {};
    return;
  }
  auto ts = std::make_shared<const std::vector<taken>>(std::move(g.tickets));
  auto on_ok = [=](std::vector<send_outcome>& outs) {
    for (size_t i = 0; i < ts->size(); ++i) {
      auto& t = (*ts)[i];
      if (!settle(self, t))
        continue;
      if (i >= outs.size())  // (never: the room answers every send)
        answer_error(self, t.id, {error_code::internal, "the room lost a send"});
      else if (outs[i].err)
        answer_error(self, t.id, to_error_info(outs[i].err));
      else
        answer(self, t.id, std::move(outs[i].ok));
    }
  };
  auto room = std::move(g.room);
  ask_room_with(self, room, ts, false, on_ok,
                caf::make_message(send_batch_atom::value, self->state.user, std::move(g.reqs),
                                  self->state.cfg->trusted));
  g = {};
}

/// Takes the requests of one read in order; runs of sends to one room go together.
void take_batch(session_actor_ptr self, inbound_batch& batch) {
  auto now = take_time::now(self);  // (read once for the lot)
  send_group group;
  for (auto& in : batch.requests) {
    auto send = std::get_if<send_req>(&in.req);
    if (!group.reqs.empty() && (!send || send->room != group.room))
      ask_room_sends(self, group);
    if (!send) {
      take(self, in, now);
      continue;
    }
    if (auto t = open(self, in, now)) {
      if (group.reqs.empty())
        group.room = send->room;
      group.tickets.push_back(*t);
      group.reqs.push_back(std::move(*send));
    }
  }
  ask_room_sends(self, group);
}

}  // namespace

caf::behavior session_actor(session_actor_ptr self, std::string user, link_ptr link,
                            std::shared_ptr<const session_config> cfg, caf::actor reader) {
  auto& st = self->state;
  st.user = std::move(user);
  st.link = std::move(link);
  st.cfg = std::move(cfg);
  st.reader = std::move(reader);
  // `online` for presence was sent by broker::spawn_session, before this ran.
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
    [=](sweep_atom) { sweep(self); },
    [=](inbound& in) { take(self, in, take_time::now(self)); },
    [=](inbound_batch& batch) { take_batch(self, batch); },
  };
}

}  // namespace parley::actors
