#pragma once

#include "actors/messages.hpp"
#include "actors/storage_breaker.hpp"

namespace parley::actors {

// Shared by the writer and reader actors: their state has a `store` and a `breaker`.

/// Feeds a store result to the breaker; when storage just went down, schedules a probe.
template <class Self>
void note_storage_result(Self* self, const storage::error& err) {
  auto& st = self->state;
  if (st.breaker.record(err, self->clock().now()))
    self->delayed_send(self, st.breaker.backoff(), ping_atom::value);
}

/// The probe (`ping_atom`): once per back-off until the store answers, so the breaker and
/// /readyz recover without waiting for traffic.
template <class Self>
void probe_storage(Self* self) {
  auto& st = self->state;
  if (!st.breaker.is_down())
    return;
  st.breaker.record(st.store->ping(), self->clock().now());
  if (st.breaker.is_down())
    self->delayed_send(self, st.breaker.backoff(), ping_atom::value);
}

}  // namespace parley::actors
