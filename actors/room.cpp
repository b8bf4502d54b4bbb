#include "actors/room.hpp"

#include <algorithm>
#include <unordered_map>

#include "actors/delivery_batch.hpp"
#include "actors/errors.hpp"
#include "actors/metrics.hpp"
#include "actors/room_ops.hpp"

namespace parley::actors {

// -- shared with room_changes.cpp (room_ops.hpp) --------------------------------------------

namespace room_ops {

caf::error not_a_member() {
  return make_error(error_code::forbidden, "not a member of this room");
}

/// Refuses writes while the room cannot take them; `none` when it can.
caf::error refuse_write(room_state& st) {
  switch (st.current) {
    case room_state::mode::ready:
      break;
    case room_state::mode::draining:
      return make_error(error_code::unavailable, "server shutting down; retry elsewhere");
    default:
      return make_error(error_code::unavailable, "room is recovering from a storage failure");
  }
  if (static_cast<int64_t>(st.in_flight.size()) >= st.cfg.max_in_flight)
    return make_error(error_code::unavailable, "room write backlog full; retry");
  if (st.cfg.writer_backlog->load(std::memory_order_relaxed) >= st.cfg.max_writer_backlog)
    return make_error(error_code::unavailable, "storage backlog full; retry");
  return caf::none;
}

void hand_to_writer(room_actor_ptr self, pending_write write, in_flight_write w) {
  auto& st = self->state;
  if (w.accepted == std::chrono::steady_clock::time_point{})
    w.accepted = std::chrono::steady_clock::now();
  st.cfg.writer_backlog->fetch_add(1, std::memory_order_relaxed);
  // The event travels to the writer and comes back with the commit instead of being copied
  // (a message's body, sender, cid, room and meta: an allocation each). The rest is small
  // and stays here for the answer.
  w.is_event = write.is_event;
  w.read = write.read;
  w.members = write.members;
  if (st.outbox.empty())
    st.outbox.reserve(st.outbox_hint);
  st.outbox.push_back(std::move(write));
  if (!st.outbox_scheduled) {
    st.outbox_scheduled = true;
    self->send(self, outbox_atom::value);
  }
  st.in_flight.push_back(std::move(w));
}

void send_outbox(room_actor_ptr self) {
  auto& st = self->state;
  if (st.outbox.empty())
    return;
  // Capped: one burst must not make every later hand-over reserve as much.
  st.outbox_hint = std::min<size_t>(st.outbox.size(), 256);
  self->send(st.writer, append_atom::value, st.id, std::move(st.outbox));
  st.outbox = {};
}

void schedule_idle_check(room_actor_ptr self) {
  auto& st = self->state;
  if (!st.idle() || st.idle_check_scheduled || st.current == room_state::mode::loading)
    return;
  st.idle_check_scheduled = true;
  self->delayed_send(self, st.cfg.idle_timeout, idle_atom::value);
}

}  // namespace room_ops

namespace {

using namespace room_ops;

using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr milliseconds max_resync_backoff{5'000};
constexpr milliseconds missing_room_linger{1'000};

void touch(room_actor_ptr self) {
  self->state.last_activity = self->clock().now();
}

// -- idle stop --------------------------------------------------------------------------------

void stop_room(room_actor_ptr self) {
  // Tell the directory first, so it stops handing out this actor; a session that already
  // holds the handle gets request_receiver_down and asks the directory again.
  self->send(self->state.directory, stopping_atom::value, self->state.id);
  self->quit();
}

void on_idle_check(room_actor_ptr self) {
  auto& st = self->state;
  st.idle_check_scheduled = false;
  if (!st.idle())
    return;
  auto quiet = self->clock().now() - st.last_activity;
  if (quiet >= st.cfg.idle_timeout) {
    stop_room(self);
    return;
  }
  st.idle_check_scheduled = true;
  self->delayed_send(self, duration_cast<milliseconds>(st.cfg.idle_timeout - quiet) + milliseconds{1},
                     idle_atom::value);
}

// -- drain (graceful shutdown) ----------------------------------------------------------------

void settle_drain(room_actor_ptr self) {
  auto& st = self->state;
  if (!st.in_flight.empty())
    return;
  for (auto& rp : st.drain_waiting)
    rp.deliver(caf::unit);
  st.drain_waiting.clear();
}

// -- commits ----------------------------------------------------------------------------------

// -- conversation lists ------------------------------------------------------------------------

/// Adds a member's conversation-list line to `n`: made here when the room has seen all of
/// the member's unread messages, else left to the reader (`ask`).
void add_line(room_state& st, conversation_notice& n, const std::string& user,
              const storage::member& m) {
  if (st.lines.knows_last() && st.lines.can_count(m.read_seq))
    n.lines.emplace_back(user, st.lines.unread(user, m.read_seq));
  else
    n.ask.push_back(user);
}

/// Sends presence the lines of `n`, with the latest message if any line was made here.
void send_lines(room_actor_ptr self, conversation_notice n) {
  auto& st = self->state;
  if (!n.lines.empty())
    n.last = st.lines.last();
  self->send(st.cfg.presence, room_atom::value, std::move(n));
}

/// Every member's line (the log grew).
void send_notice(room_actor_ptr self) {
  auto& st = self->state;
  st.last_notice = self->clock().now();
  conversation_notice n{st.id, st.head, std::nullopt, {}, {}};
  n.lines.reserve(st.members.size());
  for (auto& [user, m] : st.members)
    add_line(st, n, user, m);
  send_lines(self, std::move(n));
}

/// One member's line (their read marker moved), for their other sessions.
void send_line_of(room_actor_ptr self, const std::string& user) {
  auto& st = self->state;
  auto m = st.members.find(user);
  if (m == st.members.end())
    return;
  conversation_notice n{st.id, st.head, std::nullopt, {}, {}};
  add_line(st, n, user, m->second);
  send_lines(self, std::move(n));
}

/// The log grew: members' conversation lists need a `room` event, at most one a second per
/// room (so per session too); a notice sent after the pause reflects the latest state.
void notify_conversations(room_actor_ptr self) {
  auto& st = self->state;
  if (!st.cfg.presence || st.notice_pending)
    return;
  auto since = self->clock().now() - st.last_notice;
  if (since >= std::chrono::seconds{1}) {
    send_notice(self);
    return;
  }
  st.notice_pending = true;
  self->delayed_send(self, duration_cast<milliseconds>(std::chrono::seconds{1} - since),
                     notice_atom::value);
}

/// Records a committed event: head, idempotency cache, resume tail. Returns it shared, for
/// the fan-out. `cid`: the event's entry, when it was sent from this room (else one is
/// made here).
/// `at`: the moment of the commit (delivery latency counts from it).
event_ptr record_committed(room_actor_ptr self, storage::event ev,
                           std::chrono::steady_clock::time_point at,
                           cid_table::handle cid = cid_table::none) {
  auto& st = self->state;
  st.head = std::max(st.head, ev.seq);
  st.last_ts = std::max(st.last_ts, ev.ts);
  if (ev.kind == storage::event_kind::msg && !ev.cid.empty()) {
    if (cid != cid_table::none)
      st.commit_cid(cid, {ev.seq, ev.ts});
    else
      st.remember_cid(ev.sender, ev.cid, {ev.seq, ev.ts});
  } else if (cid != cid_table::none) {
    st.forget_cid(cid);
  }
  auto ptr = make_event(std::move(ev), at);
  st.append_tail(ptr);
  st.lines.add(ptr);
  return ptr;
}

/// Records a committed event and pushes it to the subscribers.
void publish_committed(room_actor_ptr self, storage::event ev) {
  self->state.broadcast(record_committed(self, std::move(ev), std::chrono::steady_clock::now()));
}

/// `events`: the committed events, in order, back from the writer (the in-flight writes
/// of events hold none: hand_to_writer moved them there).
void on_committed(room_actor_ptr self, uint64_t count, std::vector<storage::event>& events) {
  auto& st = self->state;
  size_t next_event = 0;
  // A group commit of many events wakes each I/O thread once, so every connection gets all
  // of them in one write (one send system call instead of one per event). The events go
  // to each connection in one call too (`fresh`), flushed before anything that must come
  // after them: a read event, or a membership change that unsubscribes a removed member
  // who must still see their `member` event.
  delivery_batch batch;
  std::vector<event_ptr> fresh;
  auto flush_fresh = [&] {
    st.broadcast_all(fresh);
    fresh.clear();
  };
  uint64_t committed = 0;
  histogram_batch ack_latency{global_metrics().ack_latency};
  auto committed_at = std::chrono::steady_clock::now();  // one commit, one moment
  for (uint64_t i = 0; i < count && !st.in_flight.empty(); ++i) {
    auto w = std::move(st.in_flight.front());
    st.in_flight.pop_front();
    ack_latency.observe(std::chrono::duration<double>(committed_at - w.accepted).count());
    if (w.is_event) {
      if (next_event == events.size()) {
        // Cannot happen (the writer returns every event it committed, in order); if it
        // did, the sender hears of it and may retry, rather than waiting forever.
        if (w.cid != cid_table::none)
          st.forget_cid(w.cid);
        for (auto& rp : w.waiting)
          rp.deliver(make_error(error_code::internal, "commit lost its event"));
        continue;
      }
      auto& ev = events[next_event++];
      ++committed;
      ok_send ok{st.id, ev.seq, ev.ts};
      fresh.push_back(record_committed(self, std::move(ev), committed_at, w.cid));
      if (!w.members.empty()) {
        flush_fresh();
        apply_member_changes(self, w.members);  // after the event reached everyone
      }
      for (auto& rp : w.waiting)
        rp.deliver(ok);
    } else {
      flush_fresh();
      auto& r = w.read;
      st.broadcast(make_event(read_event{st.id, r.user, r.seq}), w.origin_session);
      // The reader's other sessions (another tab, the phone) see the unread count fall.
      if (st.cfg.presence)
        send_line_of(self, r.user);
      for (auto& rp : w.waiting)
        rp.deliver(caf::unit);
    }
  }
  flush_fresh();
  if (committed > 0) {
    global_metrics().events_committed.inc(committed);
    notify_conversations(self);
  }
  schedule_idle_check(self);
  settle_drain(self);
}

void start_resync(room_actor_ptr self);

/// A batch failed: every write in flight fails (or, for a cid the database already had,
/// succeeds with the original seq), and the room re-reads its head before new writes, so
/// `seq` never gets a gap or a duplicate (DESIGN step 6).
void on_failed(room_actor_ptr self, const storage::error& err,
               const std::vector<storage::event>& duplicates) {
  auto& st = self->state;
  std::unordered_map<std::string, stored_send> originals;
  for (auto& d : duplicates)
    originals[room_state::cid_key(d.sender, d.cid)] = {d.seq, d.ts};
  auto failure = make_error(error_code::unavailable,
                            std::string{"storage write failed ("} + storage::to_string(err.code) +
                              "); retry with the same cid");
  for (auto& w : st.in_flight) {
    auto original = w.cid == cid_table::none ? originals.end()
                                              : originals.find(std::string{st.cids.key(w.cid)});
    if (original != originals.end()) {
      auto sent = original->second;
      st.commit_cid(w.cid, sent);
      for (auto& rp : w.waiting)
        rp.deliver(ok_send{st.id, sent.seq, sent.ts});
      continue;
    }
    if (w.cid != cid_table::none)
      st.forget_cid(w.cid);
    for (auto& rp : w.waiting)
      rp.deliver(failure);
  }
  st.in_flight.clear();
  // Writes not yet handed over were failed above with the rest: they never go.
  st.cfg.writer_backlog->fetch_sub(static_cast<int64_t>(st.outbox.size()),
                                   std::memory_order_relaxed);
  st.outbox.clear();
  st.membership_in_flight.clear();
  st.current = room_state::mode::recovering;
  st.next_seq = st.head + 1;
  start_resync(self);
}

void start_resync(room_actor_ptr self) {
  auto& st = self->state;
  send_outbox(self);
  self->request(st.writer, st.cfg.storage_timeout, resync_atom::value, st.id, st.head)
    .then(
      [=](resync_result& r) {
        auto& st = self->state;
        for (auto& ev : r.missed)
          if (ev.seq == st.head + 1)
            publish_committed(self, std::move(ev));
        if (!r.missed.empty())
          notify_conversations(self);
        st.head = std::max(st.head, r.head);
        st.lines.catch_up(st.head);
        st.next_seq = st.head + 1;
        st.resync_backoff = milliseconds{100};
        if (st.current == room_state::mode::recovering)
          st.current = room_state::mode::ready;
        schedule_idle_check(self);
        settle_drain(self);
      },
      [=](caf::error&) {
        // Storage is still out of reach: try again later, backing off up to a cap.
        auto& st = self->state;
        self->delayed_send(self, st.resync_backoff, resync_atom::value);
        st.resync_backoff = std::min(st.resync_backoff * 2, max_resync_backoff);
      });
}

// -- requests ---------------------------------------------------------------------------------

/// `trusted`: the application's backend (server API) publishing as anyone, member or not.
/// `req` is read, not moved from: a session that sends without joining keeps the message
/// for a retry, and a handler taking it by mutable reference makes CAF copy the whole
/// message first (copy on write: the tuple, its type-erased elements and every string,
/// ~10 allocations per send; heaptrack, closed loop 200 rooms x 10). The event copies just
/// its strings, most of them short enough to need no allocation.
caf::result<void> on_read(room_actor_ptr self, const std::string& user, int64_t seq,
                          uint64_t session) {
  auto& st = self->state;
  auto m = st.members.find(user);
  if (m == st.members.end())
    return not_a_member();
  seq = std::min(seq, st.head);  // markers never point past the log
  if (seq <= m->second.read_seq)
    return caf::unit;  // markers only move forward
  if (auto err = refuse_write(st))
    return err;
  m->second.read_seq = seq;
  pending_write write;
  write.is_event = false;
  write.read = storage::read_marker{user, seq};
  in_flight_write w;
  w.origin_session = session;
  auto rp = self->make_response_promise();
  w.waiting.push_back(rp);
  hand_to_writer(self, std::move(write), std::move(w));
  return rp;
}

caf::result<ok_history> on_history(room_actor_ptr self, const std::string& user,
                                   history_req& req) {
  auto& st = self->state;
  if (!st.is_member(user))
    return not_a_member();
  storage::history_query q{st.id, req.before, req.after, req.limit};
  auto rp = self->make_response_promise();
  self->request(st.reader, st.cfg.storage_timeout, history_atom::value, std::move(q))
    .then([=](ok_history& h) mutable { rp.deliver(std::move(h)); },
          [=](caf::error& err) mutable {
            rp.deliver(make_error(error_code::unavailable, "could not read history"));
          });
  return rp;
}

// -- behaviors --------------------------------------------------------------------------------

caf::behavior ready_behavior(room_actor_ptr self) {
  return {
    [=](send_atom, const std::string& user, const send_req& req) -> caf::result<ok_send> {
      touch(self);
      return on_send(self, user, req, false);
    },
    [=](send_atom, const std::string& user, const send_req& req, bool trusted) {
      touch(self);
      return on_send(self, user, req, trusted);
    },
    [=](send_batch_atom, const std::string& user, const std::vector<send_req>& reqs,
        bool trusted) -> caf::result<std::vector<send_outcome>> {
      touch(self);
      return on_send_batch(self, user, reqs, trusted);
    },
    [=](join_atom, join_args& args) -> caf::result<bool> {
      touch(self);
      return on_join(self, args);
    },
    [=](outbox_atom) {
      self->state.outbox_scheduled = false;
      send_outbox(self);
    },
    [=](leave_atom, uint64_t session) {
      touch(self);
      unsubscribe(self, session);
    },
    [=](typing_atom, const std::string& user, bool on, uint64_t session) -> caf::result<void> {
      touch(self);
      auto& st = self->state;
      if (!st.is_member(user))
        return not_a_member();
      // To everyone else in the room: not back to any connection of the typing user.
      global_metrics().ephemeral_events.inc();
      st.broadcast(make_event(typing_event{st.id, user, on}), session, user);
      return caf::unit;
    },
    [=](read_atom, const std::string& user, int64_t seq, uint64_t session) {
      touch(self);
      return on_read(self, user, seq, session);
    },
    [=](history_atom, const std::string& user, history_req& req) {
      touch(self);
      return on_history(self, user, req);
    },
    [=](edit_atom, const std::string& user, edit_req& req) {
      touch(self);
      return on_edit(self, user, req);
    },
    [=](delete_atom, const std::string& user, delete_req& req) {
      touch(self);
      return on_delete(self, user, req);
    },
    [=](react_atom, const std::string& user, react_req& req) {
      touch(self);
      return on_react(self, user, req);
    },
    [=](invite_atom, const std::string& user, invite_req& req, bool trusted) {
      touch(self);
      return on_invite(self, user, req, trusted);
    },
    [=](remove_atom, const std::string& user, remove_req& req, bool trusted) {
      touch(self);
      return on_remove(self, user, req, trusted);
    },
    [=](committed_atom, const std::string&, uint64_t count, std::vector<storage::event>& evs) {
      on_committed(self, count, evs);
    },
    [=](failed_atom, const std::string&, const storage::error& err,
        const std::vector<storage::event>& dups) { on_failed(self, err, dups); },
    [=](resync_atom) { start_resync(self); },
    [=](notice_atom) {
      self->state.notice_pending = false;
      send_notice(self);
    },
    [=](idle_atom) { on_idle_check(self); },
    [=](drain_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.current == room_state::mode::ready)
        st.current = room_state::mode::draining;
      if (st.in_flight.empty())
        return caf::unit;
      auto rp = self->make_response_promise();
      st.drain_waiting.push_back(rp);
      return rp;
    },
  };
}

void install(room_actor_ptr self, room_snapshot& snap) {
  auto& st = self->state;
  st.record = std::move(snap.record);
  for (auto& m : st.record.members)
    st.members[m.user] = m;
  st.head = st.record.head_seq;
  st.next_seq = st.head + 1;
  std::vector<event_ptr> loaded;
  loaded.reserve(snap.tail.size());
  for (auto& ev : snap.tail) {
    st.last_ts = std::max(st.last_ts, ev.ts);
    if (ev.kind == storage::event_kind::msg && !ev.cid.empty())
      st.remember_cid(ev.sender, ev.cid, {ev.seq, ev.ts});
    loaded.push_back(make_event(std::move(ev)));
    st.append_tail(loaded.back());
  }
  st.lines.start(st.head, loaded);
  st.current = room_state::mode::ready;
}

/// Behaviour of an actor whose room does not exist: every request gets not_found until the
/// directory forgets it (or a `create` replaces it).
void become_missing(room_actor_ptr self) {
  self->set_default_handler([](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
    return make_error(error_code::not_found, "no such room");
  });
  self->become([=](idle_atom) { stop_room(self); });
  self->delayed_send(self, missing_room_linger, idle_atom::value);
}

}  // namespace

caf::behavior room_actor(room_actor_ptr self, std::string id, room_config cfg, caf::actor writer,
                         caf::actor reader, caf::actor directory) {
  auto& st = self->state;
  st.id = std::move(id);
  st.cfg = std::move(cfg);
  st.writer = std::move(writer);
  st.reader = std::move(reader);
  st.directory = std::move(directory);
  global_metrics().rooms_active.add();
  self->attach_functor([] { global_metrics().rooms_active.sub(); });
  touch(self);
  self->set_down_handler([=](caf::down_msg& dm) { on_session_down(self, dm.source); });
  // Until the room is loaded, requests wait in the mailbox (skipped, then re-examined).
  self->set_default_handler(caf::skip);
  self->request(st.reader, st.cfg.storage_timeout, load_atom::value, st.id, st.cfg.tail_events)
    .then(
      [=](room_snapshot& snap) {
        if (!snap.found) {
          become_missing(self);
          return;
        }
        install(self, snap);
        self->set_default_handler(caf::print_and_drop);
        self->become(ready_behavior(self));
        schedule_idle_check(self);
      },
      [=](caf::error& err) {
        // Storage is out of reach: stop; waiting requesters get request_receiver_down, which
        // sessions report as `unavailable` (retryable).
        stop_room(self);
      });
  return {[=](idle_atom) {}};
}

}  // namespace parley::actors
