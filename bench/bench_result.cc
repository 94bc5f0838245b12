// OpStats::Merge. See bench_result.h.
#include "bench/bench_result.h"

namespace dkv::bench {

void OpStats::Merge(const OpStats& other) {
  ops += other.ops;
  for (int i = 0; i < kStatusCodeCount; ++i) {
    errors[i] += other.errors[i];
    if (!other.last_error[i].empty()) last_error[i] = other.last_error[i];
  }
  get_misses += other.get_misses;
  latency.Merge(other.latency);
}

}  // namespace dkv::bench
