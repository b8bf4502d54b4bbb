#include "actors/presence.hpp"

#include "actors/errors.hpp"
#include "actors/metrics.hpp"

namespace parley::actors {
namespace {

/// Beyond this many remembered last_seen values the cache starts over (the database has
/// them all).
constexpr size_t max_cached_last_seen = 100'000;

void remember_last_seen(presence_state& st, const std::string& user, int64_t ts) {
  if (st.last_seen.size() >= max_cached_last_seen)
    st.last_seen.clear();
  st.last_seen[user] = ts;
}

/// Pushes a presence change to every session watching the user.
void announce(presence_actor_ptr self, const presence_entry& entry) {
  auto& st = self->state;
  auto w = st.watchers.find(entry.user);
  if (w == st.watchers.end())
    return;
  auto ev = make_event(entry);
  for (auto& session : w->second)
    if (auto s = st.sessions.find(session); s != st.sessions.end())
      s->second.link->deliver(ev);
}

void forget_watches(presence_state& st, const caf::actor_addr& session) {
  auto i = st.watching.find(session);
  if (i == st.watching.end())
    return;
  for (auto& user : i->second) {
    auto w = st.watchers.find(user);
    if (w != st.watchers.end() && (w->second.erase(session), w->second.empty()))
      st.watchers.erase(w);
  }
  st.watching.erase(i);
}

/// A timer for the first grace period to end, unless one is pending or none runs.
void arm_grace_timer(presence_actor_ptr self) {
  auto& st = self->state;
  if (st.grace_timer || st.grace_periods.empty())
    return;
  st.grace_timer = true;
  auto wait = st.grace_periods.front().ends - self->clock().now();
  self->delayed_send(self, std::max(wait, decltype(wait){0}), offline_atom::value);
}

void session_gone(presence_actor_ptr self, const caf::actor_addr& session) {
  auto& st = self->state;
  forget_watches(st, session);
  auto i = st.sessions.find(session);
  if (i == st.sessions.end())
    return;
  auto user = i->second.user;
  st.sessions.erase(i);
  global_metrics().sessions.set(static_cast<int64_t>(st.sessions.size()));
  auto o = st.online.find(user);
  if (o == st.online.end())
    return;
  std::erase(o->second, session);
  if (!o->second.empty())
    return;
  st.online.erase(o);
  // The last session is gone: offline only if none comes back within the grace period.
  auto gen = ++st.generation;
  st.going_offline[user] = gen;
  st.grace_periods.push_back({self->clock().now() + st.cfg.grace, user, gen});
  arm_grace_timer(self);
}

/// Ends the grace periods that are over: offline for each user who did not come back, and
/// their last_seen to the writer in one message.
void end_grace_periods(presence_actor_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto wall = st.cfg.now_ms();
  std::vector<storage::user_seen> seen;
  while (!st.grace_periods.empty() && st.grace_periods.front().ends <= now) {
    auto g = std::move(st.grace_periods.front());
    st.grace_periods.pop_front();
    auto i = st.going_offline.find(g.user);
    if (i == st.going_offline.end() || i->second != g.generation)
      continue;  // came back meanwhile
    st.going_offline.erase(i);
    remember_last_seen(st, g.user, wall);
    announce(self, {g.user, false, wall});
    seen.push_back(storage::user_seen{std::move(g.user), wall});
  }
  if (!seen.empty())
    self->send(st.writer, seen_atom::value, std::move(seen));
}

presence_entry entry_of(const presence_state& st, const std::string& user, int64_t now) {
  if (st.is_online(user))
    return {user, true, now};
  auto i = st.last_seen.find(user);
  return {user, false, i == st.last_seen.end() ? 0 : i->second};
}

/// Pushes a conversation-list line to each of a user's sessions.
void tell_sessions(presence_state& st, const std::vector<caf::actor_addr>& sessions,
                   room_update line) {
  auto ev = make_event(std::move(line));
  for (auto& session : sessions)
    if (auto e = st.sessions.find(session); e != st.sessions.end())
      e->second.link->deliver(ev);
}

/// The lines of those of `members` who are connected, from storage: a room that has not
/// seen their unread messages (their read marker is older than what it loaded).
void lines_from_storage(presence_actor_ptr self, const std::string& room,
                        const std::vector<std::string>& members) {
  auto& st = self->state;
  std::vector<std::string> here;
  for (auto& m : members)
    if (st.online.count(m))
      here.push_back(m);
  if (here.empty())
    return;
  auto& asked = st.lines_asked[room];
  ++asked.pending;
  auto sent_at = asked.clock;
  // Called with the answer, or without one (an error): a missed list update is repaired
  // by the next one.
  auto settle = [=](std::vector<storage::room_summary>* summaries) {
    auto& st = self->state;
    auto a = st.lines_asked.find(room);
    if (a == st.lines_asked.end())
      return;  // cannot happen: the entry lives while this request does
    for (size_t i = 0; summaries != nullptr && i < summaries->size() && i < here.size(); ++i) {
      auto o = st.online.find(here[i]);
      if (o == st.online.end())
        continue;
      if (auto m = a->second.made.find(here[i]); m != a->second.made.end() && m->second > sent_at)
        continue;  // the room made a newer line for them meanwhile
      auto& s = (*summaries)[i];
      if (s.room.empty())
        continue;  // no longer a member
      tell_sessions(st, o->second, room_update{s.room, s.head, s.unread, s.last});
    }
    if (--a->second.pending == 0)
      st.lines_asked.erase(a);
  };
  self->request(st.reader, st.cfg.storage_timeout, summaries_atom::value, room, here)
    .then([=](std::vector<storage::room_summary>& summaries) { settle(&summaries); },
          [=](caf::error&) { settle(nullptr); });
}

}  // namespace

caf::behavior presence_actor(presence_actor_ptr self, presence_config cfg, caf::actor writer,
                             caf::actor reader) {
  self->state.cfg = std::move(cfg);
  self->state.writer = std::move(writer);
  self->state.reader = std::move(reader);
  self->set_down_handler([=](caf::down_msg& dm) { session_gone(self, dm.source); });
  return {
    [=](online_atom, const std::string& user, link_ptr link) {
      auto& st = self->state;
      auto session = caf::actor_cast<caf::actor_addr>(self->current_sender());
      if (!session || st.sessions.count(session))
        return;
      bool was_online = st.is_online(user);
      st.sessions.emplace(session, presence_state::session_entry{user, std::move(link)});
      st.online[user].push_back(session);
      st.going_offline.erase(user);  // back within the grace period: no flap
      global_metrics().sessions.set(static_cast<int64_t>(st.sessions.size()));
      self->monitor(session);
      if (!was_online)
        announce(self, {user, true, st.cfg.now_ms()});
    },
    [=](offline_atom) {
      self->state.grace_timer = false;
      end_grace_periods(self);
      arm_grace_timer(self);
    },
    [=](presence_atom, const std::vector<std::string>& users) -> caf::result<ok_presence> {
      auto& st = self->state;
      auto session = caf::actor_cast<caf::actor_addr>(self->current_sender());
      if (st.sessions.count(session)) {
        auto& mine = st.watching[session];
        for (auto& u : users)
          if (mine.size() < st.cfg.max_watched_per_session && mine.insert(u).second)
            st.watchers[u].insert(session);
      }
      auto now = st.cfg.now_ms();
      ok_presence out;
      std::vector<std::string> unknown;
      for (auto& u : users) {
        out.presence.push_back(entry_of(st, u, now));
        if (!out.presence.back().online && !st.last_seen.count(u))
          unknown.push_back(u);
      }
      if (unknown.empty())
        return out;
      // Offline users not seen lately: their last_seen comes from storage.
      auto rp = self->make_response_promise();
      self->request(st.reader, st.cfg.storage_timeout, last_seen_atom::value, unknown)
        .then(
          [=](std::vector<storage::user_seen>& seen) mutable {
            auto& st = self->state;
            for (auto& s : seen)
              remember_last_seen(st, s.user, s.last_seen);
            auto reply = out;
            for (auto& e : reply.presence)
              if (!e.online)
                if (auto i = st.last_seen.find(e.user); i != st.last_seen.end())
                  e.last_seen = i->second;
            rp.deliver(std::move(reply));
          },
          [=](caf::error&) mutable { rp.deliver(out); });  // last_seen unknown: 0
      return rp;
    },
    [=](room_atom, conversation_notice& n) {
      auto& st = self->state;
      auto asked = st.lines_asked.find(n.room);
      if (asked != st.lines_asked.end())
        ++asked->second.clock;
      for (auto& [user, unread] : n.lines) {
        if (asked != st.lines_asked.end())
          asked->second.made[user] = asked->second.clock;
        if (auto o = st.online.find(user); o != st.online.end())
          tell_sessions(st, o->second, room_update{n.room, n.head, unread, n.last});
      }
      if (!n.ask.empty())
        lines_from_storage(self, n.room, n.ask);
    },
    [=](disconnect_atom, const std::string& user) -> int64_t {
      // The server API disconnects a user: close 4003, which tells clients not to retry.
      auto& st = self->state;
      auto o = st.online.find(user);
      if (o == st.online.end())
        return 0;
      for (auto& session : o->second)
        if (auto e = st.sessions.find(session); e != st.sessions.end())
          e->second.link->close(close_code::forbidden, "disconnected by the server");
      return static_cast<int64_t>(o->second.size());
    },
    [=](count_atom, const std::string& user) -> int64_t {
      auto& o = self->state.online;
      auto i = o.find(user);
      return i == o.end() ? 0 : static_cast<int64_t>(i->second.size());
    },
    [=](count_atom) -> int64_t { return static_cast<int64_t>(self->state.sessions.size()); },
  };
}

}  // namespace parley::actors
