// RestartPolicy: when a failed child may be restarted, and after how long.
//
// Two rules, as an OTP supervisor with a backoff added:
//   - intensity: at most `max_restarts` restarts within any `window`; one more failure gives up;
//   - backoff: the n-th consecutive failure waits backoff_initial * 2^(n-1), capped at backoff_max.
//     A child that ran for a whole `window` before failing counts as stable: its backoff starts
//     over.
//
// Pure logic: the caller passes every time point, so tests drive it with a fake clock. One policy
// per child; not thread-safe (the supervisor's single loop thread owns it).
#pragma once

#include <chrono>
#include <deque>

namespace dkv::supervisor {

using SteadyTime = std::chrono::steady_clock::time_point;

struct RestartLimits {
  int max_restarts = 5;                     // 0: the first failure gives up
  std::chrono::milliseconds window{30000};  // > 0
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};  // >= backoff_initial
};

class RestartPolicy {
 public:
  struct Decision {
    bool give_up = false;
    std::chrono::milliseconds delay{0};  // wait this long before restarting; 0 if give_up
  };

  explicit RestartPolicy(RestartLimits limits) : limits_(limits) {}

  // A child started at `started` failed at `now` and its restart type asks for a restart. Records
  // the restart (unless giving up) and says whether to give up or how long to wait first.
  Decision OnFailure(SteadyTime started, SteadyTime now);

  // Restarts recorded within the window ending at `now`.
  int RestartsInWindow(SteadyTime now) const;

  // Forgets every failure: the next one restarts after backoff_initial.
  void Reset();

  const RestartLimits& limits() const { return limits_; }

 private:
  void Expire(SteadyTime now);

  RestartLimits limits_;
  std::deque<SteadyTime> recent_;  // restart times within the window, oldest first
  int consecutive_ = 0;            // failures since the child was last stable
};

}  // namespace dkv::supervisor
