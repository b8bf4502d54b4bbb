#pragma once

#include <cstdint>
#include <vector>

namespace parley::storage::detail {

/// Installs, once per process and before SQLite initializes, a page cache that is SQLite's
/// own (pcache1) except that it skips the truncations that cannot remove a page. Returns
/// whether it is installed (false if SQLite was initialized before: then the default
/// cache is used, and nothing else changes).
///
/// Why: every write transaction ends by truncating the page cache to the database's size.
/// When a B-tree page split swaps two pages' numbers (balance_nonroot in btree.c), it parks
/// one page at the number of the lock-byte page (262,145 for 4 KiB pages) for a moment, and
/// pcache1 remembers that number as the largest it has held. From then on, while the
/// database is under 1 GiB, each commit's truncation looks beyond the end and scans the
/// whole cache (16,384 pages, a cache miss each, with the 64 MiB cache): ~1 ms per commit,
/// about a tenth of the writer's CPU in a fan-out over 200 rooms (docs/benchmarks.md).
/// This cache knows which numbers it may still hold, and passes a truncation on only when
/// a page at or beyond the limit may exist.
bool install_page_cache();

/// Counters of the installed cache, for tests: truncations asked, and passed on to pcache1.
struct page_cache_counts {
  uint64_t truncations_asked = 0;
  uint64_t truncations_passed = 0;
};
page_cache_counts page_cache_stats();

/// The bookkeeping of one cache: an upper bound on the page numbers it may hold. Numbers
/// only ever come in through a fetch (which may create the page) or a rekey; pages that
/// pcache1 drops on its own only make the bound loose, never wrong.
class truncation_guard {
public:
  /// A fetch returned the page `key` (found or created).
  void fetched(unsigned key) {
    if (key > max_fetched_)
      max_fetched_ = key;
  }

  /// A page moved from `from` to `to`.
  void rekeyed(unsigned from, unsigned to);

  /// A truncation to pages below `limit`: whether a page at or beyond it may exist (then
  /// pcache1 must truncate, and the bound shrinks to what it leaves).
  bool must_truncate(unsigned limit);

private:
  unsigned max_fetched_ = 0;  ///< The largest number fetched since the last truncation.
  /// Numbers above max_fetched_ that a rekey moved a page to (a split's parking place),
  /// until a rekey moves it away again: rarely more than one.
  std::vector<unsigned> parked_;
};

}  // namespace parley::storage::detail
