// BenchResult: what one dkv-bench run measured, merged over its worker threads; RunBench fills
// it, report.h prints it. A plain value.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "bench/latency_histogram.h"
#include "bench/workload.h"
#include "dkv/status.h"

namespace dkv::bench {

// The number of Status codes (kOk .. kInternal), to count errors by code in a flat array.
inline constexpr int kStatusCodeCount = static_cast<int>(Status::Code::kInternal) + 1;

// The counts of one operation type (or of all of them) in the measured phase.
struct OpStats {
  // Calls that returned OK (for get, found or not). unsafe_set never reports an error, so all of
  // its calls count here. Only these calls are in `latency`.
  uint64_t ops = 0;
  // Calls that returned an error, by Status code.
  std::array<uint64_t, kStatusCodeCount> errors{};
  // The message of the last error seen for each code (empty if none), to show what went wrong.
  std::array<std::string, kStatusCodeCount> last_error;
  uint64_t get_misses = 0;  // keys a get or mget found no value for (those calls are in `ops`)
  LatencyHistogram latency;

  uint64_t error_count() const {
    uint64_t n = 0;
    for (uint64_t e : errors) n += e;
    return n;
  }
  // Adds the counts of `other`; the last messages of `other` win where it has one.
  void Merge(const OpStats& other);
};

struct BenchResult {
  std::array<OpStats, kOpTypeCount> by_op;
  OpStats all;  // the merge of by_op

  double elapsed_s = 0;  // the measured phase, from its start until the last worker stopped

  // The preload (when asked for): keys written, errors, and how long it took.
  uint64_t preload_ops = 0;
  uint64_t preload_errors = 0;
  std::string preload_last_error;
  double preload_elapsed_s = 0;
};

}  // namespace dkv::bench
