#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace parley::bench {

/// How the load generator's publishers name their sends (`cid`, PROTOCOL "send").
///
/// Why it matters: the broker keeps every (room, sender, cid) in a unique index, and a
/// B-tree's cost per insert depends on where the keys land. A counter lands each send next
/// to the sender's previous one; a random UUID, what `crypto.randomUUID()` gives a browser
/// client, lands anywhere in the sender's range, so each send dirties a page of its own
/// (docs/benchmarks.md, "What client ids cost").
enum class cid_style {
  counter,  ///< "<user>-<n>": ordered per sender (the default, as in every earlier run)
  uuid,     ///< a random RFC 4122 version-4 UUID, 36 characters
};

inline std::optional<cid_style> parse_cid_style(std::string_view s) {
  if (s == "counter")
    return cid_style::counter;
  if (s == "uuid")
    return cid_style::uuid;
  return std::nullopt;
}

inline const char* to_string(cid_style s) { return s == cid_style::uuid ? "uuid" : "counter"; }

/// Makes the cids of one load-generator process.
class cid_source {
public:
  /// `seed`: different per process, so that processes never draw the same UUIDs.
  cid_source(cid_style style, uint64_t seed) : style_(style), rng_(seed) {}

  /// The cid of `user`'s `n`-th send.
  std::string next(const std::string& user, int64_t n) {
    if (style_ == cid_style::counter)
      return user + "-" + std::to_string(n);
    return random_uuid();
  }

private:
  std::string random_uuid() {
    static constexpr char hex[] = "0123456789abcdef";
    uint64_t hi = rng_(), lo = rng_();
    hi = (hi & ~uint64_t{0xf000}) | 0x4000;                      // version 4
    lo = (lo & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
    std::string out(36, '-');
    size_t pos = 0;
    auto put = [&](uint64_t bits, int nibbles) {
      for (int i = nibbles - 1; i >= 0; --i) {
        if (pos == 8 || pos == 13 || pos == 18 || pos == 23)  // the dashes stay
          ++pos;
        out[pos++] = hex[(bits >> (4 * i)) & 0xf];
      }
    };
    put(hi, 16);
    put(lo, 16);
    return out;
  }

  cid_style style_;
  std::mt19937_64 rng_;
};

}  // namespace parley::bench
