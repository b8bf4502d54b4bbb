#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace parley::bench {

/// Latency samples with exact percentiles. Debian has no C/C++ HDR histogram package; a run
/// records at most a few million samples, so keeping them all and sorting once is exact and
/// small enough (8 bytes a sample).
class samples {
public:
  struct stats {
    size_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  };

  void add(double v) { v_.push_back(v); }

  stats summary() {
    stats s;
    s.count = v_.size();
    if (v_.empty())
      return s;
    std::sort(v_.begin(), v_.end());
    auto at = [&](double q) {
      auto i = static_cast<size_t>(q * static_cast<double>(v_.size() - 1) + 0.5);
      return v_[std::min(i, v_.size() - 1)];
    };
    s.p50 = at(0.50);
    s.p90 = at(0.90);
    s.p99 = at(0.99);
    s.p999 = at(0.999);
    s.max = v_.back();
    return s;
  }

private:
  std::vector<double> v_;
};

}  // namespace parley::bench
