#include "actors/reader.hpp"

#include "actors/errors.hpp"

namespace parley::actors {

caf::behavior reader_actor(reader_actor_ptr self, std::shared_ptr<storage::store> store) {
  self->state.store = std::move(store);
  return {
    [=](load_atom, const std::string& room_id, int64_t tail_n) -> caf::result<room_snapshot> {
      auto& db = *self->state.store;
      auto rec = db.load_room(room_id);
      if (!rec)
        return make_error(rec.err());
      room_snapshot snap;
      if (!rec.value())
        return snap;
      snap.found = true;
      snap.record = std::move(*rec.value());
      if (tail_n > 0) {
        auto tail = db.recent_events(room_id, tail_n);
        if (!tail)
          return make_error(tail.err());
        snap.tail = std::move(tail.value());
      }
      return snap;
    },
    [=](replay_atom, const std::string& room_id, int64_t after,
        int64_t limit) -> caf::result<std::vector<storage::event>> {
      auto evs = self->state.store->events_after(room_id, after, limit);
      if (!evs)
        return make_error(evs.err());
      return std::move(evs.value());
    },
    [=](history_atom, const storage::history_query& q) -> caf::result<ok_history> {
      auto page = self->state.store->history(q);
      if (!page)
        return make_error(page.err());
      return ok_history{std::move(page.value().messages), page.value().more};
    },
  };
}

}  // namespace parley::actors
