#pragma once

#include <cstdint>

namespace parley::storage::detail {

/// The name of a SQLite VFS that is the default one except for write-ahead logs: their
/// appends are gathered in memory and reach the file in one `pwrite` when SQLite syncs,
/// reads, truncates or asks the log's size, or after 120 KiB, or when a write does not
/// continue the previous one.
///
/// Why: SQLite writes every WAL frame with two `pwrite` calls (its 24-byte header, then the
/// page), so a group commit over many rooms made hundreds of system calls (perf stat,
/// durable scenario: 1.6 `pwrite` per event, 50,000 a second, against 71 `fdatasync`).
/// Nothing is less durable: an `xSync` writes out what is gathered before it syncs, and
/// with `synchronous=FULL` SQLite syncs a commit's frames before it publishes them to
/// other connections in the WAL index, so no reader can look for a frame still in memory.
/// Registered on the first call (thread-safe); nullptr if registration failed, and then
/// the caller opens with the default VFS.
const char* wal_gathering_vfs();

/// Counters of the gathering files, for tests: writes SQLite made to logs, and writes that
/// reached the files underneath.
struct wal_gathering_counts {
  uint64_t writes_in = 0;
  uint64_t writes_out = 0;
};
wal_gathering_counts wal_gathering_stats();

}  // namespace parley::storage::detail
