// parley-bench: a load generator speaking the protocols of Parley and of its peers over real
// WebSockets, for the side-by-side benchmarks (bench/compare.sh, bench/fanout.sh).
//
//   parley-bench SCENARIO --system parley|wspeer|socketio|nats --port P [--host H]
//                [--secret S] [--source-ips N] [--processes K]
//     fanout:  --rooms R --subscribers S --publishers P --rate MSGS_PER_S --duration D
//              --warmup W [--in-flight W] [--cids counter|uuid]
//                              R rooms x S subscribers x P publishers; every body carries
//                              publisher, counter and send time (CLOCK_MONOTONIC), so each
//                              subscriber measures delivery latency and finds lost,
//                              duplicated and reordered messages; publishers measure acks.
//                              --rate 0: closed loop, each publisher keeps W sends unacked
//                              (the server's saturation throughput); --cids: each send's
//                              cid "<user>-<n>" (default) or a random UUID (client_ids.hpp)
//     connect: --connections N [--rooms R] [--hold S] [--server-pid PID] [--history M]
//                              N connections, each joined to a room, held; connect rate,
//                              failures, and the server's RSS growth per connection;
//                              --history: M messages stored in each room first, and each
//                              join asks for them (`since` 0: a reconnect storm's replay)
//     durable: --rooms R --in-flight W --duration D [--cids counter|uuid]
//                              each room's sender keeps W sends outstanding: events/s, acks
//   parley-bench fsync --dir D [--count N] [--bytes B] [--interval-us I]
//                              no server: N writes of B bytes on D's file system, each
//                              followed by fdatasync, one every I us; the sync's latency
//                              (the floor under a durable server's delivery latency)
//   parley-bench tcpsend [--connections N] [--bytes B] [--frames K] [--seconds S]
//                        [--receiver-cpu C]
//                              no server: sends of K frames of B bytes (one sendmsg) over N
//                              loopback TCP connections in turn for S seconds, read by a
//                              thread on CPU C; the sending thread's CPU per send and per
//                              frame (K = 1: what one delivery costs a server that cannot
//                              batch it with others; K = 50: the kernel's part of a delivery
//                              in a saturated fan-out)
//
// One single-threaded event loop per process; --processes splits the connections over
// several (one process may hold at most ~20,000 file descriptors here), --source-ips
// spreads them over 127.0.0.1 .. 127.0.0.N (each address pair has ~28k ephemeral ports).
// Prints a table, then one JSON line.
#include <limits.h>  // IOV_MAX
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "disk_probe.hpp"
#include "send_probe.hpp"
#include "protocols.hpp"
#include "runner.hpp"

using namespace parley::bench;

namespace {

void usage() {
  std::fputs(
    "usage: parley-bench fanout|connect|durable --system parley|wspeer|socketio|nats\n"
    "         --port P [--host 127.0.0.1] [--secret S] [--source-ips N] [--processes K]\n"
    "  fanout:  --rooms R --subscribers S --publishers P --rate N --duration D --warmup W\n"
    "           [--in-flight W]   (--rate 0: closed loop, W unacked sends per publisher)\n"
    "           [--cids counter|uuid]   (each send's cid: <user>-<n>, or a random UUID)\n"
    "  connect: --connections N [--rooms R] [--hold S] [--server-pid PID]\n"
    "           [--history M]   (parley: M messages per room first; each join replays them)\n"
    "  durable: --rooms R --in-flight W --duration D [--cids counter|uuid]\n"
    "usage: parley-bench fsync --dir D [--count 2000] [--bytes 12288] [--interval-us 2000]\n"
    "usage: parley-bench tcpsend [--connections 2000] [--bytes 160] [--frames 1] [--seconds 3]\n"
    "         [--receiver-cpu C]\n",
    stderr);
}

/// Walks the `--key value` pairs after the scenario's name; `set` applies one and says
/// whether it knew the key. False (after a message) at the first unknown key.
template <class Set>
bool each_option(int argc, char** argv, Set set) {
  for (int i = 2; i + 1 < argc; i += 2)
    if (!set(std::string{argv[i]}, std::string{argv[i + 1]})) {
      std::fprintf(stderr, "parley-bench: unknown option %s\n", argv[i]);
      return false;
    }
  return true;
}

/// The `fsync` scenario's options; false (after a message) if they are wrong.
bool parse_fsync(int argc, char** argv, disk_probe_options& o) {
  bool known = each_option(argc, argv, [&](const std::string& k, const std::string& v) {
    if (k == "--dir") o.dir = v;
    else if (k == "--count") o.count = std::max(1, std::stoi(v));
    else if (k == "--bytes") o.write_bytes = static_cast<size_t>(std::max(1, std::stoi(v)));
    else if (k == "--interval-us") o.interval = std::chrono::microseconds{std::max(0, std::stoi(v))};
    else return false;
    return true;
  });
  if (known && o.dir.empty()) {
    std::fprintf(stderr, "parley-bench: fsync needs --dir\n");
    return false;
  }
  return known;
}

/// The `tcpsend` scenario's options; false (after a message) if they are wrong.
bool parse_tcpsend(int argc, char** argv, send_probe_options& o) {
  return each_option(argc, argv, [&](const std::string& k, const std::string& v) {
    if (k == "--connections") o.connections = std::max(1, std::stoi(v));
    else if (k == "--bytes") o.bytes = static_cast<size_t>(std::max(1, std::stoi(v)));
    else if (k == "--frames") o.frames = std::clamp(std::stoi(v), 1, IOV_MAX);
    else if (k == "--seconds") o.seconds = std::max(0.1, std::stod(v));
    else if (k == "--receiver-cpu") o.receiver_cpu = std::stoi(v);
    else return false;
    return true;
  });
}

bool parse(int argc, char** argv, options& o) {
  if (argc < 2)
    return false;
  o.scenario = argv[1];
  if (o.scenario != "fanout" && o.scenario != "connect" && o.scenario != "durable")
    return false;
  bool rooms_given = false;
  std::string cids = "counter";
  bool known = each_option(argc, argv, [&](const std::string& k, const std::string& v) {
    if (k == "--system") o.system = v;
    else if (k == "--host") o.host = v;
    else if (k == "--port") o.port = static_cast<uint16_t>(std::stoi(v));
    else if (k == "--secret") o.secret = v;
    else if (k == "--source-ips") o.source_ips = std::max(1, std::stoi(v));
    else if (k == "--processes") o.processes = std::max(1, std::stoi(v));
    else if (k == "--rooms") o.rooms = std::max(1, std::stoi(v)), rooms_given = true;
    else if (k == "--subscribers") o.subscribers = std::stoi(v);
    else if (k == "--publishers") o.publishers = std::stoi(v);
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--duration") o.duration = std::stod(v);
    else if (k == "--warmup") o.warmup = std::stod(v);
    else if (k == "--connections") o.connections = std::stoi(v);
    else if (k == "--hold") o.hold = std::stod(v);
    else if (k == "--history") o.history = std::max(0, std::stoi(v));
    else if (k == "--server-pid") o.server_pid = std::stoi(v);
    else if (k == "--in-flight") o.in_flight = std::max(1, std::stoi(v));
    else if (k == "--cids") cids = v;
    else return false;
    return true;
  });
  if (!known)
    return false;
  auto style = parse_cid_style(cids);
  if (!style) {
    std::fprintf(stderr, "parley-bench: --cids is counter or uuid, not %s\n", cids.c_str());
    return false;
  }
  o.cids = *style;
  if (o.scenario == "connect" && !rooms_given)
    o.rooms = std::max(1, o.connections / 100);  // rooms of 100, as in a busy app
  if (!make_protocol(o.system)) {
    std::fprintf(stderr, "parley-bench: unknown system %s\n", o.system.c_str());
    return false;
  }
  if (o.system == "parley" && o.secret.empty()) {
    std::fprintf(stderr, "parley-bench: --secret is needed for parley\n");
    return false;
  }
  return true;
}

/// The server's resident set (VmRSS) in KiB; 0 if unknown.
long rss_kib(int pid) {
  if (pid <= 0)
    return 0;
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return 0;
}

/// Time for the server to finish the connect storm's work before its memory is measured.
constexpr auto settle_time = std::chrono::seconds{2};

/// Runs the scenario in one process.
shard_result run_alone(const options& o, long& rss_before, long& rss_after) {
  coordination co;
  co.ready = [&](const shard_result&) {};
  co.go = [] { return true; };
  // connect: settle, measure, hold; the event loop keeps running meanwhile.
  std::optional<std::chrono::steady_clock::time_point> held_since;
  bool measured = false;  // rss_kib answers 0 without --server-pid: not a flag of its own
  co.stop = [&] {
    auto now = std::chrono::steady_clock::now();
    if (!held_since)
      held_since = now;
    if (!measured && now - *held_since >= settle_time) {
      rss_after = rss_kib(o.server_pid);
      measured = true;
    }
    return measured &&
           now - *held_since >= settle_time + std::chrono::duration<double>(o.hold);
  };
  rss_before = rss_kib(o.server_pid);
  return run_shard(o, 0, 1, co);
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n')
    line += c;
  return line;
}

/// True once a line can be read from `fd` without waiting (it is then read).
bool line_arrived(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0)
    return false;
  read_line(fd);
  return true;
}

void write_line(int fd, const std::string& line) {
  auto text = line + "\n";
  auto rc = ::write(fd, text.data(), text.size());
  (void)rc;
}

/// Runs the scenario in K processes: each connects its share and says READY; once all are
/// ready, the parent measures the server (connect) and says GO; each runs and reports.
shard_result run_forked(const options& o, long& rss_before, long& rss_after) {
  struct child {
    pid_t pid;
    int to, from;
  };
  std::vector<child> kids;
  rss_before = rss_kib(o.server_pid);
  for (int k = 0; k < o.processes; ++k) {
    int down[2], up[2];
    if (::pipe(down) != 0 || ::pipe(up) != 0)
      std::exit(1);
    auto pid = ::fork();
    if (pid == 0) {
      ::close(down[1]);
      ::close(up[0]);
      coordination co;
      co.ready = [&](const shard_result& r) {
        write_line(up[1], "READY " + std::to_string(r.connected));
      };
      co.go = [&] { return line_arrived(down[0]); };    // GO
      co.stop = [&] { return line_arrived(down[0]); };  // STOP (connect)
      auto r = run_shard(o, k, o.processes, co);
      write_line(up[1], "RESULT " + r.serialize());
      ::_exit(0);
    }
    ::close(down[0]);
    ::close(up[1]);
    kids.push_back({pid, down[1], up[0]});
  }
  for (auto& c : kids)
    read_line(c.from);  // READY
  if (o.scenario == "connect") {
    std::this_thread::sleep_for(settle_time);  // the children keep reading meanwhile
    rss_after = rss_kib(o.server_pid);
  }
  for (auto& c : kids)
    write_line(c.to, "GO");
  if (o.scenario == "connect") {
    std::this_thread::sleep_for(std::chrono::duration<double>(o.hold));
    for (auto& c : kids)
      write_line(c.to, "STOP");
  }
  shard_result total;
  for (auto& c : kids) {
    auto line = read_line(c.from);
    if (line.rfind("RESULT ", 0) == 0)
      total.merge(shard_result::parse(line.substr(7)));
    else
      ++total.failures;
    ::waitpid(c.pid, nullptr, 0);
  }
  return total;
}

void print_latency(const char* name, const hdr_histogram& h) {
  std::printf("%-9s %9llu %9llu %9llu %9llu %9llu %10llu\n", name,
              (unsigned long long)h.at(0.5), (unsigned long long)h.at(0.9),
              (unsigned long long)h.at(0.99), (unsigned long long)h.at(0.999),
              (unsigned long long)h.max(), (unsigned long long)h.count());
}

std::string latency_json(const hdr_histogram& h) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                R"({"p50":%llu,"p90":%llu,"p99":%llu,"p999":%llu,"max":%llu,"count":%llu})",
                (unsigned long long)h.at(0.5), (unsigned long long)h.at(0.9),
                (unsigned long long)h.at(0.99), (unsigned long long)h.at(0.999),
                (unsigned long long)h.max(), (unsigned long long)h.count());
  return buf;
}

/// A probe that could not measure: the reason on stderr, a JSON line that says so (the
/// report keeps the run apart), exit code 1.
int probe_failed(const char* scenario, const char* system, const std::string& error) {
  std::fprintf(stderr, "parley-bench: %s\n", error.c_str());
  std::printf(R"({"scenario":"%s","system":"%s","error":"probe failed"})" "\n", scenario, system);
  return 1;
}

int run_fsync(const disk_probe_options& o) {
  auto r = run_disk_probe(o);
  if (!r.error.empty())
    return probe_failed("fsync", "disk", r.error);
  std::printf("fsync on %s: %d writes of %zu bytes, one every %lld us\n", o.dir.c_str(),
              o.count, o.write_bytes, static_cast<long long>(o.interval.count()));
  std::printf("%-9s %9s %9s %9s %9s %9s %10s\n", "latency", "p50 us", "p90 us", "p99 us",
              "p99.9 us", "max us", "samples");
  print_latency("fdatasync", r.fdatasync_us);
  std::printf(R"({"scenario":"fsync","system":"disk","count":%d,"bytes":%zu,"interval_us":%lld,)"
              R"("fdatasync_us":%s})" "\n",
              o.count, o.write_bytes, static_cast<long long>(o.interval.count()),
              latency_json(r.fdatasync_us).c_str());
  return 0;
}

int run_tcpsend(const send_probe_options& o) {
  auto r = run_send_probe(o);
  if (!r.error.empty())
    return probe_failed("tcpsend", "loopback", r.error);
  double ns = r.ns_per_send();
  double ns_frame = r.ns_per_frame(o.frames);
  std::printf("tcpsend: %d loopback connections, %d frame(s) of %zu bytes per send, %.1f s\n",
              o.connections, o.frames, o.bytes, r.seconds);
  std::printf("%lld sends (%.0f/s); the sender's CPU: %.0f ns per send, %.0f ns per frame, so at "
              "most %.0f frames/s on one core\n",
              static_cast<long long>(r.sends), static_cast<double>(r.sends) / r.seconds, ns,
              ns_frame, ns_frame > 0 ? 1e9 / ns_frame : 0.0);
  std::printf(R"({"scenario":"tcpsend","system":"loopback","connections":%d,"bytes":%zu,)"
              R"("frames":%d,"sends":%lld,"bytes_sent":%lld,"seconds":%.3f,"sender_cpu_s":%.4f,)"
              R"("ns_per_send":%.1f,"ns_per_frame":%.1f})" "\n",
              o.connections, o.bytes, o.frames, static_cast<long long>(r.sends),
              static_cast<long long>(r.bytes_sent), r.seconds, r.sender_cpu_s, ns, ns_frame);
  return 0;
}

/// A probe without a server (fsync, tcpsend): its options, or the usage and exit code 2.
template <class Options, class Parse, class Run>
int run_probe(int argc, char** argv, Parse parse, Run run) {
  Options o;
  if (!parse(argc, argv, o)) {
    usage();
    return 2;
  }
  return run(o);
}

}  // namespace

int main(int argc, char** argv) {
  std::string command = argc >= 2 ? argv[1] : "";
  if (command == "tcpsend")
    return run_probe<send_probe_options>(argc, argv, parse_tcpsend, run_tcpsend);
  if (command == "fsync")
    return run_probe<disk_probe_options>(argc, argv, parse_fsync, run_fsync);
  options o;
  if (!parse(argc, argv, o)) {
    usage();
    return 2;
  }
  if (!setup_rooms(o))
    return 1;
  long rss_before = 0, rss_after = 0;
  auto r = o.processes > 1 ? run_forked(o, rss_before, rss_after)
                           : run_alone(o, rss_before, rss_after);
  bool acks = make_protocol(o.system)->acks_publish();

  std::printf("%s on %s: ", o.scenario.c_str(), o.system.c_str());
  std::string json = R"({"scenario":")" + o.scenario + R"(","system":")" + o.system + "\"";
  auto add = [&](const std::string& k, const std::string& v) { json += ",\"" + k + "\":" + v; };
  add("connected", std::to_string(r.connected));
  add("failures", std::to_string(r.failures));
  add("errors", std::to_string(r.errors));
  if (o.scenario == "connect") {
    auto per_s = r.connect_seconds > 0 ? r.connected / r.connect_seconds : 0;
    auto delta = rss_after - rss_before;
    double per_conn = r.connected > 0 ? static_cast<double>(delta) / r.connected : 0;
    std::printf("%lld connections (%lld failed) in %.1f s, %.0f/s; server RSS %+ld KiB, "
                "%.2f KiB per connection\n",
                (long long)r.connected, (long long)r.failures, r.connect_seconds, per_s, delta,
                per_conn);
    add("connections", std::to_string(o.connections));
    add("connect_per_s", std::to_string(static_cast<int64_t>(per_s)));
    add("rss_delta_kib", std::to_string(delta));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", per_conn);
    add("kib_per_connection", buf);
  } else {
    auto per_s = [&](int64_t n) { return static_cast<int64_t>(n / std::max(o.duration, 1e-9)); };
    int64_t subs_per_room = o.scenario == "fanout" ? o.subscribers : 0;
    int64_t lost = std::max<int64_t>(0, r.acked * subs_per_room - r.delivered);
    std::printf("%d room(s), %lld sent, %lld acked, %lld delivered, lost %lld, "
                "duplicated %lld, reordered %lld, errors %lld\n",
                o.rooms, (long long)r.sent, (long long)r.acked, (long long)r.delivered,
                (long long)lost, (long long)r.duplicated, (long long)r.reordered,
                (long long)r.errors);
    std::printf("%-9s %9s %9s %9s %9s %9s %10s\n", "latency", "p50 us", "p90 us", "p99 us",
                "p99.9 us", "max us", "samples");
    if (o.scenario == "fanout")
      print_latency("delivery", r.delivery_us);
    if (acks)
      print_latency("ack", r.ack_us);
    if (o.open_loop())
      print_latency("send late", r.send_late_us);
    add("rooms", std::to_string(o.rooms));
    add("subscribers", std::to_string(o.subscribers));
    add("publishers", std::to_string(o.publishers));
    add("cids", std::string{"\""} + to_string(o.cids) + "\"");
    add("rate", std::to_string(static_cast<int64_t>(o.rate)));
    add("duration_s", std::to_string(o.duration));
    add("sent", std::to_string(r.sent));
    add("acked", std::to_string(r.acked));
    add("delivered", std::to_string(r.delivered));
    add("lost", std::to_string(lost));
    add("duplicated", std::to_string(r.duplicated));
    add("reordered", std::to_string(r.reordered));
    add("deliveries_per_s", std::to_string(per_s(r.delivered_in_window)));
    add("events_per_s", std::to_string(per_s(r.ack_us.count())));
    add("delivery_us", latency_json(r.delivery_us));
    add("ack_us", acks ? latency_json(r.ack_us) : "null");
    add("send_late_us", o.open_loop() ? latency_json(r.send_late_us) : "null");
  }
  std::printf("%s}\n", json.c_str());
  return r.failures || r.duplicated || r.reordered ? 1 : 0;
}
