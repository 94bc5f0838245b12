// ActiveExpiry: the data node's background reclaiming of expired keys that nobody reads (lazy
// expiry only deletes what an op touches), after Redis's activeExpireCycle.
//
// About ten times a second (options.period) a cycle visits the slots holding keys with an expiry
// time, round-robin from where the previous cycle stopped. In each slot it looks at up to
// keys_per_sample such keys (Store::ExpireSome) and deletes the expired ones, and samples the slot
// again while more than a quarter of a sample was expired (many expired keys: keep going). A cycle
// stops when its time budget (options.cycle_budget, a quarter of the period by default, as in
// Redis) is spent, so reclaiming takes a bounded share of one core and each stripe lock is held for
// one sample only.
//
// Lifecycle: construct, Start() once, Stop() (or the destructor) before the Store goes away.
// Threads: one thread of its own, started by Start and joined by Stop. RunCycle may also be called
// directly (tests) while the thread is not running.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "common/mutex.h"
#include "common/slot.h"
#include "data/store.h"

namespace dkv::data {

struct ActiveExpiryOptions {
  std::chrono::milliseconds period{100};
  std::chrono::milliseconds cycle_budget{25};
  int keys_per_sample = 20;  // Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP
};

class ActiveExpiry {
 public:
  // `store` is not owned and must outlive this object.
  explicit ActiveExpiry(Store* store, ActiveExpiryOptions options = {});
  ~ActiveExpiry();  // Stop()
  ActiveExpiry(const ActiveExpiry&) = delete;
  ActiveExpiry& operator=(const ActiveExpiry&) = delete;

  void Start();
  // Wakes the thread up and joins it. Idempotent.
  void Stop() EXCLUDES(mu_);

  // One cycle (see the file comment); returns how many keys it deleted. Not thread-safe with
  // itself: called by the thread, or by a test while the thread is not running.
  int64_t RunCycle();

 private:
  void Loop() EXCLUDES(mu_);

  Store* const store_;
  const ActiveExpiryOptions options_;

  // Used by RunCycle only: the slot the next cycle starts at.
  Slot next_slot_ = 0;
  std::thread thread_;

  Mutex mu_;
  CondVar cv_{&mu_};
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace dkv::data
