#include "storage/detail/sqlite_wal_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>

namespace parley::storage::detail {

namespace {

/// Gathered bytes at most before they are written out: 29 frames of 4 KiB pages. Not
/// more than 128 KiB - 1: the unix VFS masks a write's length with 0x1ffff (a 1 MiB write
/// became a write of nothing and SQLITE_FULL).
constexpr size_t gather_capacity = 120 * 1024;

std::atomic<uint64_t> writes_in{0};
std::atomic<uint64_t> writes_out{0};

sqlite3_vfs* base_vfs = nullptr;  // set once, before the shim is registered

/// A write-ahead log opened through the shim. SQLite hands us `szOsFile` bytes: this
/// struct, then the base VFS's own file (`real`) behind it. Other files are opened by the
/// base VFS straight into those bytes and never see this type.
struct gathering_file {
  sqlite3_file base;  // first: SQLite reads pMethods from here
  sqlite3_file* real;
  std::unique_ptr<char[]> buffer;  // allocated on the first write
  size_t size = 0;                 // gathered bytes
  sqlite3_int64 offset = 0;        // where buffer[0] goes in the file
};

size_t real_file_offset() {
  // The base file behind ours, aligned as SQLite aligns what it allocates.
  return (sizeof(gathering_file) + 7) & ~size_t{7};
}

gathering_file* as_gathering(sqlite3_file* f) {
  return reinterpret_cast<gathering_file*>(f);
}

/// Writes out what is gathered. On failure the bytes are dropped: SQLite gets the error
/// on the call that needed them, and treats the transaction as failed.
int write_out(gathering_file* f) {
  if (f->size == 0)
    return SQLITE_OK;
  auto n = static_cast<int>(f->size);
  f->size = 0;
  writes_out.fetch_add(1, std::memory_order_relaxed);
  return f->real->pMethods->xWrite(f->real, f->buffer.get(), n, f->offset);
}

// -- io methods of a gathering file -----------------------------------------------------------

int g_close(sqlite3_file* file) {
  auto f = as_gathering(file);
  auto rc = write_out(f);
  auto rc_close = f->real->pMethods->xClose(f->real);
  f->~gathering_file();
  return rc != SQLITE_OK ? rc : rc_close;
}

int g_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  auto f = as_gathering(file);
  if (auto rc = write_out(f); rc != SQLITE_OK)
    return rc;
  return f->real->pMethods->xRead(f->real, out, amount, offset);
}

int g_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto f = as_gathering(file);
  writes_in.fetch_add(1, std::memory_order_relaxed);
  auto n = static_cast<size_t>(amount);
  bool continues = f->size > 0 && offset == f->offset + static_cast<sqlite3_int64>(f->size);
  if (!continues || f->size + n > gather_capacity) {
    if (auto rc = write_out(f); rc != SQLITE_OK)
      return rc;
  }
  if (n > gather_capacity) {
    writes_out.fetch_add(1, std::memory_order_relaxed);
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
  }
  if (!f->buffer) {
    f->buffer.reset(new (std::nothrow) char[gather_capacity]);
    if (!f->buffer) {
      writes_out.fetch_add(1, std::memory_order_relaxed);
      return f->real->pMethods->xWrite(f->real, data, amount, offset);
    }
  }
  if (f->size == 0)
    f->offset = offset;
  std::memcpy(f->buffer.get() + f->size, data, n);
  f->size += n;
  return SQLITE_OK;
}

int g_truncate(sqlite3_file* file, sqlite3_int64 size) {
  auto f = as_gathering(file);
  if (auto rc = write_out(f); rc != SQLITE_OK)
    return rc;
  return f->real->pMethods->xTruncate(f->real, size);
}

int g_sync(sqlite3_file* file, int flags) {
  auto f = as_gathering(file);
  if (auto rc = write_out(f); rc != SQLITE_OK)
    return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int g_file_size(sqlite3_file* file, sqlite3_int64* size) {
  auto f = as_gathering(file);
  if (auto rc = write_out(f); rc != SQLITE_OK)
    return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

int g_lock(sqlite3_file* file, int level) {
  auto f = as_gathering(file);
  return f->real->pMethods->xLock(f->real, level);
}

int g_unlock(sqlite3_file* file, int level) {
  auto f = as_gathering(file);
  return f->real->pMethods->xUnlock(f->real, level);
}

int g_check_reserved_lock(sqlite3_file* file, int* out) {
  auto f = as_gathering(file);
  return f->real->pMethods->xCheckReservedLock(f->real, out);
}

int g_file_control(sqlite3_file* file, int op, void* arg) {
  // Some controls act on the file (size hints, persisting the WAL): its bytes first.
  auto f = as_gathering(file);
  if (auto rc = write_out(f); rc != SQLITE_OK)
    return rc;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int g_sector_size(sqlite3_file* file) {
  auto f = as_gathering(file);
  return f->real->pMethods->xSectorSize(f->real);
}

int g_device_characteristics(sqlite3_file* file) {
  auto f = as_gathering(file);
  return f->real->pMethods->xDeviceCharacteristics(f->real);
}

// A log is never memory-mapped nor shared memory (the database file carries the WAL
// index); these only forward, as a shim must.
int g_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  auto f = as_gathering(file);
  return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

int g_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  auto f = as_gathering(file);
  return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

void g_shm_barrier(sqlite3_file* file) {
  auto f = as_gathering(file);
  f->real->pMethods->xShmBarrier(f->real);
}

int g_shm_unmap(sqlite3_file* file, int delete_flag) {
  auto f = as_gathering(file);
  return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

int g_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  auto f = as_gathering(file);
  *out = nullptr;  // "not mapped": SQLite reads instead
  if (f->real->pMethods->iVersion < 3)
    return SQLITE_OK;
  if (auto rc = write_out(f); rc != SQLITE_OK)
    return rc;
  return f->real->pMethods->xFetch(f->real, offset, amount, out);
}

int g_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  auto f = as_gathering(file);
  if (f->real->pMethods->iVersion < 3)
    return SQLITE_OK;
  return f->real->pMethods->xUnfetch(f->real, offset, page);
}

const sqlite3_io_methods gathering_methods = {
  3,
  g_close,
  g_read,
  g_write,
  g_truncate,
  g_sync,
  g_file_size,
  g_lock,
  g_unlock,
  g_check_reserved_lock,
  g_file_control,
  g_sector_size,
  g_device_characteristics,
  g_shm_map,
  g_shm_lock,
  g_shm_barrier,
  g_shm_unmap,
  g_fetch,
  g_unfetch,
};

// -- the VFS: the base one, but logs open as gathering files ----------------------------------

int v_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0)  // everything else is the base VFS's own file
    return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  auto real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_file_offset());
  std::memset(real, 0, static_cast<size_t>(base_vfs->szOsFile));
  auto rc = base_vfs->xOpen(base_vfs, name, real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite does not close a file whose open failed; the base VFS leaves pMethods null or
    // set, and in the latter case wants its close.
    if (real->pMethods != nullptr)
      real->pMethods->xClose(real);
    file->pMethods = nullptr;
    return rc;
  }
  auto f = new (file) gathering_file{};
  f->base.pMethods = &gathering_methods;
  f->real = real;
  return SQLITE_OK;
}

int v_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}

int v_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}

int v_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, size, out);
}

void* v_dl_open(sqlite3_vfs*, const char* name) {
  return base_vfs->xDlOpen(base_vfs, name);
}

void v_dl_error(sqlite3_vfs*, int size, char* out) {
  base_vfs->xDlError(base_vfs, size, out);
}

void (*v_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return base_vfs->xDlSym(base_vfs, handle, symbol);
}

void v_dl_close(sqlite3_vfs*, void* handle) {
  base_vfs->xDlClose(base_vfs, handle);
}

int v_randomness(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xRandomness(base_vfs, size, out);
}

int v_sleep(sqlite3_vfs*, int micros) {
  return base_vfs->xSleep(base_vfs, micros);
}

int v_current_time(sqlite3_vfs*, double* out) {
  return base_vfs->xCurrentTime(base_vfs, out);
}

int v_get_last_error(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xGetLastError(base_vfs, size, out);
}

int v_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

sqlite3_vfs gathering_vfs{};

const char* register_vfs() {
  base_vfs = sqlite3_vfs_find(nullptr);
  if (base_vfs == nullptr || base_vfs->iVersion < 2)
    return nullptr;
  auto& v = gathering_vfs;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(real_file_offset()) + base_vfs->szOsFile;
  v.mxPathname = base_vfs->mxPathname;
  v.zName = "parley-wal-gathering";
  v.xOpen = v_open;
  v.xDelete = v_delete;
  v.xAccess = v_access;
  v.xFullPathname = v_full_pathname;
  v.xDlOpen = v_dl_open;
  v.xDlError = v_dl_error;
  v.xDlSym = v_dl_sym;
  v.xDlClose = v_dl_close;
  v.xRandomness = v_randomness;
  v.xSleep = v_sleep;
  v.xCurrentTime = v_current_time;
  v.xGetLastError = v_get_last_error;
  v.xCurrentTimeInt64 = v_current_time_int64;
  if (sqlite3_vfs_register(&v, 0) != SQLITE_OK)
    return nullptr;
  return v.zName;
}

}  // namespace

const char* wal_gathering_vfs() {
  static const char* name = register_vfs();
  return name;
}

wal_gathering_counts wal_gathering_stats() {
  return {writes_in.load(std::memory_order_relaxed), writes_out.load(std::memory_order_relaxed)};
}

}  // namespace parley::storage::detail
