#include "server/move_planner.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace dkv::server {
namespace {

SlotMap Apply(SlotMap map, const std::vector<SlotMove>& moves) {
  for (const SlotMove& m : moves) {
    EXPECT_EQ(map.Owner(m.slot), m.from);
    map.Assign(m.slot, m.to);
  }
  return map;
}

void ExpectBalanced(const SlotMap& map, const std::vector<std::string>& nodes) {
  auto counts = map.Counts();
  int32_t low = map.slot_count(), high = 0, total = 0;
  for (const auto& node : nodes) {
    low = std::min(low, counts[node]);
    high = std::max(high, counts[node]);
    total += counts[node];
  }
  EXPECT_LE(high - low, 1);
  EXPECT_EQ(total, map.slot_count());
}

TEST(MovePlannerTest, JoiningNodeGetsItsShareByMovesFromLiveOwnersOnly) {
  SlotMap map(64);
  map.Rebalance({"d1", "d2"});
  SlotPlan plan = PlanSlots(map, PlanMembers{{"d1", "d2", "d3"}, {}, {}});
  EXPECT_EQ(plan.assigned, 0);
  EXPECT_EQ(plan.map, map);           // nothing changes owner until its move commits
  EXPECT_EQ(plan.moves.size(), 21u);  // the fewest: d3's share
  for (const SlotMove& m : plan.moves) EXPECT_EQ(m.to, "d3");
  ExpectBalanced(Apply(map, plan.moves), {"d1", "d2", "d3"});
}

TEST(MovePlannerTest, DrainingNodeGivesEverySlotToTheOthers) {
  SlotMap map(64);
  map.Rebalance({"d1", "d2", "d3"});
  SlotPlan plan = PlanSlots(map, PlanMembers{{"d1", "d2"}, {"d3"}, {}});
  EXPECT_EQ(plan.assigned, 0);
  EXPECT_EQ(plan.moves.size(), map.SlotsOf("d3").size());
  for (const SlotMove& m : plan.moves) EXPECT_EQ(m.from, "d3");
  SlotMap after = Apply(map, plan.moves);
  EXPECT_TRUE(after.SlotsOf("d3").empty());
  ExpectBalanced(after, {"d1", "d2"});
}

TEST(MovePlannerTest, SlotsWithoutALiveOwnerAreAssignedDirectly) {
  SlotMap map(64);
  map.Rebalance({"d1", "gone"});
  for (Slot s = 0; s < 4; ++s) map.Assign(s, "");  // unassigned
  SlotPlan plan = PlanSlots(map, PlanMembers{{"d1", "d2"}, {}, {}});
  // The dead node's and the unassigned slots have no keys to copy: d2 gets them at once.
  EXPECT_GT(plan.assigned, 0);
  for (const SlotMove& m : plan.moves) EXPECT_EQ(m.from, "d1");
  EXPECT_TRUE(plan.map.SlotsOf("gone").empty());
  for (Slot s = 0; s < 4; ++s) EXPECT_FALSE(plan.map.Owner(s).empty());
  ExpectBalanced(Apply(plan.map, plan.moves), {"d1", "d2"});
}

TEST(MovePlannerTest, WaitingNodeKeepsItsSlotsAndGetsNoMoves) {
  SlotMap map(64);
  map.Rebalance({"d1", "d2"});
  SlotPlan plan = PlanSlots(map, PlanMembers{{"d1", "d3"}, {}, {"d2"}});
  EXPECT_EQ(plan.map.SlotsOf("d2"), map.SlotsOf("d2"));
  for (const SlotMove& m : plan.moves) EXPECT_NE(m.from, "d2");
  for (const SlotMove& m : plan.moves) EXPECT_NE(m.to, "d2");
}

TEST(MovePlannerTest, WithOnlyDrainingNodesNothingMoves) {
  SlotMap map(64);
  map.Rebalance({"d1", "d2"});
  map.Assign(0, "");
  SlotPlan plan = PlanSlots(map, PlanMembers{{}, {"d1", "d2"}, {}});
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_EQ(plan.assigned, 1);  // better a draining owner than none
  EXPECT_FALSE(plan.map.Owner(0).empty());
}

TEST(MovePlannerTest, BalancedMapNeedsNoMoves) {
  SlotMap map(64);
  map.Rebalance({"d1", "d2", "d3"});
  SlotPlan plan = PlanSlots(map, PlanMembers{{"d1", "d2", "d3"}, {}, {}});
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_EQ(plan.assigned, 0);
}

TEST(MovePlannerTest, BatchesGroupMovesPerPairUpToTheirSize) {
  std::vector<SlotMove> moves;
  for (Slot s = 0; s < 10; ++s) moves.push_back({s, "a", s % 2 ? "b" : "c"});
  std::vector<MoveBatch> batches = BatchMoves(moves, 3);
  ASSERT_EQ(batches.size(), 4u);  // a->b: 5 slots in 3 + 2; a->c: 5 slots in 3 + 2
  EXPECT_EQ(batches[0].to, "b");
  EXPECT_EQ(batches[0].slots, (std::vector<Slot>{1, 3, 5}));
  EXPECT_EQ(batches[1].slots, (std::vector<Slot>{7, 9}));
  EXPECT_EQ(batches[2].to, "c");
  EXPECT_EQ(batches[3].slots, (std::vector<Slot>{6, 8}));
}

}  // namespace
}  // namespace dkv::server
