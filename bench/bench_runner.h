// RunBench: one dkv-bench run against a live cluster, through the C++ client library.
//
// Phases: connect options.clients Clients; preload (optional: every key of the key space is Set
// once, split over the worker threads); warm-up (the workload runs for options.warmup, nothing is
// recorded); measured phase (until options.duration has passed or options.ops calls have been
// issued). Each worker thread runs one call at a time, closed loop, and records the latency of
// every measured call (steady clock, nanoseconds) into histograms of its own; the runner merges
// them once the threads have joined. The calling thread only coordinates: it flips the phases
// and prints a progress line per second when asked to.
#pragma once

#include <ostream>

#include "bench/bench_options.h"
#include "bench/bench_result.h"
#include "dkv/result.h"

namespace dkv::bench {

// Whether the run prints progress lines: --progress on/off, or for auto when stderr is a
// terminal or the measured phase is set to last longer than 10 s.
bool ShouldShowProgress(const BenchOptions& options, bool stderr_is_tty);

// Runs the benchmark; when show_progress, a line per second goes to `progress`. Returns the
// merged counts; a failed call is counted in the result by its Status code, never returned.
// Errors: INVALID_ARGUMENT for inconsistent options (e.g. a key size too small for the key
// space), or the Status of Client::Connect (UNAVAILABLE when ZooKeeper is unreachable).
// Thread-compatible: calls share no state, though running two at once measures neither well.
Result<BenchResult> RunBench(const BenchOptions& options, bool show_progress,
                             std::ostream& progress);

}  // namespace dkv::bench
