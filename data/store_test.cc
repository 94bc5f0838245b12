#include "data/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace dkv::data {
namespace {

std::string GetOrDie(const Store& store, Slot slot, const std::string& key) {
  bool found = false;
  std::string value;
  EXPECT_TRUE(store.Get(slot, key, &found, &value).ok());
  EXPECT_TRUE(found) << key;
  return value;
}

TEST(StoreTest, SetGetRemoveRoundTrip) {
  Store store;
  store.AddSlot(3);
  ASSERT_TRUE(store.Set(3, "k", "v1").ok());
  EXPECT_EQ(GetOrDie(store, 3, "k"), "v1");
  ASSERT_TRUE(store.Set(3, "k", "v2").ok());
  EXPECT_EQ(GetOrDie(store, 3, "k"), "v2");
  EXPECT_EQ(store.KeyCount(), 1);

  bool existed = false;
  ASSERT_TRUE(store.Remove(3, "k", &existed).ok());
  EXPECT_TRUE(existed);
  ASSERT_TRUE(store.Remove(3, "k", &existed).ok());
  EXPECT_FALSE(existed);
  EXPECT_EQ(store.KeyCount(), 0);
}

TEST(StoreTest, AbsentKeyIsFoundFalseNotAnError) {
  Store store;
  store.AddSlot(0);
  bool found = true;
  std::string value = "untouched";
  ASSERT_TRUE(store.Get(0, "missing", &found, &value).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ(value, "untouched");
}

TEST(StoreTest, KeysAndValuesAreBinarySafe) {
  Store store;
  store.AddSlot(1);
  const std::string key("a\0b\xff", 4);
  const std::string value("\0\0\x01\x80zz", 6);
  ASSERT_TRUE(store.Set(1, key, value).ok());
  EXPECT_EQ(GetOrDie(store, 1, key), value);
  bool found = true;
  std::string ignored;
  ASSERT_TRUE(store.Get(1, std::string("a", 1), &found, &ignored).ok());
  EXPECT_FALSE(found);
  ASSERT_TRUE(store.Set(1, "", "").ok());  // the empty key and value are valid
  EXPECT_EQ(GetOrDie(store, 1, ""), "");
}

TEST(StoreTest, SlotWithoutTableIsWrongNode) {
  Store store;
  bool flag = false;
  std::string value;
  EXPECT_TRUE(store.Get(7, "k", &flag, &value).IsWrongNode());
  EXPECT_TRUE(store.Set(7, "k", "v").IsWrongNode());
  EXPECT_TRUE(store.Remove(7, "k", &flag).IsWrongNode());
  EXPECT_EQ(store.KeyCount(), 0);
  EXPECT_FALSE(store.HasSlot(7));
}

TEST(StoreTest, SameKeyInDifferentSlotsIsDistinct) {
  Store store;
  store.AddSlot(1);
  store.AddSlot(1 + 256);  // same stripe
  store.AddSlot(2);
  ASSERT_TRUE(store.Set(1, "k", "one").ok());
  ASSERT_TRUE(store.Set(257, "k", "two").ok());
  ASSERT_TRUE(store.Set(2, "k", "three").ok());
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
    ASSERT_TRUE(store.Set(5, "a" + std::to_string(i), "v").ok());
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store.Set(261, "b" + std::to_string(i), "v").ok());
  }
  EXPECT_EQ(store.SlotKeyCount(5), 100);
  EXPECT_EQ(store.KeyCount(), 110);

  EXPECT_EQ(store.DropSlot(5), 100);
  EXPECT_FALSE(store.HasSlot(5));
  EXPECT_EQ(store.SlotKeyCount(5), 0);
  EXPECT_EQ(store.SlotKeyCount(261), 10);
  EXPECT_EQ(store.KeyCount(), 10);
  EXPECT_TRUE(store.Set(5, "a0", "v").IsWrongNode());
  EXPECT_EQ(store.DropSlot(5), 0);  // idempotent

  // A slot granted again starts empty.
  store.AddSlot(5);
  EXPECT_EQ(store.SlotKeyCount(5), 0);
  bool found = true;
  std::string value;
  ASSERT_TRUE(store.Get(5, "a0", &found, &value).ok());
  EXPECT_FALSE(found);
}

TEST(StoreTest, AddSlotKeepsExistingTable) {
  Store store;
  store.AddSlot(9);
  ASSERT_TRUE(store.Set(9, "k", "v").ok());
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
        ASSERT_TRUE(store.Set(t, std::to_string(i), std::to_string(t)).ok());
      }
      for (int i = 0; i < kKeys; i += 2) {
        bool existed = false;
        ASSERT_TRUE(store.Remove(t, std::to_string(i), &existed).ok());
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
        ASSERT_TRUE(store.Set(42, key, std::to_string(t)).ok());
        bool found = false;
        std::string value;
        ASSERT_TRUE(store.Get(42, key, &found, &value).ok());
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
      Status s = store.Set(1, std::to_string(i % 500), "v");
      ASSERT_TRUE(s.ok() || s.IsWrongNode());
      ASSERT_TRUE(store.Set(2, std::to_string(i % 500), "v").ok());
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

}  // namespace
}  // namespace dkv::data
