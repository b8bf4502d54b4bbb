#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "client_ids.hpp"
#include "hdr_histogram.hpp"

namespace parley::bench {

struct options {
  std::string scenario;
  std::string system = "parley";
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string secret;     ///< parley: HS256 secret to mint tokens
  int source_ips = 1;     ///< client sockets spread over 127.0.0.1 .. 127.0.0.N
  int processes = 1;
  // fanout
  int rooms = 1;
  int subscribers = 100;  ///< per room
  int publishers = 1;     ///< per room
  double rate = 1000;     ///< messages per second, all publishers together
  double duration = 10;
  double warmup = 2;
  // connect
  int connections = 1000;
  double hold = 2;
  int server_pid = 0;
  int history = 0;  ///< parley: messages stored per room before the storm; joins replay them
  // durable
  int in_flight = 16;
  // fanout, durable
  cid_style cids = cid_style::counter;

  /// A fan-out at a set rate (open loop, paced: open_loop_schedule); with rate 0 the
  /// publishers send as fast as acks come back (closed loop).
  bool open_loop() const { return scenario == "fanout" && rate > 0; }
};

/// What one process measured; processes' results merge into the run's.
struct shard_result {
  hdr_histogram delivery_us;
  hdr_histogram ack_us;
  /// Open loop: how late each measured send left after its due time (the load
  /// generator's own lag; large values mean it could not keep the rate it offered).
  hdr_histogram send_late_us;
  int64_t sent = 0, acked = 0, delivered = 0, duplicated = 0, reordered = 0, errors = 0;
  int64_t connected = 0, failures = 0;
  /// Deliveries that arrived inside the measured window (the throughput figure); the
  /// latency histogram counts the messages sent inside it, whenever they arrived.
  int64_t delivered_in_window = 0;
  double connect_seconds = 0;  ///< from the first connect to the last one ready

  void merge(const shard_result& o);
  std::string serialize() const;
  static shard_result parse(const std::string& line);
};

/// Where a process stands with the others. After connecting, a process reports `ready`
/// and then runs its event loop until `go` says the scenario may start (when there are
/// several processes, once all are ready); for `connect` it then holds its connections,
/// its event loop still running, until `stop`. `go` and `stop` are polled (every 20 ms) and
/// must not block: a client that stops reading is not an idle client (the server's frames
/// would pile up in its queues).
struct coordination {
  std::function<void(const shard_result&)> ready;
  std::function<bool()> go;
  std::function<bool()> stop;
};

/// Runs this process's share (`shard` of `shards`) of the scenario.
shard_result run_shard(const options& o, int shard, int shards, const coordination& co);

/// The room ids and user names the scenarios use, shared by setup and shards.
std::string room_name(const options& o, int r);

/// Creates the scenario's rooms with their members (Parley only; the peers need none).
bool setup_rooms(const options& o);

}  // namespace parley::bench
