#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "actors/protocol.hpp"

namespace parley::actors {

/// The wire encodings a connection can speak (PROTOCOL §1).
enum class encoding : uint8_t { json = 0, msgpack = 1 };
constexpr int encoding_count = 2;

/// A room event as it travels to every subscribed connection: created once by the room,
/// shared by pointer, and encoded at most once per encoding (on whichever I/O thread needs it
/// first), so a fan-out to N connections costs one encode, not N.
class wire_event {
public:
  using encoder = std::string (*)(const event_payload&, encoding);

  /// `created`: when the room made it (a commit's events share the commit's reading).
  explicit wire_event(event_payload payload,
                      std::chrono::steady_clock::time_point created = std::chrono::steady_clock::now())
    : payload_(std::move(payload)), created_(created) {}

  /// When the room made it (after the commit, for persistent events): delivery latency is
  /// measured from here to the socket write.
  std::chrono::steady_clock::time_point created() const { return created_; }

  const event_payload& payload() const { return payload_; }

  /// The persistent event's seq, or 0 for ephemeral events.
  int64_t seq() const {
    auto e = std::get_if<storage::event>(&payload_);
    return e ? e->seq : 0;
  }

  /// The encoded frame payload; `encode` runs once per encoding, whatever the thread (if it
  /// throws, the next call tries again).
  ///
  /// Not std::call_once: glibc's pthread_once ends every first call with a futex wake, a
  /// system call per event and encoding even when nobody waits (2.4 % of the broker's
  /// samples over 200 rooms x 10, plus the hypervisor's share of that call). Two I/O threads
  /// rarely want the same encoding at the same instant, and an encode takes microseconds,
  /// so the loser yields until it is ready.
  const std::string& encoded(encoding enc, encoder encode) const {
    auto i = static_cast<int>(enc);
    auto& state = state_[i];
    for (;;) {
      auto s = state.load(std::memory_order_acquire);
      if (s == ready)
        return bytes_[i];
      if (s == empty && state.compare_exchange_strong(s, busy, std::memory_order_acquire)) {
        try {
          bytes_[i] = encode(payload_, enc);
        } catch (...) {
          state.store(empty, std::memory_order_release);
          throw;
        }
        state.store(ready, std::memory_order_release);
        return bytes_[i];
      }
      std::this_thread::yield();  // another thread is encoding it
    }
  }

private:
  enum : uint8_t { empty, busy, ready };
  event_payload payload_;
  std::chrono::steady_clock::time_point created_;
  mutable std::atomic<uint8_t> state_[encoding_count] = {};
  mutable std::string bytes_[encoding_count];
};

using event_ptr = std::shared_ptr<const wire_event>;

inline event_ptr make_event(event_payload p, std::chrono::steady_clock::time_point created =
                                                 std::chrono::steady_clock::now()) {
  return std::make_shared<const wire_event>(std::move(p), created);
}

}  // namespace parley::actors
