#include "bench/outage_tracker.h"

#include <algorithm>
#include <cassert>

namespace dkv::bench {

OutageTracker::OutageTracker(int keys) : keys_(keys) { assert(keys > 0); }

void OutageTracker::SetKilledAt(Clock::time_point killed_at) {
  MutexLock lock(&mu_);
  assert(!killed_at_);
  killed_at_ = killed_at;
}

void OutageTracker::Record(int key, Clock::time_point start, Clock::time_point end, bool ok) {
  MutexLock lock(&mu_);
  KeyState& k = keys_.at(key);
  if (ok) k.written = true;
  // Compared by time, not by the order of calls: a write may end just before the kill and be
  // recorded just after SetKilledAt.
  if (!killed_at_ || end <= *killed_at_) {
    if (!ok) ++summary_.failed_before_kill;
    return;
  }
  ++summary_.writes;
  if (!ok) {
    ++summary_.failed_writes;
    const Clock::duration since_kill = end - *killed_at_;
    if (!summary_.first_failure) summary_.first_failure = since_kill;
    summary_.last_failure = std::max(summary_.last_failure.value_or(since_kill), since_kill);
    k.back_at.reset();  // not back until a later write succeeds
    return;
  }
  // A write that started before the kill may have reached the node before it died.
  if (start >= *killed_at_ && !k.back_at) k.back_at = end;
}

OutageTracker::Summary OutageTracker::Summarize() const {
  MutexLock lock(&mu_);
  Summary s = summary_;
  s.warmed_up =
      std::all_of(keys_.begin(), keys_.end(), [](const KeyState& k) { return k.written; });
  if (!killed_at_) return s;
  Clock::time_point back = *killed_at_;
  for (const KeyState& k : keys_) {
    if (!k.back_at) return s;
    back = std::max(back, *k.back_at);
  }
  s.recovered = back - *killed_at_;
  return s;
}

}  // namespace dkv::bench
