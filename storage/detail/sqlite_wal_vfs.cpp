#include "storage/detail/sqlite_wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
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

/// A log grows in steps of this many zero bytes, written ahead of the frames that need
/// them (see ensure_allocated).
constexpr sqlite3_int64 growth_step = 1 << 20;

/// Zeros for those steps, written 64 KiB at a time (below the unix VFS's write limit).
constexpr size_t zeros_size = 64 * 1024;
const char zeros[zeros_size] = {};

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
  sqlite3_int64 known_size = 0;    // the base file is at least this long
};

size_t real_file_offset() {
  // The base file behind ours, aligned as SQLite aligns what it allocates.
  return (sizeof(gathering_file) + 7) & ~size_t{7};
}

gathering_file* as_gathering(sqlite3_file* f) {
  return reinterpret_cast<gathering_file*>(f);
}

/// Makes the base file at least `end` bytes long by writing zeros past its end, a whole
/// `growth_step` at a time, before a write that would grow it.
///
/// Why: while a log grows (from a broker's start until its first checkpoint lets SQLite
/// reuse the log from the top, ~40 MiB later at wal_autocheckpoint=10000), every commit's
/// `fdatasync` also had to commit the file's new size through the file system's journal.
/// On this machine's ext4 that made each sync ~50 % slower and its tail much longer
/// (12 KiB appends, synced every millisecond: p50 0.26-0.31 ms and a 170-520 ms worst case,
/// against 0.17-0.22 ms and 3.5-50 ms when written into zeros already there). Zeros, not
/// `fallocate`: an allocated but unwritten extent is converted on its first write, which
/// is a journal commit again (measured: no better than growing).
/// A crash leaves zeros after the last frame; SQLite's recovery stops at the first frame
/// whose salt and checksum do not match, as it does for the stale frames of a reused log.
///
/// Past the size it knows, it asks the file again before writing any zero: another
/// connection to the same database may have grown the log meanwhile, and zeros written
/// from a stale size would overwrite its committed frames. (No one else writes the log
/// during this call: SQLite lets one connection at a time hold the log's write lock, and
/// this runs under it.)
int ensure_allocated(gathering_file* f, sqlite3_int64 end) {
  if (end <= f->known_size)
    return SQLITE_OK;
  sqlite3_int64 size = 0;
  if (auto rc = f->real->pMethods->xFileSize(f->real, &size); rc != SQLITE_OK)
    return rc;
  f->known_size = size;
  if (end <= size)
    return SQLITE_OK;
  auto target = (end + growth_step - 1) / growth_step * growth_step;
  while (f->known_size < target) {
    auto n = static_cast<int>(std::min<sqlite3_int64>(zeros_size, target - f->known_size));
    if (auto rc = f->real->pMethods->xWrite(f->real, zeros, n, f->known_size); rc != SQLITE_OK)
      return rc;
    f->known_size += n;
  }
  return SQLITE_OK;
}

/// Writes `n` bytes at `offset` to the base file, growing it first if they reach past it.
int write_real(gathering_file* f, const void* data, int n, sqlite3_int64 offset) {
  if (auto rc = ensure_allocated(f, offset + n); rc != SQLITE_OK)
    return rc;
  writes_out.fetch_add(1, std::memory_order_relaxed);
  return f->real->pMethods->xWrite(f->real, data, n, offset);
}

/// Writes out what is gathered. On failure the bytes are dropped: SQLite gets the error
/// on the call that needed them, and treats the transaction as failed.
int write_out(gathering_file* f) {
  if (f->size == 0)
    return SQLITE_OK;
  auto n = static_cast<int>(f->size);
  f->size = 0;
  return write_real(f, f->buffer.get(), n, f->offset);
}

// -- io methods of a gathering file -----------------------------------------------------------

/// An io method of a gathering file that forwards to the base file's `Method` (a member
/// of sqlite3_io_methods), with the same signature; `WriteOutFirst` for the methods that
/// read, sync, measure or otherwise act on the file's bytes.
template <auto Method, bool WriteOutFirst>
struct forwarded;

template <class R, class... Args, R (*sqlite3_io_methods::*Method)(sqlite3_file*, Args...),
          bool WriteOutFirst>
struct forwarded<Method, WriteOutFirst> {
  static R call(sqlite3_file* file, Args... args) {
    auto f = as_gathering(file);
    if constexpr (WriteOutFirst) {
      if (auto rc = write_out(f); rc != SQLITE_OK)
        return rc;
    }
    return (f->real->pMethods->*Method)(f->real, args...);
  }
};

template <auto Method>
constexpr auto after_write_out = &forwarded<Method, true>::call;
template <auto Method>
constexpr auto straight = &forwarded<Method, false>::call;

int g_close(sqlite3_file* file) {
  auto f = as_gathering(file);
  auto rc = write_out(f);
  auto rc_close = f->real->pMethods->xClose(f->real);
  f->~gathering_file();
  return rc != SQLITE_OK ? rc : rc_close;
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
  if (n > gather_capacity)
    return write_real(f, data, amount, offset);
  if (!f->buffer) {
    f->buffer.reset(new (std::nothrow) char[gather_capacity]);
    if (!f->buffer)
      return write_real(f, data, amount, offset);
  }
  if (f->size == 0)
    f->offset = offset;
  std::memcpy(f->buffer.get() + f->size, data, n);
  f->size += n;
  return SQLITE_OK;
}

/// SQLite truncates a log to reset it (journal_size_limit, a TRUNCATE checkpoint): the
/// size is the base file's to tell again.
int g_truncate(sqlite3_file* file, sqlite3_int64 size) {
  auto f = as_gathering(file);
  if (auto rc = write_out(f); rc != SQLITE_OK)
    return rc;
  f->known_size = 0;  // the file is the one to ask again
  return f->real->pMethods->xTruncate(f->real, size);
}

// A log is never memory-mapped (nor shared memory: the database file carries the WAL
// index), so these only forward, as a shim must, to a base file that has them.
int g_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  *out = nullptr;  // "not mapped": SQLite reads instead
  if (as_gathering(file)->real->pMethods->iVersion < 3)
    return SQLITE_OK;
  return after_write_out<&sqlite3_io_methods::xFetch>(file, offset, amount, out);
}

int g_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  if (as_gathering(file)->real->pMethods->iVersion < 3)
    return SQLITE_OK;
  return straight<&sqlite3_io_methods::xUnfetch>(file, offset, page);
}

const sqlite3_io_methods gathering_methods = {
  3,
  g_close,
  after_write_out<&sqlite3_io_methods::xRead>,
  g_write,
  g_truncate,
  after_write_out<&sqlite3_io_methods::xSync>,
  after_write_out<&sqlite3_io_methods::xFileSize>,
  straight<&sqlite3_io_methods::xLock>,
  straight<&sqlite3_io_methods::xUnlock>,
  straight<&sqlite3_io_methods::xCheckReservedLock>,
  after_write_out<&sqlite3_io_methods::xFileControl>,  // some act on the file: size hints
  straight<&sqlite3_io_methods::xSectorSize>,
  straight<&sqlite3_io_methods::xDeviceCharacteristics>,
  straight<&sqlite3_io_methods::xShmMap>,
  straight<&sqlite3_io_methods::xShmLock>,
  straight<&sqlite3_io_methods::xShmBarrier>,
  straight<&sqlite3_io_methods::xShmUnmap>,
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

/// A VFS method of the shim that is the base VFS's `Method` (a member of sqlite3_vfs),
/// called with the base VFS, whose methods may read their own fields.
template <auto Method>
struct base_method;

template <class R, class... Args, R (*sqlite3_vfs::*Method)(sqlite3_vfs*, Args...)>
struct base_method<Method> {
  static R call(sqlite3_vfs*, Args... args) {
    return (base_vfs->*Method)(base_vfs, args...);
  }
};

template <auto Method>
constexpr auto of_base = &base_method<Method>::call;

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
  v.xDelete = of_base<&sqlite3_vfs::xDelete>;
  v.xAccess = of_base<&sqlite3_vfs::xAccess>;
  v.xFullPathname = of_base<&sqlite3_vfs::xFullPathname>;
  v.xDlOpen = of_base<&sqlite3_vfs::xDlOpen>;
  v.xDlError = of_base<&sqlite3_vfs::xDlError>;
  v.xDlSym = of_base<&sqlite3_vfs::xDlSym>;
  v.xDlClose = of_base<&sqlite3_vfs::xDlClose>;
  v.xRandomness = of_base<&sqlite3_vfs::xRandomness>;
  v.xSleep = of_base<&sqlite3_vfs::xSleep>;
  v.xCurrentTime = of_base<&sqlite3_vfs::xCurrentTime>;
  v.xGetLastError = of_base<&sqlite3_vfs::xGetLastError>;
  v.xCurrentTimeInt64 = of_base<&sqlite3_vfs::xCurrentTimeInt64>;
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
