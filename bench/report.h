// The two outputs of dkv-bench: a human-readable table (PrintTable) and one JSON object
// (PrintJson) with the run's parameters and results. The JSON field names are documented in
// docs/benchmarking.md and are stable: scripts (scripts/bench-compare) parse them.
//
// Latencies are reported in microseconds (the histograms hold nanoseconds). "ops" counts calls
// that returned OK; calls that failed are counted apart, by Status code, and are in no latency
// figure.
#pragma once

#include <ostream>

#include "bench/bench_options.h"
#include "bench/bench_result.h"

namespace dkv::bench {

// Parameters, one line per operation type in the mix plus "all" (ops, ops/s, errors, p50, p90,
// p99, p99.9 and max latency), get misses, and errors by code with the last message of each.
void PrintTable(const BenchOptions& options, const BenchResult& result, std::ostream& out);

// One JSON object and a newline.
void PrintJson(const BenchOptions& options, const BenchResult& result, std::ostream& out);

}  // namespace dkv::bench
