#include "actors/room_state.hpp"
#include "actors/delivery_batch.hpp"

#include "actors/metrics.hpp"

namespace parley::actors {

void room_state::remember_cid(const std::string& sender, const std::string& cid,
                              stored_send s) {
  if (cfg.cid_cache <= 0)
    return;
  auto [entry, fresh] = cids.find_or_add(sender, cid);
  if (fresh)  // else known, and already in the eviction order if committed
    commit_cid(entry, s);
}

void room_state::append_tail(event_ptr ev) {
  if (cfg.tail_events <= 0)
    return;
  tail.push_back(std::move(ev));
  while (static_cast<int64_t>(tail.size()) > cfg.tail_events)
    tail.pop_front();
}

void room_state::broadcast(const event_ptr& ev, uint64_t skip_session,
                           const std::string& skip_user) {
  delivery_batch batch;  // one wake-up per I/O thread for the whole broadcast
  uint64_t delivered = 0;
  for (auto& [session_id, sub] : subscribers) {
    if (session_id == skip_session || (!skip_user.empty() && sub.user == skip_user))
      continue;
    if (!sub.holding) {
      sub.link->deliver(ev);
      ++delivered;
      continue;
    }
    hold(sub, ev);
  }
  global_metrics().deliveries.inc(delivered);
}

void room_state::broadcast_all(std::span<const event_ptr> evs) {
  if (evs.empty())
    return;
  delivery_batch batch;
  uint64_t delivered = 0;
  for (auto& [session_id, sub] : subscribers) {
    if (!sub.holding) {
      sub.link->deliver_all(evs);
      delivered += evs.size();
      continue;
    }
    for (const auto& ev : evs)
      if (!hold(sub, ev))
        break;
  }
  global_metrics().deliveries.inc(delivered);
}

bool room_state::hold(subscriber& sub, const event_ptr& ev) {
  if (static_cast<int64_t>(sub.held.size()) < cfg.max_held_events) {
    sub.held.push_back(ev);
    return true;
  }
  // The replay takes so long that the live backlog for this subscriber is over its
  // limit: cut it as a slow consumer; it resumes with `since` on a new connection.
  sub.held.clear();
  sub.link->close(close_code::slow_consumer, "too far behind while resuming");
  return false;
}

}  // namespace parley::actors
