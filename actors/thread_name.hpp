#pragma once

#include <pthread.h>

#include <caf/abstract_actor.hpp>

namespace parley::actors {

/// Names the calling thread (at most 15 characters), so `top -H`, `perf` and
/// `/proc/PID/task/*/comm` tell the I/O shards, the writers and the readers apart from CAF's
/// own threads; a thread started by another one otherwise inherits its name.
inline void name_this_thread(const char* name) {
  pthread_setname_np(pthread_self(), name);
}

/// For actors that may run detached (their own thread) or on CAF's scheduler (unit tests):
/// names the thread only in the first case, since a scheduler thread runs every actor.
template <class Self>
void name_thread_if_detached(Self* self, const char* name) {
  if (self->getf(caf::abstract_actor::is_detached_flag))
    name_this_thread(name);
}

}  // namespace parley::actors
