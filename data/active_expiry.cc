#include "data/active_expiry.h"

#include <algorithm>
#include <vector>

#include "common/logging.h"

namespace dkv::data {

ActiveExpiry::ActiveExpiry(Store* store, ActiveExpiryOptions options)
    : store_(store), options_(options) {}

ActiveExpiry::~ActiveExpiry() { Stop(); }

void ActiveExpiry::Start() {
  DKV_CHECK(!thread_.joinable()) << "ActiveExpiry::Start called twice";
  thread_ = std::thread([this] { Loop(); });
}

void ActiveExpiry::Stop() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void ActiveExpiry::Loop() {
  for (;;) {
    const auto next = std::chrono::steady_clock::now() + options_.period;
    const int64_t expired = RunCycle();
    if (expired != 0) DKV_LOG(DEBUG) << "active expiry deleted " << expired << " keys";
    MutexLock l(&mu_);
    while (!stopping_ && cv_.WaitUntil(next)) {
    }
    if (stopping_) return;
  }
}

int64_t ActiveExpiry::RunCycle() {
  const auto deadline = std::chrono::steady_clock::now() + options_.cycle_budget;
  std::vector<Slot> slots = store_->SlotsWithExpiry();
  if (slots.empty()) return 0;
  std::sort(slots.begin(), slots.end());
  // Round-robin: start at the first slot at or after where the last cycle stopped.
  const size_t first =
      static_cast<size_t>(std::lower_bound(slots.begin(), slots.end(), next_slot_) - slots.begin());
  int64_t expired = 0;
  for (size_t n = 0; n < slots.size(); ++n) {
    const Slot slot = slots[(first + n) % slots.size()];
    if (std::chrono::steady_clock::now() >= deadline) {
      next_slot_ = slot;
      return expired;
    }
    for (;;) {
      const Store::ExpireResult r = store_->ExpireSome(slot, options_.keys_per_sample);
      expired += r.expired;
      // More than a quarter of the sample was expired: likely many more, sample again.
      if (r.checked == 0 || r.expired * 4 <= r.checked ||
          std::chrono::steady_clock::now() >= deadline) {
        break;
      }
    }
  }
  next_slot_ = slots[first % slots.size()];
  return expired;
}

}  // namespace dkv::data
