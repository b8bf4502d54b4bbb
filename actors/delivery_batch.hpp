#pragma once

namespace parley::actors {

/// Groups the wake-ups of the deliveries one thread makes in a row (a room's broadcast to all
/// its subscribers). While a batch is open, a client link may defer waking the thread that
/// writes its socket until the outermost batch on this thread closes. Without it, a broadcast
/// to 2,000 connections raced the I/O thread: the first delivery woke it, it flushed a
/// handful of connections and slept, the next delivery woke it again — on a busy CPU about
/// one context switch per ten deliveries. With it, each I/O thread is woken once per
/// broadcast and writes every connection in one pass.
///
/// Thread-local and nestable; cheap enough to open around every broadcast.
class delivery_batch {
public:
  delivery_batch();
  ~delivery_batch();
  delivery_batch(const delivery_batch&) = delete;
  delivery_batch& operator=(const delivery_batch&) = delete;

  /// When a batch is open on this thread: remembers to call `wake(key)` when the outermost
  /// batch closes and returns true. Otherwise returns false and the caller wakes now. A
  /// caller defers at most once per key and batch (it tracks that it is already waiting).
  static bool defer_wake(void* key, void (*wake)(void*));
};

}  // namespace parley::actors
