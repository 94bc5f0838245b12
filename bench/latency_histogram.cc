// LatencyHistogram: bucket arithmetic, merging and percentiles. See latency_histogram.h.
//
// Bucket layout, with S = 2^kSubBucketBits: values v < 2S map to index v (width 1). For v >= 2S,
// let shift = msb(v) - kSubBucketBits, so v >> shift lies in [S, 2S); the index is
// (shift + 1) * S + (v >> shift) - S, and the bucket covers [(v >> shift) << shift, + 2^shift).
// So index block b >= 1 holds the octave [S << (b - 1), S << b), cut into S buckets.
#include "bench/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace dkv::bench {
namespace {

constexpr uint64_t kSub = uint64_t{1} << LatencyHistogram::kSubBucketBits;

int Msb(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(BucketIndex(kMaxValueNs) + 1, 0) {}

int LatencyHistogram::BucketIndex(uint64_t ns) {
  if (ns < 2 * kSub) return static_cast<int>(ns);
  const int shift = Msb(ns) - kSubBucketBits;
  return static_cast<int>((shift + 1) * kSub + (ns >> shift) - kSub);
}

uint64_t LatencyHistogram::BucketLow(int index) {
  const uint64_t i = static_cast<uint64_t>(index);
  if (i < 2 * kSub) return i;
  const uint64_t shift = i / kSub - 1;
  return (kSub + i % kSub) << shift;
}

uint64_t LatencyHistogram::BucketWidth(int index) {
  const uint64_t i = static_cast<uint64_t>(index);
  if (i < 2 * kSub) return 1;
  return uint64_t{1} << (i / kSub - 1);
}

void LatencyHistogram::Record(uint64_t ns) {
  ns = std::min(ns, kMaxValueNs);
  ++counts_[BucketIndex(ns)];
  ++count_;
  sum_ += ns;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Percentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // The rank of the wanted sample, 1-based: at least one sample, at most all of them.
  const auto rank = std::clamp<uint64_t>(
      static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_))), 1,
      count_);
  if (rank == count_) return max_;  // the largest sample is known exactly
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const int index = static_cast<int>(i);
      const uint64_t mid = BucketLow(index) + BucketWidth(index) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;  // unreachable: the counts sum to count_
}

}  // namespace dkv::bench
