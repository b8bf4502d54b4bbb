#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::actors {

/// Where an earlier send with the same (sender, cid) ended up.
struct stored_send {
  int64_t seq = 0;
  int64_t ts = 0;
};

/// A room's idempotency keys: every (sender, cid) on its way to storage, and the latest
/// committed ones, which are forgotten oldest first beyond a limit.
///
/// Why not `std::unordered_map`: a send looked its key up in a node-based map (bucket,
/// node, the key's heap string: a cache miss each), and each committed send evicted the
/// oldest (the same again); with many rooms that was 5-7 % of the broker's CPU. Here a
/// lookup that misses reads one line of a flat index of (hash, entry) pairs, which is what
/// almost every send does; an entry itself, and its key, are read only when their 64-bit
/// hash matches. Entries sit in a vector and keep their `handle` until erased, so a write
/// in flight holds its entry by index.
///
/// The hash is seeded per process (linear probing must not be steered by chosen cids into
/// long runs), and a matching hash is always confirmed against the whole key, so two
/// different sends are never taken for one.
class cid_table {
public:
  using handle = uint32_t;
  static constexpr handle none = UINT32_MAX;

  struct entry {
    stored_send sent;
    bool in_flight = false;
  };

  using hash_function = uint64_t (*)(std::string_view sender, std::string_view cid);
  /// The process's seeded hash.
  static uint64_t seeded_hash(std::string_view sender, std::string_view cid);

  /// `hash`: the seeded one; tests pass another to make keys collide.
  explicit cid_table(hash_function hash = seeded_hash) : hash_(hash) {}

  /// The entry of (sender, cid), and whether it was made now (in flight) or known before.
  std::pair<handle, bool> find_or_add(std::string_view sender, std::string_view cid);

  /// An entry's state; the handle must be live.
  const entry& operator[](handle h) const { return slots_[h].state; }

  /// The key of the live entry `h`: its sender, a '\0', its cid.
  std::string_view key(handle h) const { return slots_[h].key; }

  /// The in-flight entry `h` was committed as `s`: it is kept, in commit order, and the
  /// oldest committed entries beyond `keep` are erased (this one at once if `keep` is 0).
  void commit(handle h, stored_send s, size_t keep);

  /// Erases the entry `h`, which must be in flight (a committed one leaves only as the
  /// oldest); its handle may be reused.
  void erase(handle h);

  size_t size() const { return size_; }
  size_t committed() const { return order_.size(); }

private:
  struct slot {
    uint64_t hash = 0;
    std::string key;  ///< sender, '\0', cid
    entry state;
  };
  /// One place in the index: the low 32 bits of an entry's hash (its home place and a
  /// filter, so most probes never read the entry), and the entry's handle + 1 (0: empty).
  struct place {
    uint32_t hash_low = 0;
    uint32_t slot_plus_one = 0;
  };

  size_t home(uint64_t hash) const { return static_cast<size_t>(hash) & (index_.size() - 1); }
  /// Where the entry `h` sits in the index.
  size_t place_of(handle h) const;
  void grow();
  void put(handle h);
  void remove(handle h);

  hash_function hash_;
  std::vector<slot> slots_;
  std::vector<handle> free_;
  std::vector<place> index_;  ///< A power of two in size, at most 3/4 full.
  std::deque<handle> order_;  ///< Committed entries, oldest first.
  size_t size_ = 0;
};

}  // namespace parley::actors
