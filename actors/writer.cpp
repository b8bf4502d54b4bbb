#include "actors/writer.hpp"

#include "actors/errors.hpp"
#include "actors/metrics.hpp"
#include "actors/storage_probe.hpp"
#include "actors/thread_name.hpp"

namespace parley::actors {
namespace {

/// The store's outcomes, or `unavailable` for every room without touching a store that is
/// known to be down.
std::vector<storage::room_write_outcome>
write_or_fail_fast(writer_actor_ptr self, const std::vector<storage::room_writes>& batch) {
  auto& st = self->state;
  if (st.breaker.down(self->clock().now()))
    return std::vector<storage::room_write_outcome>(
      batch.size(), {storage::errc::unavailable, "storage is down; retry", {}});
  auto outcomes = st.store->write(batch);
  auto& m = global_metrics();
  m.writer_batches.inc();
  size_t events = 0;
  for (auto& b : batch)
    events += b.events.size();
  m.writer_batch_events.observe(static_cast<double>(events));
  storage::error worst;
  for (auto& o : outcomes)
    if (storage_breaker::is_storage_failure(o.code))
      worst = {o.code, o.message};
  if (worst)
    m.storage_failures.inc();
  note_storage_result(self, worst);
  return outcomes;
}

/// Commits everything queued as one transaction and tells each room how its part went.
void flush(writer_actor_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.queue.empty())
    return;
  std::vector<storage::room_writes> batch;
  std::vector<caf::actor> rooms;
  std::vector<uint64_t> counts;
  std::unordered_map<std::string, size_t> index;
  for (auto& q : st.queue) {
    auto [it, fresh] = index.try_emplace(q.room_id, batch.size());
    if (fresh) {
      batch.push_back(storage::room_writes{q.room_id, {}, {}});
      rooms.push_back(q.room);
      counts.push_back(0);
    }
    auto& rw = batch[it->second];
    for (auto& w : q.writes) {
      if (w.is_event)
        rw.events.push_back(std::move(w.ev));
      else
        rw.reads.push_back(std::move(w.read));
      for (auto& m : w.members)
        rw.members.push_back(std::move(m));
    }
    counts[it->second] += q.writes.size();
  }
  auto n = st.queued;
  st.queue.clear();
  st.queued = 0;
  auto outcomes = write_or_fail_fast(self, batch);
  st.cfg.backlog->fetch_sub(n, std::memory_order_relaxed);
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& out = outcomes[i];
    if (out.code == storage::errc::ok) {
      self->send(rooms[i], committed_atom::value, batch[i].room, counts[i],
                 std::move(batch[i].events));
      continue;
    }
    st.poisoned.insert(batch[i].room);
    self->send(rooms[i], failed_atom::value, batch[i].room,
               storage::error{out.code, out.message}, out.duplicates);
  }
}

}  // namespace

caf::behavior writer_actor(writer_actor_ptr self, std::shared_ptr<storage::store> store,
                           writer_config cfg) {
  name_thread_if_detached(self, "parley.writer");
  self->state.store = std::move(store);
  self->state.cfg = std::move(cfg);
  self->state.breaker = storage_breaker{self->state.cfg.unhealthy};
  return {
    [=](append_atom, std::string& room_id, std::vector<pending_write>& writes) {
      auto& st = self->state;
      auto n = static_cast<int64_t>(writes.size());
      if (st.poisoned.count(room_id)) {
        st.cfg.backlog->fetch_sub(n, std::memory_order_relaxed);
        return;
      }
      auto room = caf::actor_cast<caf::actor>(self->current_sender());
      st.queue.push_back(queued_writes{std::move(room), std::move(room_id), std::move(writes)});
      st.queued += n;
      if (st.queued >= st.cfg.max_batch) {
        flush(self);
      } else if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
    },
    [=](flush_atom) { flush(self); },
    [=](ping_atom) { probe_storage(self); },
    [=](resync_atom, const std::string& room_id, int64_t after) -> caf::result<resync_result> {
      auto& st = self->state;
      flush(self);
      if (st.breaker.down(self->clock().now()))
        return make_error(error_code::unavailable, "storage is down");
      st.poisoned.erase(room_id);
      auto rec = st.store->load_room(room_id);
      note_storage_result(self, rec ? storage::error{} : rec.err());
      if (!rec)
        return make_error(rec.err());
      if (!rec.value())
        return make_error(error_code::not_found, "room vanished");
      resync_result r;
      r.head = rec.value()->head_seq;
      if (r.head > after) {
        auto missed = st.store->events_after(room_id, after, r.head - after);
        if (!missed)
          return make_error(missed.err());
        r.missed = std::move(missed.value());
      }
      return r;
    },
    [=](create_atom, const storage::room_record& room) -> caf::result<void> {
      if (self->state.breaker.down(self->clock().now()))
        return make_error(error_code::unavailable, "storage is down");
      auto err = self->state.store->create_room(room);
      note_storage_result(self, err);
      if (err)
        return make_error(err);
      return caf::unit;
    },
    [=](seen_atom, const std::vector<storage::user_seen>& seen) {
      // last_seen of users who went offline: best effort (presence keeps it in memory).
      if (self->state.breaker.down(self->clock().now()))
        return;
      note_storage_result(self, self->state.store->set_last_seen(seen));
    },
    [=](drain_atom) -> caf::result<void> {
      flush(self);
      return caf::unit;
    },
  };
}

}  // namespace parley::actors
