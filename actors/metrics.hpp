#pragma once

#include <array>
#include <memory>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::actors {

/// A monotonically increasing count (Prometheus counter).
class counter {
public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
  std::atomic<uint64_t> v_{0};
};

/// A value that goes up and down (Prometheus gauge).
class gauge {
public:
  void add(int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void sub(int64_t n = 1) { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
  std::atomic<int64_t> v_{0};
};

/// A histogram with fixed bucket bounds (Prometheus histogram: cumulative on output).
/// Lock-free: one relaxed increment per observation. Debian packages no C++ Prometheus
/// client, and the text format is a dozen lines (net/metrics_text.cpp).
class histogram {
public:
  /// Buckets at most, the +Inf one included (so that a histogram_batch fits on the stack).
  static constexpr size_t max_buckets = 24;

  /// Throws std::invalid_argument for more than max_buckets - 1 bounds.
  explicit histogram(std::vector<double> bounds);

  void observe(double v);
  /// The bucket `v` counts into: the first whose bound holds it, else the +Inf one.
  size_t bucket_of(double v) const;
  /// Adds a batch's counts (`counts[i]` into bucket i), its count and its sum in millionths.
  void add(const std::array<uint64_t, max_buckets>& counts, uint64_t count, uint64_t sum_micros);

  const std::vector<double>& bounds() const { return bounds_; }
  /// Per-bucket (not cumulative) counts; the last one is the +Inf bucket.
  std::vector<uint64_t> counts() const;
  double sum() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};  ///< The sum in millionths (of seconds, or units).
};

/// Observations counted on one thread and added to a histogram when the batch ends: one
/// atomic add per bucket touched, not three per observation. A socket write observes the
/// delivery latency of every frame in it (~50 under load), and the per-frame adds were
/// 2 % of the broker.
class histogram_batch {
public:
  explicit histogram_batch(histogram& h) : h_(h) {}
  histogram_batch(const histogram_batch&) = delete;
  histogram_batch& operator=(const histogram_batch&) = delete;
  ~histogram_batch() {
    if (count_ > 0)
      h_.add(counts_, count_, sum_micros_);
  }

  void observe(double v) {
    ++counts_[h_.bucket_of(v)];
    ++count_;
    if (v > 0)
      sum_micros_ += static_cast<uint64_t>(v * 1e6);
  }

private:
  histogram& h_;
  std::array<uint64_t, histogram::max_buckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_micros_ = 0;
};

/// Everything /metrics reports, process-wide: the actors and the net layer count into it
/// where things happen, and net/metrics_text.cpp renders it.
struct metrics {
  // connections and sessions
  gauge connections_open;          ///< WebSocket connections now (authenticated or not)
  counter connections_total;       ///< WebSocket connections accepted
  gauge sessions;                  ///< authenticated WebSocket sessions now
  counter auth_failures;           ///< tokens refused (upgrade, auth frame, API)
  counter connections_refused;     ///< upgrades refused by a connection limit
  counter slow_consumer_closes;    ///< connections closed with 4009
  counter bad_frames;              ///< malformed frames answered with bad_request
  // requests and events
  counter requests;                ///< decoded requests (WebSocket and HTTP API)
  counter rate_limited;            ///< requests refused by the rate limit
  counter catch_up_waits;          ///< catch-up requests that waited for a lane slot
  counter events_committed;        ///< persistent room events committed
  counter ephemeral_events;        ///< typing and read events sent to rooms
  counter deliveries;              ///< event frames queued to connections
  gauge rooms_active;              ///< room actors running
  // storage
  histogram writer_batch_events{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}};
  counter writer_batches;
  counter storage_failures;        ///< batches that failed (unavailable, in doubt)
  // latency, in seconds
  histogram request_queue{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                           0.1, 0.25, 0.5, 1, 2.5}};  ///< frame decoded -> its session takes it
  histogram ack_latency{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                         2.5, 5, 10}};
  histogram delivery_latency{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                              0.05, 0.1, 0.25, 0.5, 1, 2.5}};
};

/// The process's metrics.
metrics& global_metrics();

}  // namespace parley::actors
