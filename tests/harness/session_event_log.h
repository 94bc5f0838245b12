// SessionEventLog: records a Coordinator's session events in order, for tests of session handling
// (MemoryCoordinator's unit tests and the ZooKeeper integration tests). Thread-safe.
#pragma once

#include <algorithm>
#include <vector>

#include "common/coord/coordinator.h"
#include "common/mutex.h"

namespace dkv::test {

class SessionEventLog {
 public:
  // A listener that appends to this log; the log must outlive the coordinator's use of it.
  coord::SessionListener Make() {
    return [this](coord::SessionEvent e) {
      MutexLock lock(&mu_);
      events_.push_back(e);
    };
  }

  std::vector<coord::SessionEvent> events() {
    MutexLock lock(&mu_);
    return events_;
  }

  bool Saw(coord::SessionEvent e) {
    MutexLock lock(&mu_);
    return std::find(events_.begin(), events_.end(), e) != events_.end();
  }

 private:
  Mutex mu_;
  std::vector<coord::SessionEvent> events_ GUARDED_BY(mu_);
};

}  // namespace dkv::test
