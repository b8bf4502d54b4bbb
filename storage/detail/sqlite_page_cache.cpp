#include "storage/detail/sqlite_page_cache.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <new>

namespace parley::storage::detail {

void truncation_guard::rekeyed(unsigned from, unsigned to) {
  if (auto i = std::find(parked_.begin(), parked_.end(), from); i != parked_.end())
    parked_.erase(i);
  if (to > max_fetched_)
    parked_.push_back(to);
}

bool truncation_guard::must_truncate(unsigned limit) {
  bool needed = max_fetched_ >= limit;
  if (needed)
    max_fetched_ = limit == 0 ? 0 : limit - 1;
  auto beyond = std::remove_if(parked_.begin(), parked_.end(),
                               [&](unsigned key) { return key >= limit; });
  needed = needed || beyond != parked_.end();
  parked_.erase(beyond, parked_.end());
  return needed;
}

namespace {

/// SQLite's own page cache, whose every method this one calls.
sqlite3_pcache_methods2 base;

std::atomic<uint64_t> truncations_asked{0};
std::atomic<uint64_t> truncations_passed{0};

/// One cache: pcache1's, and what may be in it. SQLite calls a cache's methods from one
/// connection at a time, so its guard needs no lock.
struct guarded_cache {
  sqlite3_pcache* inner;
  truncation_guard guard;
};

guarded_cache* of(sqlite3_pcache* p) {
  return reinterpret_cast<guarded_cache*>(p);
}

sqlite3_pcache* create(int page_size, int extra_size, int purgeable) {
  auto* inner = base.xCreate(page_size, extra_size, purgeable);
  if (inner == nullptr)
    return nullptr;
  auto* c = new (std::nothrow) guarded_cache{inner, {}};
  if (c == nullptr) {
    base.xDestroy(inner);
    return nullptr;
  }
  return reinterpret_cast<sqlite3_pcache*>(c);
}

void cache_size(sqlite3_pcache* p, int pages) {
  base.xCachesize(of(p)->inner, pages);
}

int page_count(sqlite3_pcache* p) {
  return base.xPagecount(of(p)->inner);
}

sqlite3_pcache_page* fetch(sqlite3_pcache* p, unsigned key, int create_flag) {
  auto* c = of(p);
  auto* page = base.xFetch(c->inner, key, create_flag);
  if (page != nullptr)
    c->guard.fetched(key);
  return page;
}

void unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  base.xUnpin(of(p)->inner, page, discard);
}

void rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned from, unsigned to) {
  auto* c = of(p);
  base.xRekey(c->inner, page, from, to);
  c->guard.rekeyed(from, to);
}

void truncate(sqlite3_pcache* p, unsigned limit) {
  auto* c = of(p);
  truncations_asked.fetch_add(1, std::memory_order_relaxed);
  if (!c->guard.must_truncate(limit))
    return;
  truncations_passed.fetch_add(1, std::memory_order_relaxed);
  base.xTruncate(c->inner, limit);
}

void destroy(sqlite3_pcache* p) {
  auto* c = of(p);
  base.xDestroy(c->inner);
  delete c;
}

void shrink(sqlite3_pcache* p) {
  base.xShrink(of(p)->inner);
}

int init(void*) {
  return base.xInit(base.pArg);
}

void shutdown(void*) {
  base.xShutdown(base.pArg);
}

bool install() {
  if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK || base.xCreate == nullptr)
    return false;
  sqlite3_pcache_methods2 guarded{};
  guarded.iVersion = 1;
  guarded.xInit = init;
  guarded.xShutdown = shutdown;
  guarded.xCreate = create;
  guarded.xCachesize = cache_size;
  guarded.xPagecount = page_count;
  guarded.xFetch = fetch;
  guarded.xUnpin = unpin;
  guarded.xRekey = rekey;
  guarded.xTruncate = truncate;
  guarded.xDestroy = destroy;
  guarded.xShrink = base.xShrink != nullptr ? shrink : nullptr;
  return sqlite3_config(SQLITE_CONFIG_PCACHE2, &guarded) == SQLITE_OK;
}

}  // namespace

bool install_page_cache() {
  static const bool installed = install();
  return installed;
}

page_cache_counts page_cache_stats() {
  return {truncations_asked.load(std::memory_order_relaxed),
          truncations_passed.load(std::memory_order_relaxed)};
}

}  // namespace parley::storage::detail
