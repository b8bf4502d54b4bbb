#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace parley::bench {

/// What the `tcpsend` scenario measures: the CPU one `send` of a small frame on a loopback
/// TCP connection costs the sending thread, with nothing else to do. A broker that delivers
/// messages one at a time pays it once per delivery, so it caps the sends one core can make
/// per second, and with it how far a server must batch (and so delay) deliveries at a given
/// load: bench/compare/report.py turns it into a lower bound under the latency of the
/// half-load scenarios.
struct send_probe_options {
  int connections = 2'000;  ///< as many as the fan-out scenarios' subscribers
  size_t bytes = 160;       ///< about one delivered `msg` frame of the fan-out scenarios
  /// Frames per send: one `sendmsg` gathers this many frames of `bytes` (a connection's
  /// backlog written in one call, as the servers do under load). 1: a frame per call, what
  /// a delivery that shares no call costs; 50: about what Parley's and NATS's saturated
  /// fan-outs gather per call (53 and 58 measured), so the kernel's part of a delivery there.
  int frames = 1;
  double seconds = 3;
  int receiver_cpu = -1;  ///< pins the reading thread (the load generator's CPU); -1: not
};

struct send_probe_result {
  int64_t sends = 0;
  int64_t bytes_sent = 0;   ///< what the sends' calls reported written, all frames
  double seconds = 0;       ///< wall time of the sending loop
  double sender_cpu_s = 0;  ///< the sending thread's CPU time (user and system)
  std::string error;        ///< empty on success

  double ns_per_send() const { return sends > 0 ? sender_cpu_s * 1e9 / static_cast<double>(sends) : 0; }
  double ns_per_frame(int frames) const { return ns_per_send() / std::max(1, frames); }
};

/// Opens `connections` loopback TCP connections (TCP_NODELAY, as servers set it), sends
/// `frames` × `bytes` in one `sendmsg` on each in turn from the calling thread for
/// `seconds`, while a second thread reads every connection with epoll, and reports the
/// sending thread's CPU per send. Blocking
/// sends: a full socket waits without using CPU, so the figure stays the cost of a send.
send_probe_result run_send_probe(const send_probe_options& o);

}  // namespace parley::bench
