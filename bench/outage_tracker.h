// OutageTracker: when writes failed around a kill, and when they were all back.
//
// dkv-failover-bench --target data (bench/data_failover.h) has writer threads Set a fixed set of
// keys in a loop and hands every call's outcome here. From them it derives, relative to the kill:
// the first failed write, the end of the outage (every key written again, by a write started after
// the kill, and no write failing after that) and the failed writes. Times are points on the
// steady clock; the arithmetic has unit tests (outage_tracker_test.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/mutex.h"

namespace dkv::bench {

// Thread-safe: writers Record concurrently while another thread reads Summarize.
class OutageTracker {
 public:
  using Clock = std::chrono::steady_clock;

  // Tracks `keys` keys, indexes 0..keys-1. Requires keys > 0.
  explicit OutageTracker(int keys);
  OutageTracker(const OutageTracker&) = delete;
  OutageTracker& operator=(const OutageTracker&) = delete;

  // Marks the kill. Only writes that end after it count as failed, and only writes that start
  // after it count as recovered. Call once, before the kill, with the time of the kill.
  void SetKilledAt(Clock::time_point killed_at);

  // A write of key `key` (0 <= key < keys) that ran from `start` to `end`. The writes of one key
  // must be recorded in the order they ran, one after the other (one writer per key).
  void Record(int key, Clock::time_point start, Clock::time_point end, bool ok);

  struct Summary {
    // Every key has had a successful write (before or after the kill).
    bool warmed_up = false;
    // Failed writes that ended before the kill: none, on a healthy cluster.
    int64_t failed_before_kill = 0;
    // From here on only writes that ended after the kill; times are since the kill.
    int64_t writes = 0;
    int64_t failed_writes = 0;
    std::optional<Clock::duration> first_failure;  // end of the first failed write
    std::optional<Clock::duration> last_failure;   // end of the last failed write
    // The end of the outage, when every key's latest failure (if any) has been followed by a
    // successful write that started after the kill: the latest end of those writes. Unset while a
    // key has no such write yet, and unset again by a later failure.
    std::optional<Clock::duration> recovered;
  };
  Summary Summarize() const;

 private:
  struct KeyState {
    bool written = false;                      // some write succeeded
    std::optional<Clock::time_point> back_at;  // end of the success after the kill and failures
  };

  mutable Mutex mu_;
  std::optional<Clock::time_point> killed_at_ GUARDED_BY(mu_);
  std::vector<KeyState> keys_ GUARDED_BY(mu_);
  Summary summary_ GUARDED_BY(mu_);  // all but warmed_up and recovered, kept up to date
};

}  // namespace dkv::bench
