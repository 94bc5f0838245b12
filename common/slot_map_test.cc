#include "common/slot_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
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

TEST(SlotMapTest, ChainNamesHeadTailAndNeighbours) {
  SlotMap map(2);
  map.SetChain(0, {"a", "b", "c"});
  EXPECT_EQ(map.Owner(0), "a");
  EXPECT_EQ(map.Tail(0), "c");
  EXPECT_EQ(map.Position(0, "b"), 1);
  EXPECT_EQ(map.Position(0, "x"), -1);
  EXPECT_TRUE(map.IsMember(0, "c"));
  EXPECT_EQ(map.Successor(0, "a"), "b");
  EXPECT_EQ(map.Successor(0, "c"), "");
  EXPECT_EQ(map.Predecessor(0, "b"), "a");
  EXPECT_EQ(map.Predecessor(0, "a"), "");
  EXPECT_EQ(map.Successor(0, "x"), "");
  EXPECT_EQ(map.Owner(1), "");
  EXPECT_EQ(map.Tail(1), "");
  map.Assign(1, "b");
  EXPECT_EQ(map.Chain(1), (std::vector<std::string>{"b"}));
  EXPECT_EQ(map.Tail(1), "b");
  EXPECT_EQ(map.SlotsOf("b"), (std::vector<Slot>{1}));
  EXPECT_EQ(map.MemberSlotsOf("b"), (std::vector<Slot>{0, 1}));
  EXPECT_EQ(map.Counts(), (std::map<std::string, int32_t>{{"a", 1}, {"b", 1}}));
  EXPECT_EQ(map.MemberCounts(), (std::map<std::string, int32_t>{{"a", 1}, {"b", 2}, {"c", 1}}));
}

TEST(SlotMapTest, UnderReplicatedListsChainsShorterThanR) {
  SlotMap map(3);
  map.set_replication_factor(2);
  map.SetChain(0, {"a", "b"});
  map.SetChain(1, {"a"});
  EXPECT_EQ(map.UnderReplicated(), (std::vector<Slot>{1, 2}));
}

TEST(SlotMapTest, StampChangesKeepsTheStampsOfMembersThatStayed) {
  SlotMap v1(1);
  v1.SetChain(0, {"a", "b"});
  v1.set_version(1);
  v1.StampChanges(SlotMap(1));
  SlotMap v2 = v1;
  v2.SetChain(0, {"b", "c"});  // a spliced out, c added: b is the head now
  v2.set_version(2);
  v2.StampChanges(v1);
  EXPECT_EQ(v2.MemberSince(0, "b"), 1);
  EXPECT_EQ(v2.OwnerSince(0), 1);
  EXPECT_EQ(v2.MemberSince(0, "c"), 2);
  EXPECT_EQ(v2.MemberSince(0, "a"), 0);  // not a member
  SlotMap v3 = v2;
  v3.SetChain(0, {"b", "c", "a"});  // a back: it was out in between, so its old table is stale
  v3.set_version(3);
  v3.StampChanges(v2);
  EXPECT_EQ(v3.MemberSince(0, "a"), 3);
  EXPECT_EQ(v3.MemberSince(0, "c"), 2);
}

TEST(SlotMapTest, EqualityIncludesChainsStampsAndR) {
  SlotMap a(1), b(1);
  a.SetChain(0, {"x", "y"});
  b.SetChain(0, {"y", "x"});
  EXPECT_FALSE(a == b);
  b.SetChain(0, {"x", "y"});
  EXPECT_TRUE(a == b);
  b.SetMemberSince(0, "y", 4);
  EXPECT_FALSE(a == b);
  a.SetMemberSince(0, "y", 4);
  a.set_replication_factor(2);
  EXPECT_FALSE(a == b);
}

// Every chain has `width` distinct members, memberships differ by at most one, heads by at most
// `head_spread`.
void ExpectChainsBalanced(const SlotMap& map, const std::vector<std::string>& nodes, size_t width,
                          int32_t head_spread) {
  for (Slot s = 0; s < map.slot_count(); ++s) {
    const auto& chain = map.Chain(s);
    ASSERT_EQ(chain.size(), width) << s;
    ASSERT_EQ(std::set<std::string>(chain.begin(), chain.end()).size(), width) << s;
  }
  auto members = map.MemberCounts();
  auto heads = map.Counts();
  int32_t lo = map.slot_count(), hi = 0, head_lo = map.slot_count(), head_hi = 0;
  for (const auto& node : nodes) {
    lo = std::min(lo, members[node]);
    hi = std::max(hi, members[node]);
    head_lo = std::min(head_lo, heads[node]);
    head_hi = std::max(head_hi, heads[node]);
  }
  EXPECT_LE(hi - lo, 1);
  EXPECT_LE(head_hi - head_lo, head_spread);
  EXPECT_EQ(members.size(), nodes.size());
}

TEST(SlotMapTest, RebalanceGivesEveryChainRDistinctMembersEvenly) {
  SlotMap map(1024);
  map.set_replication_factor(3);
  EXPECT_EQ(map.Rebalance({"a", "b", "c", "d", "e"}), 1024);
  ExpectChainsBalanced(map, {"a", "b", "c", "d", "e"}, 3, 1);
}

TEST(SlotMapTest, RebalanceKeepsLiveMembersInPlaceWhenNodeDies) {
  SlotMap map(240);
  map.set_replication_factor(2);
  map.Rebalance({"a", "b", "c", "d"});
  const SlotMap before = map;
  map.Rebalance({"a", "b", "d"});
  ExpectChainsBalanced(map, {"a", "b", "d"}, 2, 10);
  for (Slot s = 0; s < map.slot_count(); ++s) {
    for (size_t i = 0; i < 2; ++i) {
      if (before.Chain(s)[i] != "c") {
        EXPECT_EQ(map.Chain(s)[i], before.Chain(s)[i]) << s;
      }
    }
  }
}

TEST(SlotMapTest, RebalanceMovesFewestMembershipsWhenNodeJoins) {
  SlotMap map(300);
  map.set_replication_factor(2);
  map.Rebalance({"a", "b", "c"});
  const SlotMap before = map;
  map.Rebalance({"a", "b", "c", "d"});
  ExpectChainsBalanced(map, {"a", "b", "c", "d"}, 2, 20);
  int32_t changed = 0;
  for (Slot s = 0; s < map.slot_count(); ++s) {
    for (size_t i = 0; i < 2; ++i) {
      if (map.Chain(s)[i] != before.Chain(s)[i]) {
        EXPECT_EQ(map.Chain(s)[i], "d");
        ++changed;
      }
    }
  }
  EXPECT_EQ(changed, 150);  // d's share of 600 memberships
}

TEST(SlotMapTest, RebalancePutsChainMembersOnDistinctHosts) {
  SlotMap map(64);
  map.set_replication_factor(2);
  const std::map<std::string, std::string> hosts{
      {"a1", "ha"}, {"a2", "ha"}, {"b1", "hb"}, {"b2", "hb"}};
  map.Rebalance({"a1", "a2", "b1", "b2"}, {}, hosts);
  ExpectChainsBalanced(map, {"a1", "a2", "b1", "b2"}, 2, 1);
  for (Slot s = 0; s < map.slot_count(); ++s) {
    EXPECT_NE(hosts.at(map.Chain(s)[0]), hosts.at(map.Chain(s)[1])) << s;
  }
}

TEST(SlotMapTest, RebalanceWithFewerNodesThanRMakesShorterChains) {
  SlotMap map(8);
  map.set_replication_factor(3);
  map.Rebalance({"a", "b"});
  ExpectChainsBalanced(map, {"a", "b"}, 2, 0);
  map.Rebalance({"a", "b", "c"});  // the chains grow to R; c joins each at the tail
  ExpectChainsBalanced(map, {"a", "b", "c"}, 3, 4);
}

TEST(SlotMapTest, OverFullNodeLeavesChainsThatANodeWithRoomCanJoin) {
  SlotMap map(6);
  map.set_replication_factor(2);
  // c holds 6 memberships of 12, b its share of 4, a 2. c's highest slots are the ones a is in
  // already: leaving those would hand them to b (the only other node), over its share.
  for (Slot s = 0; s < 4; ++s) map.SetChain(s, {"b", "c"});
  for (Slot s = 4; s < 6; ++s) map.SetChain(s, {"a", "c"});
  EXPECT_EQ(map.Rebalance({"a", "b", "c"}), 2);  // the fewest: a joins two of b's chains
  ExpectChainsBalanced(map, {"a", "b", "c"}, 2, map.slot_count());
}

TEST(SlotMapTest, RebalanceBalancesMembershipsFromAnyChains) {
  // Random, lopsided and short chains (as after nodes died and came back): the greedy fill alone
  // can run out of chains that a node under its share is missing from.
  std::mt19937 random(7);
  for (int round = 0; round < 100; ++round) {
    const int32_t nodes = 3 + static_cast<int32_t>(random() % 4);
    const int32_t r = 2 + static_cast<int32_t>(random() % 2);
    SlotMap map(64 + static_cast<int32_t>(random() % 64));
    map.set_replication_factor(r);
    std::vector<std::string> ids;
    for (int32_t i = 0; i < nodes; ++i) ids.push_back("n" + std::to_string(i));
    for (Slot s = 0; s < map.slot_count(); ++s) {
      // Low ids are picked far more often than high ones.
      std::vector<std::string> chain;
      const size_t length = 1 + random() % static_cast<size_t>(r);
      while (chain.size() < length) {
        const std::string& id = ids[random() % (1 + random() % ids.size())];
        if (std::find(chain.begin(), chain.end(), id) == chain.end()) chain.push_back(id);
      }
      map.SetChain(s, chain);
    }
    std::map<std::string, std::string> hosts;
    if (round % 2 == 1) {
      for (int32_t i = 0; i < nodes; ++i) hosts[ids[i]] = "h" + std::to_string(i % 2);
    }
    map.Rebalance(ids, {}, hosts);
    SCOPED_TRACE("round " + std::to_string(round));
    ExpectChainsBalanced(map, ids, static_cast<size_t>(r), map.slot_count());
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace dkv
