#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

/// A log-linear (HDR-style) histogram of non-negative integers (microseconds here):
/// exact below 64, then 32 buckets per power of two, so any value is kept within 1/32
/// (about 3 %) of itself. Fixed size (~2k counters) whatever the number of samples, and
/// histograms of several processes merge by adding counts. Debian packages no C/C++ HDR
/// histogram library; this is the part of one that a load generator needs.
class hdr_histogram {
public:
  static constexpr size_t bucket_count = 64 + 58 * 32;

  hdr_histogram() : counts_(bucket_count, 0) {}

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++total_;
    if (v > max_)
      max_ = v;
  }

  void merge(const hdr_histogram& o) {
    for (size_t i = 0; i < bucket_count; ++i)
      counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
  }

  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }

  /// The value at quantile q (0..1): the upper edge of the bucket holding it.
  uint64_t at(double q) const {
    if (total_ == 0)
      return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= rank)
        return std::min(upper(i), max_);
    }
    return max_;
  }

  /// "i:count,i:count" for the non-empty buckets (to pass between processes).
  std::string serialize() const {
    std::string out = std::to_string(max_);
    for (size_t i = 0; i < bucket_count; ++i)
      if (counts_[i])
        out += " " + std::to_string(i) + ":" + std::to_string(counts_[i]);
    return out;
  }

  static hdr_histogram parse(const std::string& text) {
    hdr_histogram h;
    size_t pos = 0;
    h.max_ = std::stoull(text, &pos);
    while (pos < text.size()) {
      auto colon = text.find(':', pos);
      if (colon == std::string::npos)
        break;
      auto i = std::stoull(text.substr(pos, colon - pos));
      size_t used = 0;
      auto n = std::stoull(text.substr(colon + 1), &used);
      if (i < bucket_count) {
        h.counts_[i] += n;
        h.total_ += n;
      }
      pos = colon + 1 + used;
    }
    return h;
  }

private:
  static size_t index(uint64_t v) {
    if (v < 64)
      return static_cast<size_t>(v);
    int msb = 63 - std::countl_zero(v);
    int shift = msb - 5;
    return 64 + static_cast<size_t>(msb - 6) * 32 + static_cast<size_t>((v >> shift) - 32);
  }

  static uint64_t upper(size_t i) {
    if (i < 64)
      return i;
    size_t k = i - 64;
    int shift = static_cast<int>(k / 32) + 1;
    uint64_t mantissa = 32 + k % 32;
    return ((mantissa + 1) << shift) - 1;
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace parley::bench
