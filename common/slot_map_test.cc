#include "common/slot_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dkv {
namespace {

void ExpectBalanced(const SlotMap& map, const std::vector<std::string>& nodes) {
  auto counts = map.Counts();
  ASSERT_EQ(counts.size(), nodes.size());
  int32_t lo = map.slot_count(), hi = 0, total = 0;
  for (const auto& [node, count] : counts) {
    lo = std::min(lo, count);
    hi = std::max(hi, count);
    total += count;
  }
  EXPECT_LE(hi - lo, 1);
  EXPECT_EQ(total, map.slot_count());
}

TEST(SlotMapTest, FirstRebalanceAssignsEverySlotEvenly) {
  SlotMap map(1024);
  EXPECT_EQ(map.Rebalance({"a", "b", "c"}), 1024);
  ExpectBalanced(map, {"a", "b", "c"});
}

TEST(SlotMapTest, MovesFewestSlotsWhenNodeJoins) {
  SlotMap map(1024);
  map.Rebalance({"a", "b", "c"});
  SlotMap before = map;
  int32_t moved = map.Rebalance({"a", "b", "c", "d"});
  EXPECT_EQ(moved, 256);  // exactly d's share, all taken from the others
  ExpectBalanced(map, {"a", "b", "c", "d"});
  for (Slot s = 0; s < map.slot_count(); ++s) {
    if (map.Owner(s) != before.Owner(s)) {
      EXPECT_EQ(map.Owner(s), "d");
    }
  }
}

TEST(SlotMapTest, MovesOnlyTheDeadNodesSlotsWhenNodeDies) {
  SlotMap map(1024);
  map.Rebalance({"a", "b", "c", "d"});
  SlotMap before = map;
  int32_t moved = map.Rebalance({"a", "b", "d"});
  EXPECT_EQ(moved, 256);
  ExpectBalanced(map, {"a", "b", "d"});
  for (Slot s = 0; s < map.slot_count(); ++s) {
    if (before.Owner(s) != "c") {
      EXPECT_EQ(map.Owner(s), before.Owner(s));
    }
  }
}

TEST(SlotMapTest, RebalanceWithSameNodesMovesNothing) {
  SlotMap map(1000);
  map.Rebalance({"a", "b", "c"});
  EXPECT_EQ(map.Rebalance({"c", "b", "a"}), 0);
}

TEST(SlotMapTest, NoLiveNodesLeavesEverySlotUnassigned) {
  SlotMap map(16);
  map.Rebalance({"a"});
  EXPECT_EQ(map.Rebalance({}), 16);
  for (Slot s = 0; s < 16; ++s) EXPECT_EQ(map.Owner(s), "");
}

TEST(SlotMapTest, StampChangesMarksOnlySlotsThatChangedOwner) {
  SlotMap v1(4);
  v1.Rebalance({"a"});
  v1.set_version(1);
  v1.StampChanges(SlotMap(4));
  SlotMap v2 = v1;
  v2.Rebalance({"a", "b"});
  v2.set_version(2);
  v2.StampChanges(v1);
  for (Slot s = 0; s < 4; ++s) {
    EXPECT_EQ(v2.OwnerSince(s), v2.Owner(s) == "b" ? 2 : 1) << s;
  }
}

TEST(SlotMapTest, FrozenNodeKeepsItsSlotsAndGetsNoMore) {
  SlotMap map(12);
  map.Rebalance({"a", "b", "c"});
  const std::vector<Slot> c_slots = map.SlotsOf("c");
  map.Rebalance({"a", "d"}, {"c"});  // b died for good, c is away, d joined
  EXPECT_EQ(map.SlotsOf("c"), c_slots);
  auto counts = map.Counts();
  EXPECT_EQ(counts["a"], 4);
  EXPECT_EQ(counts["d"], 4);
  EXPECT_EQ(counts.count("b"), 0u);
}

TEST(SlotMapTest, SlotsOfListsOwnedSlots) {
  SlotMap map(4);
  map.Assign(1, "x");
  map.Assign(3, "x");
  map.Assign(2, "y");
  EXPECT_EQ(map.SlotsOf("x"), (std::vector<Slot>{1, 3}));
}

}  // namespace
}  // namespace dkv
