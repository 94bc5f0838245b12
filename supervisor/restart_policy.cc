#include "supervisor/restart_policy.h"

#include <algorithm>

namespace dkv::supervisor {

void RestartPolicy::Expire(SteadyTime now) {
  while (!recent_.empty() && now - recent_.front() >= limits_.window) recent_.pop_front();
}

RestartPolicy::Decision RestartPolicy::OnFailure(SteadyTime started, SteadyTime now) {
  // Ran for a whole window: whatever failed before is history, the backoff starts over.
  if (now - started >= limits_.window) consecutive_ = 0;
  Expire(now);
  Decision d;
  if (static_cast<int>(recent_.size()) >= limits_.max_restarts) {
    d.give_up = true;
    return d;
  }
  recent_.push_back(now);
  // Double per consecutive failure, stopping at the cap (and before the shift could overflow).
  std::chrono::milliseconds delay = limits_.backoff_initial;
  for (int i = 0; i < consecutive_ && delay < limits_.backoff_max; ++i) delay *= 2;
  d.delay = std::min(delay, limits_.backoff_max);
  ++consecutive_;
  return d;
}

int RestartPolicy::RestartsInWindow(SteadyTime now) const {
  return static_cast<int>(std::count_if(recent_.begin(), recent_.end(),
                                        [&](SteadyTime t) { return now - t < limits_.window; }));
}

void RestartPolicy::Reset() {
  recent_.clear();
  consecutive_ = 0;
}

}  // namespace dkv::supervisor
