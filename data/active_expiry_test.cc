#include "data/active_expiry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace dkv::data {
namespace {

TEST(ActiveExpiryTest, CyclesDeleteExpiredKeysNobodyReadsAndKeepTheOthers) {
  std::atomic<int64_t> now{1000};
  Store store([&now] { return now.load(); });
  for (Slot s = 0; s < 8; ++s) store.AddSlot(s);
  for (int i = 0; i < 4000; ++i) {
    const Slot slot = i % 8;
    // 3/4 of the keys expire at 2000, 1/8 later, 1/8 never.
    const int64_t expire_at_ms = i % 8 < 6 ? 2000 : (i % 8 == 6 ? 9000 : 0);
    const Status s = store.Access(
        slot, true, [&](LockedSlot& t) { t.Put(0, "k" + std::to_string(i), "v", expire_at_ms); });
    ASSERT_TRUE(s.ok());
  }
  ActiveExpiry expiry(&store);
  EXPECT_EQ(expiry.RunCycle(), 0);  // nothing is expired yet
  EXPECT_EQ(store.KeyCount(), 4000);

  now = 3000;
  int64_t deleted = 0;
  for (int cycle = 0; cycle < 100 && store.KeyCount() > 1000; ++cycle) deleted += expiry.RunCycle();
  EXPECT_EQ(deleted, 3000);
  EXPECT_EQ(store.KeyCount(), 1000);
  EXPECT_EQ(expiry.RunCycle(), 0);
}

TEST(ActiveExpiryTest, ThreadReclaimsAnUnreadKeyWithAShortTtl) {
  Store store;
  store.AddSlot(0);
  const Status s = store.Access(0, true, [&](LockedSlot& t) {
    t.Put(0, "short", "v", store.NowMs() + 100);
    t.Put(0, "kept", "v", 0);
  });
  ASSERT_TRUE(s.ok());
  ActiveExpiry expiry(&store);
  expiry.Start();
  // Generous for loaded machines: the key expires after 100 ms, a cycle runs every 100 ms.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store.KeyCount() != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store.KeyCount(), 1);
  expiry.Stop();
  expiry.Stop();  // idempotent
}

}  // namespace
}  // namespace dkv::data
