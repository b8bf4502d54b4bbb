#include "net/metrics_text.hpp"

#include <cstdio>

namespace parley::net {
namespace {

/// "0.0005", not "5e-04": bucket bounds read like the numbers they are.
std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

class writer {
public:
  void counter(const char* name, const char* help, uint64_t v) {
    head(name, help, "counter");
    out_ += std::string{name} + " " + std::to_string(v) + "\n";
  }

  void gauge(const char* name, const char* help, int64_t v) {
    head(name, help, "gauge");
    out_ += std::string{name} + " " + std::to_string(v) + "\n";
  }

  void histogram(const char* name, const char* help, const actors::histogram& h) {
    head(name, help, "histogram");
    auto counts = h.counts();
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.bounds().size(); ++i) {
      cumulative += counts[i];
      out_ += std::string{name} + "_bucket{le=\"" + number(h.bounds()[i]) + "\"} " +
              std::to_string(cumulative) + "\n";
    }
    cumulative += counts.back();
    out_ += std::string{name} + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
    out_ += std::string{name} + "_sum " + number(h.sum()) + "\n";
    out_ += std::string{name} + "_count " + std::to_string(cumulative) + "\n";
  }

  std::string take() { return std::move(out_); }

private:
  void head(const char* name, const char* help, const char* type) {
    out_ += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }

  std::string out_;
};

}  // namespace

std::string render_metrics(const actors::metrics& m, const metrics_extras& x) {
  writer w;
  w.gauge("parley_connections", "WebSocket connections open now.", m.connections_open.value());
  w.counter("parley_connections_total", "WebSocket connections accepted.",
            m.connections_total.value());
  w.counter("parley_connections_refused_total", "Upgrades refused by a connection limit.",
            m.connections_refused.value());
  w.gauge("parley_sessions", "Authenticated WebSocket sessions now.", m.sessions.value());
  w.gauge("parley_rooms_active", "Room actors running now.", m.rooms_active.value());
  w.counter("parley_auth_failures_total", "Tokens refused.", m.auth_failures.value());
  w.counter("parley_bad_frames_total", "Malformed frames answered with bad_request.",
            m.bad_frames.value());
  w.counter("parley_slow_consumer_closes_total", "Connections closed with 4009.",
            m.slow_consumer_closes.value());
  w.counter("parley_requests_total", "Requests decoded (WebSocket and HTTP API).",
            m.requests.value());
  w.counter("parley_rate_limited_total", "Requests refused by the per-user rate limit.",
            m.rate_limited.value());
  w.counter("parley_catch_up_waits_total",
            "Catch-up requests (join, history, rooms) that waited for a slot "
            "(limits.catch_up_in_flight).",
            m.catch_up_waits.value());
  w.counter("parley_events_committed_total", "Persistent room events committed (events in).",
            m.events_committed.value());
  w.counter("parley_ephemeral_events_total", "Typing events sent to rooms.",
            m.ephemeral_events.value());
  w.counter("parley_deliveries_total", "Event frames queued to connections (events out).",
            m.deliveries.value());
  w.gauge("parley_writer_backlog", "Writes waiting for the writers (queue depth).",
          x.writer_backlog);
  w.gauge("parley_storage_healthy", "1 while every store connection works, else 0.",
          x.storage_healthy ? 1 : 0);
  w.counter("parley_writer_batches_total", "Group commits.", m.writer_batches.value());
  w.counter("parley_storage_failures_total", "Group commits that failed.",
            m.storage_failures.value());
  w.histogram("parley_writer_batch_events", "Events per group commit.", m.writer_batch_events);
  w.histogram("parley_request_queue_seconds",
              "From a WebSocket request's read being handed to its session to the session taking it.",
              m.request_queue);
  w.histogram("parley_ack_latency_seconds",
              "From a write reaching its room to its commit being acknowledged.",
              m.ack_latency);
  w.histogram("parley_delivery_latency_seconds",
              "From an event's commit to its frame being written to a socket.",
              m.delivery_latency);
  return w.take();
}

}  // namespace parley::net
