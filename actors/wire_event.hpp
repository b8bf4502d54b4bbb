#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

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

  explicit wire_event(event_payload payload)
    : payload_(std::move(payload)), created_(std::chrono::steady_clock::now()) {}

  /// When the room made it (after the commit, for persistent events): delivery latency is
  /// measured from here to the socket write.
  std::chrono::steady_clock::time_point created() const { return created_; }

  const event_payload& payload() const { return payload_; }

  /// The persistent event's seq, or 0 for ephemeral events.
  int64_t seq() const {
    auto e = std::get_if<storage::event>(&payload_);
    return e ? e->seq : 0;
  }

  /// The encoded frame payload; `encode` runs once per encoding, whatever the thread.
  const std::string& encoded(encoding enc, encoder encode) const {
    auto i = static_cast<int>(enc);
    std::call_once(once_[i], [&] { bytes_[i] = encode(payload_, enc); });
    return bytes_[i];
  }

private:
  event_payload payload_;
  std::chrono::steady_clock::time_point created_;
  mutable std::once_flag once_[encoding_count];
  mutable std::string bytes_[encoding_count];
};

using event_ptr = std::shared_ptr<const wire_event>;

inline event_ptr make_event(event_payload p) {
  return std::make_shared<const wire_event>(std::move(p));
}

}  // namespace parley::actors
