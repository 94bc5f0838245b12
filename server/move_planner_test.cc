#include "server/move_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace dkv::server {
namespace {

// Commits `moves` as the master does.
SlotMap Apply(SlotMap map, const std::vector<SlotMove>& moves) {
  std::set<Slot> slots;
  for (const SlotMove& m : moves) {
    EXPECT_TRUE(slots.insert(m.slot).second) << "two moves of slot " << m.slot;
    EXPECT_FALSE(map.IsMember(m.slot, m.to)) << m.slot;
    std::vector<std::string> chain = map.Chain(m.slot);
    const int from = map.Position(m.slot, m.from);
    if (m.kind == SlotMove::Kind::kAdd) {
      EXPECT_EQ(map.Tail(m.slot), m.from) << m.slot;
      chain.push_back(m.to);
    } else if (from >= 0) {
      chain[from] = m.to;
    } else {
      ADD_FAILURE() << m.from << " is not in the chain of slot " << m.slot;
    }
    map.SetChain(m.slot, chain);
  }
  return map;
}

// Plans and commits every move until the plan has none, as the driver does.
SlotMap Converge(SlotMap map, const PlanMembers& members) {
  for (int round = 0; round < 10; ++round) {
    SlotPlan plan = PlanSlots(map, members);
    if (plan.moves.empty()) return plan.map;
    map = Apply(plan.map, plan.moves);
  }
  ADD_FAILURE() << "the plan did not converge";
  return map;
}

// Every chain has `width` distinct members, memberships per node differ by at most one.
void ExpectChainsBalanced(const SlotMap& map, const std::vector<std::string>& nodes, size_t width) {
  for (Slot s = 0; s < map.slot_count(); ++s) {
    const auto& chain = map.Chain(s);
    EXPECT_EQ(chain.size(), width) << s;
    EXPECT_EQ(std::set<std::string>(chain.begin(), chain.end()).size(), chain.size()) << s;
  }
  auto counts = map.MemberCounts();
  int32_t low = map.slot_count(), high = 0;
  size_t total = 0;
  for (const auto& node : nodes) {
    low = std::min(low, counts[node]);
    high = std::max(high, counts[node]);
    total += static_cast<size_t>(counts[node]);
  }
  EXPECT_LE(high - low, 1);
  EXPECT_EQ(total, map.slot_count() * width);
}

SlotMap Replicated(int32_t r, int32_t slots, const std::vector<std::string>& nodes) {
  SlotMap map(slots);
  map.set_replication_factor(r);
  map.Rebalance(nodes);
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
  EXPECT_TRUE(plan.spliced.empty());  // lost with their only member, not spliced out
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

TEST(MovePlannerTest, DeadMemberIsSplicedOutAtOnceAndReplacedByACopyFromTheTail) {
  const SlotMap map = Replicated(2, 64, {"d1", "d2", "d3", "d4"});
  // Gone from data/, or still within its grace period: the chains keep a live member either way.
  for (const PlanMembers& members :
       {PlanMembers{{"d1", "d2", "d3"}, {}, {}}, PlanMembers{{"d1", "d2", "d3"}, {}, {"d4"}}}) {
    SlotPlan plan = PlanSlots(map, members);
    EXPECT_TRUE(plan.map.MemberSlotsOf("d4").empty());
    EXPECT_EQ(plan.spliced,
              (std::map<std::string, std::vector<Slot>>{{"d4", map.MemberSlotsOf("d4")}}));
    EXPECT_EQ(plan.assigned, static_cast<int32_t>(map.MemberSlotsOf("d4").size()));
    EXPECT_EQ(plan.moves.size(), map.MemberSlotsOf("d4").size());
    for (const SlotMove& m : plan.moves) {
      EXPECT_EQ(m.kind, SlotMove::Kind::kAdd);
      EXPECT_EQ(m.from, plan.map.Tail(m.slot));
    }
    ExpectChainsBalanced(Apply(plan.map, plan.moves), {"d1", "d2", "d3"}, 2);
  }
}

TEST(MovePlannerTest, SplicingKeepsTheOrderOfTheOtherMembers) {
  SlotMap map(2);
  map.set_replication_factor(3);
  map.SetChain(0, {"b", "a", "c"});  // the head dies: its successor leads
  map.SetChain(1, {"a", "c", "b"});  // the tail dies: its predecessor is the tail
  SlotPlan plan = PlanSlots(map, PlanMembers{{"a", "c", "d"}, {}, {}});
  EXPECT_EQ(plan.map.Chain(0), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(plan.map.Chain(1), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(plan.moves, (std::vector<SlotMove>{{0, "c", "d", SlotMove::Kind::kAdd},
                                               {1, "c", "d", SlotMove::Kind::kAdd}}));
}

TEST(MovePlannerTest, ChainWithoutALiveMemberWaitsForItsMembersThenIsReassignedEmpty) {
  SlotMap map(2);
  map.set_replication_factor(2);
  map.SetChain(0, {"a", "b"});
  map.SetChain(1, {"c", "d"});
  // a waits, b is past its grace: slot 0 keeps a only, and nothing is copied from it.
  SlotPlan plan = PlanSlots(map, PlanMembers{{"c", "d", "e"}, {}, {"a"}});
  EXPECT_EQ(plan.map.Chain(0), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(plan.spliced.empty());
  for (const SlotMove& m : plan.moves) EXPECT_NE(m.slot, 0);
  // a is past its grace too: slot 0 gets a whole new chain at once, empty.
  plan = PlanSlots(map, PlanMembers{{"c", "d", "e"}, {}, {}});
  EXPECT_EQ(plan.map.Chain(0).size(), 2u);
  EXPECT_FALSE(plan.map.IsMember(0, "a"));
  EXPECT_FALSE(plan.map.IsMember(0, "b"));
}

TEST(MovePlannerTest, UnreachableMemberIsSplicedOutOnlyWhereAnotherMemberIsReachable) {
  SlotMap map(2);
  map.set_replication_factor(2);
  map.SetChain(0, {"a", "b"});
  map.Assign(1, "a");
  PlanMembers members{{"a", "b", "c"}, {}, {}};
  members.unreachable = {"a"};
  SlotPlan plan = PlanSlots(map, members);
  EXPECT_EQ(plan.map.Chain(0), (std::vector<std::string>{"b"}));
  EXPECT_EQ(plan.map.Chain(1), (std::vector<std::string>{"a"}));  // nowhere else to copy from
  EXPECT_EQ(plan.spliced, (std::map<std::string, std::vector<Slot>>{{"a", {0}}}));
  EXPECT_EQ(plan.moves, (std::vector<SlotMove>{{0, "b", "c", SlotMove::Kind::kAdd}}));
}

TEST(MovePlannerTest, StaleMemberIsSplicedOutOfThoseChainsOnlyAndMayJoinAgainByCopy) {
  SlotMap map(3);
  map.set_replication_factor(2);
  map.SetChain(0, {"a", "b"});
  map.SetChain(1, {"b", "a"});
  map.SetChain(2, {"a", "c"});
  PlanMembers members{{"a", "b", "c"}, {}, {}};
  members.stale = {{"a", {0, 1}}};  // a lacks the tables of slots 0 and 1, not of slot 2
  SlotPlan plan = PlanSlots(map, members);
  EXPECT_EQ(plan.map.Chain(0), (std::vector<std::string>{"b"}));
  EXPECT_EQ(plan.map.Chain(1), (std::vector<std::string>{"b"}));
  EXPECT_EQ(plan.map.Chain(2), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(plan.spliced, (std::map<std::string, std::vector<Slot>>{{"a", {0, 1}}}));
  // The short chains grow again by copies from their tail, to any live node (a included).
  ASSERT_EQ(plan.moves.size(), 2u);
  for (const SlotMove& m : plan.moves) {
    EXPECT_EQ(m.kind, SlotMove::Kind::kAdd);
    EXPECT_EQ(m.from, "b");
  }
}

TEST(MovePlannerTest, ChainsLongerThanRShrinkAtOnce) {
  SlotMap map = Replicated(3, 64, {"d1", "d2", "d3", "d4"});
  map.set_replication_factor(2);
  SlotPlan plan = PlanSlots(map, PlanMembers{{"d1", "d2", "d3", "d4"}, {}, {}});
  EXPECT_EQ(plan.assigned, 64);
  for (Slot s = 0; s < 64; ++s) {
    ASSERT_EQ(plan.map.Chain(s).size(), 2u);
    for (const auto& m : plan.map.Chain(s)) EXPECT_TRUE(map.IsMember(s, m));
  }
  ExpectChainsBalanced(Converge(map, PlanMembers{{"d1", "d2", "d3", "d4"}, {}, {}}),
                       {"d1", "d2", "d3", "d4"}, 2);
}

TEST(MovePlannerTest, JoiningNodeGetsItsShareOfMembershipsByReplaceMoves) {
  const SlotMap map = Replicated(2, 60, {"d1", "d2", "d3"});
  const PlanMembers members{{"d1", "d2", "d3", "d4"}, {}, {}};
  SlotPlan plan = PlanSlots(map, members);
  EXPECT_EQ(plan.assigned, 0);
  EXPECT_EQ(plan.map, map);
  EXPECT_EQ(plan.moves.size(), 30u);  // the fewest: d4's share of 120 memberships
  for (const SlotMove& m : plan.moves) {
    EXPECT_EQ(m.kind, SlotMove::Kind::kReplace);
    EXPECT_EQ(m.to, "d4");
  }
  const SlotMap after = Apply(map, plan.moves);
  ExpectChainsBalanced(after, {"d1", "d2", "d3", "d4"}, 2);
  EXPECT_TRUE(PlanSlots(after, members).moves.empty());
  EXPECT_EQ(after.Counts().at("d4"), 15);  // the heads stay balanced too
}

TEST(MovePlannerTest, DrainingNodeLeavesEveryChain) {
  const SlotMap map = Replicated(2, 64, {"d1", "d2", "d3", "d4"});
  const PlanMembers members{{"d1", "d2", "d4"}, {"d3"}, {}};
  SlotPlan plan = PlanSlots(map, members);
  EXPECT_EQ(plan.moves.size(), map.MemberSlotsOf("d3").size());
  for (const SlotMove& m : plan.moves) EXPECT_EQ(m.from, "d3");
  const SlotMap after = Converge(map, members);
  EXPECT_TRUE(after.MemberSlotsOf("d3").empty());
  ExpectChainsBalanced(after, {"d1", "d2", "d4"}, 2);
}

TEST(MovePlannerTest, UnassignedSlotsGetAWholeChainAtOnce) {
  SlotMap map(64);
  map.set_replication_factor(3);
  SlotPlan plan = PlanSlots(map, PlanMembers{{"d1", "d2", "d3", "d4"}, {}, {}});
  EXPECT_EQ(plan.assigned, 64);
  EXPECT_TRUE(plan.moves.empty());
  ExpectChainsBalanced(plan.map, {"d1", "d2", "d3", "d4"}, 3);
}

TEST(MovePlannerTest, ChainsGrowToRWhenNodesJoinAndNewMembersGoToOtherHosts) {
  SlotMap map(4);
  map.set_replication_factor(2);
  map.Rebalance({"a1"});  // a one-node cluster: chains of one
  PlanMembers members{{"a1", "a2", "b1", "b2"}, {}, {}};
  members.hosts = {{"a1", "ha"}, {"a2", "ha"}, {"b1", "hb"}, {"b2", "hb"}};
  SlotPlan plan = PlanSlots(map, members);
  for (const SlotMove& m : plan.moves) {
    EXPECT_EQ(m.kind, SlotMove::Kind::kAdd);  // extend first, balance later
  }
  const SlotMap after = Converge(map, members);
  ExpectChainsBalanced(after, {"a1", "a2", "b1", "b2"}, 2);
  for (Slot s = 0; s < 4; ++s) {
    EXPECT_NE(members.hosts.at(after.Chain(s)[0]), members.hosts.at(after.Chain(s)[1])) << s;
  }
}

TEST(MovePlannerTest, BatchesKeepAddsApartFromReplaces) {
  std::vector<SlotMove> moves{{1, "a", "b", SlotMove::Kind::kAdd},
                              {2, "a", "b", SlotMove::Kind::kReplace},
                              {3, "a", "b", SlotMove::Kind::kAdd}};
  std::vector<MoveBatch> batches = BatchMoves(moves, 8);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].kind, SlotMove::Kind::kReplace);
  EXPECT_EQ(batches[0].slots, (std::vector<Slot>{2}));
  EXPECT_EQ(batches[1].kind, SlotMove::Kind::kAdd);
  EXPECT_EQ(batches[1].slots, (std::vector<Slot>{1, 3}));
}

// Heads per node: the most minus the fewest.
int32_t HeadSpread(const SlotMap& map, const std::vector<std::string>& nodes) {
  auto heads = map.Counts();
  int32_t low = map.slot_count(), high = 0;
  for (const auto& node : nodes) {
    low = std::min(low, heads[node]);
    high = std::max(high, heads[node]);
  }
  return high - low;
}

// Plays the master and its driver: makes the plan's direct changes, commits all its moves
// (`batch_by_batch` false) or only its first batch, and plans again, until a plan has no moves.
// Fails if that takes more than `max_rounds`. Returns the moves committed.
std::vector<SlotMove> ReplanUntilDone(SlotMap* map, const PlanMembers& members, bool batch_by_batch,
                                      int max_rounds) {
  std::vector<SlotMove> committed;
  for (int round = 0; round <= max_rounds; ++round) {
    SlotPlan plan = PlanSlots(*map, members);
    *map = plan.map;
    if (plan.moves.empty()) return committed;
    std::vector<SlotMove> moves = plan.moves;
    if (batch_by_batch) {
      const MoveBatch batch = BatchMoves(plan.moves, 64).front();
      moves.clear();
      for (Slot s : batch.slots) moves.push_back({s, batch.from, batch.to, batch.kind});
    }
    *map = Apply(*map, moves);
    committed.insert(committed.end(), moves.begin(), moves.end());
  }
  ADD_FAILURE() << "still moving slots after " << max_rounds << " rounds";
  return committed;
}

TEST(MovePlannerTest, RejoinedMemberGetsItsShareBackWithoutMovesGoingBackAndForth) {
  for (const int nodes : {3, 4, 5}) {
    for (const int32_t r : {2, 3}) {
      std::vector<std::string> ids;
      for (int i = 1; i <= nodes; ++i) ids.push_back("d" + std::to_string(i));
      const std::vector<std::string> others(ids.begin() + 1, ids.end());
      PlanMembers all{ids, {}, {}};
      for (const auto& id : ids) all.hosts[id] = "localhost";  // as in a MiniCluster
      // d1 restarted (in data/ but unreachable until the splice) or died (gone from data/).
      PlanMembers restarted = all;
      restarted.unreachable = {"d1"};
      PlanMembers dead = all;
      dead.live = others;
      for (const PlanMembers* away : {&restarted, &dead}) {
        // d1 comes back right after the splice, or after its chains were extended over the
        // others (its absence outlasted the copies).
        for (const bool extended : {false, true}) {
          for (const bool batch_by_batch : {false, true}) {
            SCOPED_TRACE(std::to_string(nodes) + " nodes, R=" + std::to_string(r) +
                         (away == &dead ? ", dead" : ", restarted") +
                         (extended ? ", extended" : "") + (batch_by_batch ? ", by batch" : ""));
            SlotMap map = Replicated(r, 256, ids);
            SlotPlan splice = PlanSlots(map, *away);
            map = splice.map;
            const size_t spliced = splice.spliced.at("d1").size();
            if (extended) ReplanUntilDone(&map, *away, false, 3);
            const int32_t head_spread = HeadSpread(map, ids);

            const std::vector<SlotMove> moves =
                ReplanUntilDone(&map, all, batch_by_batch, batch_by_batch ? 3 * nodes : 3);
            ExpectChainsBalanced(map, ids, static_cast<size_t>(r));
            // Fewest moves: one copy per chain d1 left at most, none taking d1's place.
            EXPECT_LE(moves.size(), spliced);
            for (const SlotMove& m : moves) EXPECT_NE(m.from, "d1") << m.slot;
            // The heads move only by replacing a head: no worse than at the rejoin (a node that
            // rejoins by additions at the tails heads nothing), and even when d1 took places by
            // replacing members.
            EXPECT_LE(HeadSpread(map, ids), head_spread);
            if (extended && r < nodes) {
              EXPECT_LE(HeadSpread(map, ids), 8);  // of 256 / nodes each
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace dkv::server
