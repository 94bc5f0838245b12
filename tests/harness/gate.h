// Gate: how a unit test holds the calls of a fake in flight. The fake calls Pass() where its call
// would do its work: Pass() counts the call in and, while the test holds the gate, blocks until
// the test releases it. The test waits for calls to have come in with WaitForPassed(n).
// Thread-safe. Header-only, so any unit test binary can use it.
#pragma once

#include <chrono>

#include "common/mutex.h"

namespace dkv::test {

class Gate {
 public:
  void Hold() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    held_ = true;
  }
  void Release() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    held_ = false;
    changed_.SignalAll();
  }

  // Counts the caller in; returns once the gate is not held.
  void Pass() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    ++passed_;
    ++inside_;
    max_inside_ = inside_ > max_inside_ ? inside_ : max_inside_;
    changed_.SignalAll();
    while (held_) changed_.Wait();
    --inside_;
  }

  // Whether `n` calls have come in (held or not) within 10 s.
  bool WaitForPassed(int n) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (passed_ < n) {
      if (!changed_.WaitUntil(deadline) && passed_ < n) return false;
    }
    return true;
  }

  // The most calls that were in Pass() at once.
  int max_inside() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return max_inside_;
  }

 private:
  Mutex mu_;
  CondVar changed_{&mu_};
  bool held_ GUARDED_BY(mu_) = false;
  int passed_ GUARDED_BY(mu_) = 0;
  int inside_ GUARDED_BY(mu_) = 0;
  int max_inside_ GUARDED_BY(mu_) = 0;
};

}  // namespace dkv::test
