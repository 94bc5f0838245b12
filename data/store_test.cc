#include "data/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "data/store_test_util.h"

namespace dkv::data {
namespace {

// Runs `fn` on the locked table of `slot`; whether the access was granted.
bool Apply(Store& store, Slot slot, bool write, const std::function<void(LockedSlot&)>& fn) {
  return store.Access(slot, write, fn).ok();
}

std::string GetOrDie(Store& store, Slot slot, const std::string& key) {
  bool found = false;
  std::string value;
  EXPECT_TRUE(GetKey(store, slot, key, &found, &value).ok());
  EXPECT_TRUE(found) << key;
  return value;
}

TEST(StoreTest, SetGetRemoveRoundTrip) {
  Store store;
  store.AddSlot(3);
  ASSERT_TRUE(SetKey(store, 3, "k", "v1").ok());
  EXPECT_EQ(GetOrDie(store, 3, "k"), "v1");
  ASSERT_TRUE(SetKey(store, 3, "k", "v2").ok());
  EXPECT_EQ(GetOrDie(store, 3, "k"), "v2");
  EXPECT_EQ(store.KeyCount(), 1);

  bool existed = false;
  ASSERT_TRUE(RemoveKey(store, 3, "k", &existed).ok());
  EXPECT_TRUE(existed);
  ASSERT_TRUE(RemoveKey(store, 3, "k", &existed).ok());
  EXPECT_FALSE(existed);
  EXPECT_EQ(store.KeyCount(), 0);
}

TEST(StoreTest, AbsentKeyIsFoundFalseNotAnError) {
  Store store;
  store.AddSlot(0);
  bool found = true;
  std::string value = "untouched";
  ASSERT_TRUE(GetKey(store, 0, "missing", &found, &value).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ(value, "untouched");
}

TEST(StoreTest, KeysAndValuesAreBinarySafe) {
  Store store;
  store.AddSlot(1);
  const std::string key("a\0b\xff", 4);
  const std::string value("\0\0\x01\x80zz", 6);
  ASSERT_TRUE(SetKey(store, 1, key, value).ok());
  EXPECT_EQ(GetOrDie(store, 1, key), value);
  bool found = true;
  std::string ignored;
  ASSERT_TRUE(GetKey(store, 1, std::string("a", 1), &found, &ignored).ok());
  EXPECT_FALSE(found);
  ASSERT_TRUE(SetKey(store, 1, "", "").ok());  // the empty key and value are valid
  EXPECT_EQ(GetOrDie(store, 1, ""), "");
}

TEST(StoreTest, SlotWithoutTableIsWrongNode) {
  Store store;
  bool flag = false;
  std::string value;
  EXPECT_TRUE(GetKey(store, 7, "k", &flag, &value).IsWrongNode());
  EXPECT_TRUE(SetKey(store, 7, "k", "v").IsWrongNode());
  EXPECT_TRUE(RemoveKey(store, 7, "k", &flag).IsWrongNode());
  EXPECT_EQ(store.KeyCount(), 0);
  EXPECT_FALSE(store.HasSlot(7));
}

TEST(StoreTest, SameKeyInDifferentSlotsIsDistinct) {
  Store store;
  store.AddSlot(1);
  store.AddSlot(1 + 256);  // same stripe
  store.AddSlot(2);
  ASSERT_TRUE(SetKey(store, 1, "k", "one").ok());
  ASSERT_TRUE(SetKey(store, 257, "k", "two").ok());
  ASSERT_TRUE(SetKey(store, 2, "k", "three").ok());
  EXPECT_EQ(GetOrDie(store, 1, "k"), "one");
  EXPECT_EQ(GetOrDie(store, 257, "k"), "two");
  EXPECT_EQ(GetOrDie(store, 2, "k"), "three");
  EXPECT_EQ(store.KeyCount(), 3);
}

TEST(StoreTest, DropSlotEmptiesOnlyThatSlot) {
  Store store;
  store.AddSlot(5);
  store.AddSlot(5 + 256);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(SetKey(store, 5, "a" + std::to_string(i), "v").ok());
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(SetKey(store, 261, "b" + std::to_string(i), "v").ok());
  }
  EXPECT_EQ(store.SlotKeyCount(5), 100);
  EXPECT_EQ(store.KeyCount(), 110);

  EXPECT_EQ(store.DropSlot(5), 100);
  EXPECT_FALSE(store.HasSlot(5));
  EXPECT_EQ(store.SlotKeyCount(5), 0);
  EXPECT_EQ(store.SlotKeyCount(261), 10);
  EXPECT_EQ(store.KeyCount(), 10);
  EXPECT_TRUE(SetKey(store, 5, "a0", "v").IsWrongNode());
  EXPECT_EQ(store.DropSlot(5), 0);  // idempotent

  // A slot granted again starts empty.
  store.AddSlot(5);
  EXPECT_EQ(store.SlotKeyCount(5), 0);
  bool found = true;
  std::string value;
  ASSERT_TRUE(GetKey(store, 5, "a0", &found, &value).ok());
  EXPECT_FALSE(found);
}

TEST(StoreTest, AddSlotKeepsExistingTable) {
  Store store;
  store.AddSlot(9);
  ASSERT_TRUE(SetKey(store, 9, "k", "v").ok());
  store.AddSlot(9);
  EXPECT_EQ(GetOrDie(store, 9, "k"), "v");
}

TEST(StoreTest, ConcurrentWritersOnDistinctSlotsKeepExactCount) {
  Store store;
  constexpr int kThreads = 8;
  constexpr int kKeys = 2000;
  for (int t = 0; t < kThreads; ++t) store.AddSlot(t);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kKeys; ++i) {
        ASSERT_TRUE(SetKey(store, t, std::to_string(i), std::to_string(t)).ok());
      }
      for (int i = 0; i < kKeys; i += 2) {
        bool existed = false;
        ASSERT_TRUE(RemoveKey(store, t, std::to_string(i), &existed).ok());
        ASSERT_TRUE(existed);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store.KeyCount(), kThreads * kKeys / 2);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(store.SlotKeyCount(t), kKeys / 2);
    EXPECT_EQ(GetOrDie(store, t, "1"), std::to_string(t));
  }
}

TEST(StoreTest, ConcurrentWritersOnSameSlotKeepExactCount) {
  Store store;
  store.AddSlot(42);
  constexpr int kThreads = 8;
  constexpr int kKeys = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kKeys; ++i) {
        // Half the keys are shared by every thread, half are the thread's own.
        const std::string key = (i % 2 == 0) ? "shared" + std::to_string(i)
                                             : "t" + std::to_string(t) + "-" + std::to_string(i);
        ASSERT_TRUE(SetKey(store, 42, key, std::to_string(t)).ok());
        bool found = false;
        std::string value;
        ASSERT_TRUE(GetKey(store, 42, key, &found, &value).ok());
        ASSERT_TRUE(found);
      }
    });
  }
  for (auto& th : threads) th.join();
  const int64_t expected = kKeys / 2 + kThreads * (kKeys / 2);
  EXPECT_EQ(store.KeyCount(), expected);
  EXPECT_EQ(store.SlotKeyCount(42), expected);
}

TEST(StoreTest, DropSlotRacingWithWritersLeavesExactCount) {
  Store store;
  store.AddSlot(1);
  store.AddSlot(2);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 1000 || !stop.load(); ++i) {
      Status s = SetKey(store, 1, std::to_string(i % 500), "v");
      ASSERT_TRUE(s.ok() || s.IsWrongNode());
      ASSERT_TRUE(SetKey(store, 2, std::to_string(i % 500), "v").ok());
    }
  });
  for (int round = 0; round < 50; ++round) {
    store.DropSlot(1);
    store.AddSlot(1);
  }
  stop = true;
  writer.join();
  EXPECT_EQ(store.KeyCount(), store.SlotKeyCount(1) + store.SlotKeyCount(2));
  EXPECT_EQ(store.SlotKeyCount(2), 500);
}

constexpr int64_t kFarFuture = 9999999999999;  // Unix ms in the year 2286

// A clock the test sets.
struct FakeClock {
  std::atomic<int64_t> now{1000};
  Store::Clock AsClock() {
    return [this] { return now.load(); };
  }
};

TEST(StoreTest, ExpiredKeyIsAbsentAndDeletedOnAccess) {
  FakeClock clock;
  Store store(clock.AsClock());
  store.AddSlot(1);
  ASSERT_TRUE(Apply(store, 1, true, [](LockedSlot& t) { t.Put(0, "k", "v", 1500); }));
  clock.now = 1500;  // at the expiry time the key still exists, as in Redis
  EXPECT_EQ(GetOrDie(store, 1, "k"), "v");
  clock.now = 1501;
  bool found = true;
  std::string value;
  ASSERT_TRUE(GetKey(store, 1, "k", &found, &value).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ(store.KeyCount(), 0);
}

TEST(StoreTest, PausedSlotRefusesWritesWithMovingButServesReads) {
  Store store;
  store.AddSlot(4);
  ASSERT_TRUE(SetKey(store, 4, "k", "v").ok());
  store.PauseWrites(4);
  EXPECT_TRUE(SetKey(store, 4, "k", "w").IsMoving());
  bool existed = false;
  EXPECT_TRUE(RemoveKey(store, 4, "k", &existed).IsMoving());
  EXPECT_TRUE(store.Access(4, true, [](LockedSlot&) { FAIL(); }).IsMoving());
  EXPECT_TRUE(store.AccessSlots({5, 4}, true, [](const auto&) { FAIL(); }).IsWrongNode());
  store.AddSlot(5);
  EXPECT_TRUE(store.AccessSlots({5, 4}, true, [](const auto&) { FAIL(); }).IsMoving());
  EXPECT_EQ(GetOrDie(store, 4, "k"), "v");
  store.ResumeWrites(4);
  EXPECT_TRUE(SetKey(store, 4, "k", "w").ok());
  EXPECT_EQ(GetOrDie(store, 4, "k"), "w");
}

TEST(StoreTest, TrackingRecordsEveryChangedKeyUntilTaken) {
  Store store;
  store.AddSlot(2);
  ASSERT_TRUE(SetKey(store, 2, "before", "v").ok());
  store.StartTracking(2);
  ASSERT_TRUE(SetKey(store, 2, "a", "v").ok());
  ASSERT_TRUE(Apply(store, 2, true, [](LockedSlot& t) { t.Put(3, "b", "v", 0); }));
  bool existed = false;
  ASSERT_TRUE(RemoveKey(store, 2, "before", &existed).ok());
  std::vector<DbKey> dirty = store.TakeDirty(2);
  std::sort(dirty.begin(), dirty.end(),
            [](const DbKey& x, const DbKey& y) { return x.key < y.key; });
  ASSERT_EQ(dirty.size(), 3u);
  EXPECT_EQ(dirty[0], (DbKey{0, "a"}));
  EXPECT_EQ(dirty[1], (DbKey{3, "b"}));
  EXPECT_EQ(dirty[2], (DbKey{0, "before"}));
  EXPECT_TRUE(store.TakeDirty(2).empty());
  store.StopTracking(2);
  ASSERT_TRUE(SetKey(store, 2, "c", "v").ok());
  EXPECT_TRUE(store.TakeDirty(2).empty());
}

TEST(StoreTest, SlotKeysAndReadPartStreamAValueInBoundedParts) {
  Store store;
  store.AddSlot(6);
  std::string big(1000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(Apply(store, 6, true, [&](LockedSlot& t) {
    t.Put(1, "big", big, kFarFuture);
    t.Put(0, "small", "s", 0);
  }));
  std::vector<DbKey> keys = store.SlotKeys(6);
  ASSERT_EQ(keys.size(), 2u);

  std::string assembled;
  ValuePart part;
  for (uint64_t offset = 0;; offset += 300) {
    ASSERT_TRUE(store.ReadPart(6, 1, "big", offset, 300, &part).ok());
    ASSERT_TRUE(part.found);
    EXPECT_EQ(part.total_size, 1000u);
    EXPECT_EQ(part.expire_at_ms, kFarFuture);
    EXPECT_LE(part.bytes.size(), 300u);
    assembled += part.bytes;
    if (offset + 300 >= part.total_size) break;
  }
  EXPECT_EQ(assembled, big);
  ASSERT_TRUE(store.ReadPart(6, 0, "big", 0, 300, &part).ok());
  EXPECT_FALSE(part.found);
  EXPECT_TRUE(store.ReadPart(7, 0, "big", 0, 300, &part).IsWrongNode());
  EXPECT_TRUE(store.ReadPart(6, 16, "big", 0, 300, &part).code() == Status::Code::kInvalidArgument);
}

TEST(StoreTest, ImportIsHiddenUntilAdoptedThenBecomesTheLiveTable) {
  Store store;
  EXPECT_TRUE(store.ImportPart(8, 0, "k", "v", 0, 1, 0, false).IsNotFound());
  EXPECT_FALSE(store.AdoptImport(8, 0));
  store.BeginImport(8);
  EXPECT_TRUE(store.HasImport(8));
  EXPECT_FALSE(store.HasSlot(8));
  ASSERT_TRUE(store.ImportPart(8, 2, "big", "hello ", 0, 11, kFarFuture, false).ok());
  ASSERT_TRUE(store.ImportPart(8, 2, "big", "world", 6, 11, kFarFuture, false).ok());
  EXPECT_TRUE(store.ImportPart(8, 2, "big", "toolong", 6, 11, kFarFuture, false).code() ==
              Status::Code::kInvalidArgument);
  EXPECT_TRUE(store.ImportPart(8, 2, "other", "x", 3, 11, 0, false).code() ==
              Status::Code::kInvalidArgument);
  ASSERT_TRUE(store.ImportPart(8, 0, "gone", "x", 0, 1, 0, false).ok());
  ASSERT_TRUE(store.ImportPart(8, 0, "gone", "", 0, 0, 0, true).ok());
  ASSERT_TRUE(store.ImportPart(8, 0, "k", "v", 0, 1, 0, false).ok());
  EXPECT_EQ(store.KeyCount(), 0);

  ASSERT_TRUE(store.AdoptImport(8, 0));
  EXPECT_FALSE(store.HasImport(8));
  EXPECT_TRUE(store.HasSlot(8));
  EXPECT_EQ(store.KeyCount(), 2);
  EXPECT_EQ(GetOrDie(store, 8, "k"), "v");
  ValuePart part;
  ASSERT_TRUE(store.ReadPart(8, 2, "big", 0, 100, &part).ok());
  EXPECT_EQ(part.bytes, "hello world");
  EXPECT_EQ(part.expire_at_ms, kFarFuture);

  store.BeginImport(8);
  store.DropImport(8);
  EXPECT_FALSE(store.HasImport(8));
  EXPECT_EQ(GetOrDie(store, 8, "k"), "v");
}

TEST(StoreTest, DropSlotEndsPauseAndTracking) {
  Store store;
  store.AddSlot(3);
  store.PauseWrites(3);
  store.StartTracking(3);
  store.DropSlot(3);
  store.AddSlot(3);
  EXPECT_TRUE(SetKey(store, 3, "k", "v").ok());
  EXPECT_TRUE(store.TakeDirty(3).empty());
}

TEST(StoreTest, ExpireSomeDeletesOnlyExpiredKeys) {
  FakeClock clock;
  Store store(clock.AsClock());
  store.AddSlot(1);
  ASSERT_TRUE(Apply(store, 1, true, [](LockedSlot& t) {
    for (int i = 0; i < 100; ++i) {
      t.Put(0, "e" + std::to_string(i), "v", i < 50 ? 1100 : 5000);
      t.Put(0, "p" + std::to_string(i), "v", 0);
    }
  }));
  EXPECT_EQ(store.SlotsWithExpiry(), std::vector<Slot>{1});
  clock.now = 2000;
  int expired = 0;
  for (int round = 0; round < 100; ++round) expired += store.ExpireSome(1, 20).expired;
  EXPECT_EQ(expired, 50);
  EXPECT_EQ(store.KeyCount(), 150);
}

TEST(StoreTest, KeysListedAfterStartTrackingPlusDirtyKeysCoverEveryWrite) {
  // The copy protocol of a slot move: StartTracking, list the keys, then take the dirty set. A
  // writer racing with it must not slip a key past both.
  for (int round = 0; round < 20; ++round) {
    Store store;
    store.AddSlot(1);
    std::atomic<int> written{0};
    std::thread writer([&] {
      for (int i = 0; i < 2000; ++i) {
        ASSERT_TRUE(SetKey(store, 1, std::to_string(i), "v").ok());
        written = i + 1;
      }
    });
    while (written.load() < 100 * (round % 10)) std::this_thread::yield();
    store.StartTracking(1);
    std::vector<DbKey> listed = store.SlotKeys(1);
    writer.join();
    std::vector<DbKey> dirty = store.TakeDirty(1);
    std::unordered_set<std::string> seen;
    for (const DbKey& k : listed) seen.insert(k.key);
    for (const DbKey& k : dirty) seen.insert(k.key);
    ASSERT_EQ(seen.size(), 2000u) << "round " << round;
  }
}

TEST(StoreTest, DeletionsByExpiryAreTrackedToo) {
  FakeClock clock;
  Store store(clock.AsClock());
  store.AddSlot(1);
  ASSERT_TRUE(Apply(store, 1, true, [](LockedSlot& t) {
    t.Put(0, "lazy", "v", 1100);
    t.Put(0, "active", "v", 1100);
  }));
  store.StartTracking(1);
  clock.now = 2000;
  bool found = true;
  std::string value;
  ASSERT_TRUE(GetKey(store, 1, "lazy", &found, &value).ok());
  EXPECT_FALSE(found);
  while (store.ExpireSome(1, 20).expired == 0) {
  }
  std::vector<DbKey> dirty = store.TakeDirty(1);
  EXPECT_EQ(dirty.size(), 2u);
}

TEST(StoreTest, FlushingOneDatabaseOfALargeTableLeavesExactlyTheOthers) {
  Store store;
  store.AddSlot(0);
  ASSERT_TRUE(Apply(store, 0, true, [](LockedSlot& t) {
    for (int i = 0; i < 20000; ++i) t.Put(i % 3, std::to_string(i), "v", 0);
  }));
  int64_t erased = 0;
  ASSERT_TRUE(store.ForEachSlot(true, [&](Slot, LockedSlot& t) { erased += t.EraseAll(1); }).ok());
  EXPECT_EQ(erased, 6667);
  EXPECT_EQ(store.KeyCount(), 20000 - 6667);
  ASSERT_TRUE(Apply(store, 0, false, [](LockedSlot& t) {
    EXPECT_EQ(t.CountInDb(1), 0);
    EXPECT_EQ(t.CountInDb(0), 6667);
    EXPECT_EQ(t.Keys(2, [](std::string_view) { return true; }).size(), 6666u);
  }));
}

}  // namespace
}  // namespace dkv::data
