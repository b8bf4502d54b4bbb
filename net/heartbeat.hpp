#pragma once

#include <chrono>
#include <cstdint>

namespace parley::net {

/// How long after it opens a connection gets its first heartbeat ping: a point drawn from
/// the second half of the interval (`random` picks it), later pings then every `interval`.
///
/// Why not one whole interval for everyone: connections opened together (a reconnect
/// storm, a restart, a load balancer moving its clients) would ping together ever after,
/// and each ping is a `sendmsg` of its own. Measured with 18,000 idle connections opened
/// together beside a fan-out of 200 msg/s over 20 rooms × 10, `--heartbeat-ms 3000` so
/// that pings come within the run (bench/fanout.sh with IDLE_CONNECTIONS; five interleaved
/// pairs, docs/benchmarks.md): delivery p99 44 ms and worst case 103 ms (medians) before
/// this and the tick's slices (io_shard), 9.2 ms and 23 ms after. A connection is still
/// pinged once an interval, so a client's watchdog of `heartbeat_ms` holds.
inline std::chrono::milliseconds first_ping_delay(std::chrono::milliseconds interval,
                                                  uint64_t random) {
  auto half = interval.count() / 2;
  auto offset = random % static_cast<uint64_t>(half + 1);
  return std::chrono::milliseconds{interval.count() - half + static_cast<int64_t>(offset)};
}

}  // namespace parley::net
