#include "common/slot.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dkv {
namespace {

TEST(SlotTest, HashIsStableAcrossBuildsAndProcesses) {
  // Pinned values: a change of hash function would silently re-route every key of a live cluster.
  EXPECT_EQ(KeyHash(""), 0x2d06800538d394c2ULL);
  EXPECT_EQ(KeyHash("a"), 0xe6c632b61e964e1fULL);
}

TEST(SlotTest, SlotIsWithinRange) {
  for (int i = 0; i < 1000; ++i) {
    Slot s = SlotOf("key-" + std::to_string(i), 1024);
    EXPECT_GE(s, 0);
    EXPECT_LT(s, 1024);
  }
}

TEST(SlotTest, KeysSpreadEvenlyOverSlots) {
  const int kSlots = 64;
  const int kKeys = 64000;
  std::vector<int> counts(kSlots);
  for (int i = 0; i < kKeys; ++i) ++counts[SlotOf("user:" + std::to_string(i), kSlots)];
  for (int c : counts) {
    EXPECT_GT(c, 1000 * 0.85);
    EXPECT_LT(c, 1000 * 1.15);
  }
}

TEST(SlotTest, SlotRangesJoinRunsOfConsecutiveSlots) {
  EXPECT_EQ("", SlotRanges({}));
  EXPECT_EQ("5", SlotRanges({5}));
  EXPECT_EQ("0-2,7,9-10", SlotRanges({0, 1, 2, 7, 9, 10}));
  EXPECT_EQ("3,5,1023", SlotRanges({3, 5, 1023}));
}

}  // namespace
}  // namespace dkv
