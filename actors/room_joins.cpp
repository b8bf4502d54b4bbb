// The room's subscriptions: joins (subscribing a session and replaying what it missed,
// from the room's tail in memory or from storage, as one ordered stream with the live
// events), leaves, and the end of a subscribed session.
#include <algorithm>

#include "actors/errors.hpp"
#include "actors/metrics.hpp"
#include "actors/room_ops.hpp"

namespace parley::actors::room_ops {
namespace {

ok_join make_join_ok(const room_state& st) {
  ok_join ok;
  ok.room = st.id;
  ok.head = st.head;
  if (st.members.size() <= 100) {
    ok.has_reads = true;
    for (auto& [user, m] : st.members)
      ok.reads.emplace_back(user, m.read_seq);
    std::sort(ok.reads.begin(), ok.reads.end());
  }
  return ok;
}

/// Finishes a join whose replay came from storage: replay, the `ok`, then the live events
/// that arrived meanwhile, skipping any the replay already covered.
void finish_stored_replay(room_actor_ptr self, uint64_t session, uint64_t generation,
                          int64_t since, ok_join ok, const std::vector<storage::event>& evs,
                          caf::response_promise rp) {
  auto& st = self->state;
  auto it = st.subscribers.find(session);
  if (it == st.subscribers.end() || it->second.generation != generation) {
    rp.deliver(false);  // left or re-joined meanwhile
    return;
  }
  auto& sub = it->second;
  int64_t last = since;
  for (auto& e : evs)
    if (e.seq == last + 1 && e.seq <= ok.head) {
      sub.link->deliver(make_event(e));
      last = e.seq;
    }
  for (auto& t : st.tail)  // storage may lag the tail by a commit: fill from memory
    if (t->seq() == last + 1 && t->seq() <= ok.head) {
      sub.link->deliver(t);
      last = t->seq();
    }
  ok.replayed = last - since;
  sub.link->send_reply(reply{sub.join_id, std::move(ok)});
  uint64_t delivered = static_cast<uint64_t>(ok.replayed);
  for (auto& h : sub.held)
    if (h->seq() == 0 || h->seq() > last) {
      sub.link->deliver(h);
      ++delivered;
    }
  global_metrics().deliveries.inc(delivered);  // (held events were not counted when held)
  sub.held.clear();
  sub.holding = false;
  rp.deliver(true);
}

}  // namespace

caf::result<bool> on_join(room_actor_ptr self, join_args& args) {
  auto& st = self->state;
  if (!st.is_member(args.user))
    return not_a_member();
  auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  auto [it, fresh] = st.subscribers.try_emplace(args.session_id);
  auto& sub = it->second;
  if (fresh && sender)
    self->monitor(sender);
  sub.user = args.user;
  sub.link = args.link;
  sub.session = sender;
  sub.join_id = args.id;
  sub.holding = false;
  sub.held.clear();
  ++sub.generation;

  auto ok = make_join_ok(st);
  auto since = args.since;
  if (since < 0 || since >= st.head) {
    sub.link->send_reply(reply{args.id, std::move(ok)});
    return true;
  }
  if (st.head - since > st.cfg.replay_max) {
    ok.gap = true;
    sub.link->send_reply(reply{args.id, std::move(ok)});
    return true;
  }
  if (!st.tail.empty() && st.tail.front()->seq() <= since + 1) {
    for (auto& ev : st.tail)
      if (ev->seq() > since) {
        sub.link->deliver(ev);
        ++ok.replayed;
      }
    global_metrics().deliveries.inc(static_cast<uint64_t>(ok.replayed));
    sub.link->send_reply(reply{args.id, std::move(ok)});
    return true;
  }
  // Older than the tail: replay from storage while live events wait for this subscriber.
  sub.holding = true;
  auto rp = self->make_response_promise();
  auto session = args.session_id;
  auto generation = sub.generation;
  self->request(st.reader, st.cfg.storage_timeout, replay_atom::value, st.id, since,
                st.head - since)
    .then(
      [=](std::vector<storage::event>& evs) {
        finish_stored_replay(self, session, generation, since, ok, evs, rp);
      },
      [=](caf::error& err) mutable {
        auto& st = self->state;
        auto i = st.subscribers.find(session);
        if (i != st.subscribers.end() && i->second.generation == generation)
          st.subscribers.erase(i);
        rp.deliver(make_error(error_code::unavailable, "could not read the room's history"));
        schedule_idle_check(self);
      });
  return rp;
}

void unsubscribe(room_actor_ptr self, uint64_t session) {
  auto& st = self->state;
  if (auto i = st.subscribers.find(session); i != st.subscribers.end()) {
    // No down message for a session that is no longer here (each would be a scan in
    // on_session_down), and no second monitor on it if it joins again.
    if (i->second.session)
      self->demonitor(i->second.session);
    st.subscribers.erase(i);
  }
  schedule_idle_check(self);
}

void on_session_down(room_actor_ptr self, const caf::actor_addr& session) {
  auto& st = self->state;
  // Subscribers are keyed by their session's id: found at once. A scan over all of them
  // per down made a mass disconnect quadratic in the room's size (18,000 connections
  // leaving 100 rooms at once: actor_addr::compare was 20 % of the broker's CPU). The
  // scan stays for a session found under another key (sessions that leave are no longer
  // monitored, see unsubscribe).
  if (auto i = st.subscribers.find(session.id());
      i != st.subscribers.end() && i->second.session == session) {
    st.subscribers.erase(i);
  } else {
    for (auto j = st.subscribers.begin(); j != st.subscribers.end();)
      j = j->second.session == session ? st.subscribers.erase(j) : std::next(j);
  }
  schedule_idle_check(self);
}

}  // namespace parley::actors::room_ops
