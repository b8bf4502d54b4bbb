#include "actors/metrics.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace parley::actors {

histogram::histogram(std::vector<double> bounds)
  : bounds_(std::move(bounds)),
    buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  if (bounds_.size() + 1 > max_buckets)
    throw std::invalid_argument("histogram: more bounds than max_buckets - 1");
  for (size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0, std::memory_order_relaxed);
}

size_t histogram::bucket_of(double v) const {
  return static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                             bounds_.begin());
}

void histogram::observe(double v) {
  buckets_[bucket_of(v)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (v > 0)
    sum_micros_.fetch_add(static_cast<uint64_t>(v * 1e6), std::memory_order_relaxed);
}

void histogram::add(const std::array<uint64_t, max_buckets>& counts, uint64_t count,
                    uint64_t sum_micros) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    if (counts[i] != 0)
      buckets_[i].fetch_add(counts[i], std::memory_order_relaxed);
  count_.fetch_add(count, std::memory_order_relaxed);
  sum_micros_.fetch_add(sum_micros, std::memory_order_relaxed);
}

std::vector<uint64_t> histogram::counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

double histogram::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

metrics& global_metrics() {
  static metrics m;
  return m;
}

}  // namespace parley::actors
