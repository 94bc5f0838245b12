// LatencyHistogram: an HDR-style log-linear histogram of latencies in nanoseconds, for dkv-bench.
//
// Values below 2^(kSubBucketBits+1) ns are counted exactly; above, each power-of-two range is cut
// into 2^kSubBucketBits equal buckets, so a bucket is at most 1/128 of its lower bound wide and a
// percentile read from the middle of its bucket is within 1/256 (~0.4%) of the true sample value.
// Values up to kMaxValueNs (~18 min) are kept; larger ones are clamped to it (and counted as such
// by max()). The bucket array is fixed at construction: Record never allocates.
//
// Thread-compatible: each worker thread records into histograms of its own, and the runner merges
// them after the threads have joined (Merge), so the hot path takes no lock and shares no cache
// line.
#pragma once

#include <cstdint>
#include <vector>

namespace dkv::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kMaxValueNs = (uint64_t{1} << 40) - 1;

  LatencyHistogram();

  // Counts one latency of `ns` nanoseconds (clamped to kMaxValueNs).
  void Record(uint64_t ns);
  // Adds every count of `other`, as if its values had been recorded here.
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }

  // The value at `percentile` (in [0, 100]): the smallest recorded value v such that at least
  // percentile% of the values are <= v, up to the bucket's resolution (the bucket's midpoint,
  // kept within [min(), max()]; exactly max() for the largest sample). 0 when empty.
  uint64_t Percentile(double percentile) const;

  // The bucket holding `ns` and the bucket's bounds, for tests.
  static int BucketIndexForTests(uint64_t ns) { return BucketIndex(ns); }
  static uint64_t BucketLowForTests(int index) { return BucketLow(index); }

 private:
  static int BucketIndex(uint64_t ns);
  static uint64_t BucketLow(int index);
  static uint64_t BucketWidth(int index);

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace dkv::bench
