#include "actors/reader.hpp"

#include "actors/errors.hpp"
#include "actors/storage_probe.hpp"
#include "actors/thread_name.hpp"

namespace parley::actors {
namespace {

/// Runs `read` against the store unless it is known to be down, and feeds the breaker.
template <class Read>
auto guarded(reader_actor_ptr self, Read read) -> decltype(read(*self->state.store)) {
  auto& st = self->state;
  if (st.breaker.down(self->clock().now()))
    return storage::error{storage::errc::unavailable, "storage is down; retry"};
  auto r = read(*st.store);
  note_storage_result(self, r ? storage::error{} : r.err());
  return r;
}

}  // namespace

caf::behavior reader_actor(reader_actor_ptr self, std::shared_ptr<storage::store> store,
                           std::shared_ptr<std::atomic<int>> unhealthy) {
  name_thread_if_detached(self, "parley.reader");
  self->state.store = std::move(store);
  self->state.breaker = storage_breaker{std::move(unhealthy)};
  return {
    [=](load_atom, const std::string& room_id, int64_t tail_n) -> caf::result<room_snapshot> {
      auto rec = guarded(self, [&](storage::store& db) { return db.load_room(room_id); });
      if (!rec)
        return make_error(rec.err());
      room_snapshot snap;
      if (!rec.value())
        return snap;
      snap.found = true;
      snap.record = std::move(*rec.value());
      if (tail_n > 0) {
        auto tail =
          guarded(self, [&](storage::store& db) { return db.recent_events(room_id, tail_n); });
        if (!tail)
          return make_error(tail.err());
        snap.tail = std::move(tail.value());
      }
      return snap;
    },
    [=](replay_atom, const std::string& room_id, int64_t after,
        int64_t limit) -> caf::result<std::vector<storage::event>> {
      auto evs =
        guarded(self, [&](storage::store& db) { return db.events_after(room_id, after, limit); });
      if (!evs)
        return make_error(evs.err());
      return std::move(evs.value());
    },
    [=](history_atom, const storage::history_query& q) -> caf::result<ok_history> {
      auto page = guarded(self, [&](storage::store& db) { return db.history(q); });
      if (!page)
        return make_error(page.err());
      return ok_history{std::move(page.value().messages), page.value().more};
    },
    [=](rooms_atom, const std::string& user, int64_t limit) -> caf::result<ok_rooms> {
      auto rooms = guarded(self, [&](storage::store& db) { return db.rooms_of(user, limit); });
      if (!rooms)
        return make_error(rooms.err());
      return ok_rooms{std::move(rooms.value())};
    },
    [=](summaries_atom, const std::string& room, const std::vector<std::string>& users)
      -> caf::result<std::vector<storage::room_summary>> {
      auto s = guarded(self, [&](storage::store& db) { return db.room_summaries(room, users); });
      if (!s)
        return make_error(s.err());
      return std::move(s.value());
    },
    [=](last_seen_atom, const std::vector<std::string>& users)
      -> caf::result<std::vector<storage::user_seen>> {
      auto s = guarded(self, [&](storage::store& db) { return db.last_seen(users); });
      if (!s)
        return make_error(s.err());
      return std::move(s.value());
    },
    [=](ping_atom) { probe_storage(self); },
  };
}

}  // namespace parley::actors
