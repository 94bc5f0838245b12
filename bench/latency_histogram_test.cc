// LatencyHistogram: exact small values, bounded relative error of percentiles on known and
// random distributions, and merging.
#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace dkv::bench {
namespace {

// The nearest-rank percentile of sorted `values`, as LatencyHistogram defines it.
uint64_t ExactPercentile(const std::vector<uint64_t>& sorted, double percentile) {
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(sorted.size()))));
  return sorted[rank - 1];
}

// The documented bound: within 1/256 of the true value (half a bucket of at most 1/128).
void ExpectClose(uint64_t actual, uint64_t expected) {
  EXPECT_LE(std::abs(static_cast<double>(actual) - static_cast<double>(expected)),
            static_cast<double>(expected) / 256.0 + 1.0)
      << "actual " << actual << ", expected " << expected;
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 0; v < 256; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 127u);
  EXPECT_EQ(h.Percentile(100), 255u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndNarrow) {
  int previous = -1;
  for (uint64_t v = 0; v < (uint64_t{1} << 20); v += 7) {
    const int index = LatencyHistogram::BucketIndexForTests(v);
    EXPECT_GE(index, previous);
    EXPECT_LE(LatencyHistogram::BucketLowForTests(index), v);
    // A bucket starts within 1/128 below any value it holds.
    EXPECT_LE(v - LatencyHistogram::BucketLowForTests(index), v / 128);
    previous = index;
  }
}

TEST(LatencyHistogramTest, PercentilesOfUniformValuesAreWithinBound) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v * 100);  // 100 ns .. 10 ms
  ExpectClose(h.Percentile(50), 5000000);
  ExpectClose(h.Percentile(90), 9000000);
  ExpectClose(h.Percentile(99), 9900000);
  ExpectClose(h.Percentile(99.9), 9990000);
  EXPECT_EQ(h.Percentile(100), 10000000u);
  EXPECT_DOUBLE_EQ(h.mean(), 5000050.0);
}

TEST(LatencyHistogramTest, PercentilesOfLogNormalValuesAreWithinBound) {
  // A long-tailed distribution like real latencies: median ~50 us, tail into milliseconds.
  std::mt19937_64 gen(42);
  std::lognormal_distribution<double> dist(std::log(50000.0), 1.0);
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<uint64_t>(dist(gen));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    SCOPED_TRACE(p);
    ExpectClose(h.Percentile(p), ExactPercentile(values, p));
  }
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
}

TEST(LatencyHistogramTest, MergedHistogramEqualsOneThatSawEverything) {
  std::mt19937_64 gen(7);
  std::exponential_distribution<double> dist(1.0 / 80000.0);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    const auto v = static_cast<uint64_t>(dist(gen));
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.Percentile(p), all.Percentile(p));
}

TEST(LatencyHistogramTest, HugeValuesAreClamped) {
  LatencyHistogram h;
  h.Record(UINT64_MAX);
  EXPECT_EQ(h.max(), LatencyHistogram::kMaxValueNs);
  ExpectClose(h.Percentile(50), LatencyHistogram::kMaxValueNs);
}

}  // namespace
}  // namespace dkv::bench
