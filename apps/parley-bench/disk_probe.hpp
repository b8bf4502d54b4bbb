#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "hdr_histogram.hpp"

namespace parley::bench {

/// What the `fsync` scenario measures: the time of `fdatasync` after a small write on the
/// file system of a directory, the floor under any latency of a server that acknowledges
/// and delivers only durable events (Parley, with the default `synchronous=FULL`).
struct disk_probe_options {
  std::string dir;
  int count = 2'000;
  size_t write_bytes = 12'288;  ///< what a light-load group commit appends to SQLite's WAL
  /// A pause between syncs: a server under light load syncs a few hundred times a second,
  /// not back to back; 0 syncs back to back.
  std::chrono::microseconds interval{2'000};
};

struct disk_probe_result {
  hdr_histogram fdatasync_us;
  std::string error;  ///< empty on success
};

/// Writes `count` blocks of `write_bytes` in turn over a 4 MiB file (created and synced
/// first, so that the measured syncs flush data, not the file's growth, like a reused
/// write-ahead log), each followed by `fdatasync`, and removes the file.
disk_probe_result run_disk_probe(const disk_probe_options& o);

}  // namespace parley::bench
