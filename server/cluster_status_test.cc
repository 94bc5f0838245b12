// DescribeChains: the chain side of `dkv status` from a slot map.
#include "server/cluster_status.h"

#include <gtest/gtest.h>

namespace dkv::server {
namespace {

DataNodeStatus Node(const std::string& id) {
  DataNodeStatus node;
  node.id = id;
  return node;
}

// Four slots at R = 2 over d1, d2, d3: slot 3 has one member.
SlotMap FourSlots() {
  SlotMap map(4);
  map.set_replication_factor(2);
  map.SetChain(0, {"d1", "d2"});
  map.SetChain(1, {"d2", "d3"});
  map.SetChain(2, {"d3", "d1"});
  map.SetChain(3, {"d1"});
  return map;
}

TEST(ClusterStatusTest, DataNodesCountMembershipsAsSlotsAndHeadsApart) {
  ClusterStatus status;
  status.data_nodes = {Node("d1"), Node("d2"), Node("d3"), Node("d4")};
  DescribeChains(FourSlots(), &status);
  EXPECT_EQ(status.data_nodes[0].slots, 3);
  EXPECT_EQ(status.data_nodes[0].head_slots, 2);
  EXPECT_EQ(status.data_nodes[1].slots, 2);
  EXPECT_EQ(status.data_nodes[1].head_slots, 1);
  EXPECT_EQ(status.data_nodes[2].slots, 2);
  EXPECT_EQ(status.data_nodes[2].head_slots, 1);
  EXPECT_EQ(status.data_nodes[3].slots, 0);  // in no chain yet
  EXPECT_EQ(status.data_nodes[3].head_slots, 0);
  EXPECT_EQ(status.replication_factor, 2);
  EXPECT_EQ(status.under_replicated, (std::vector<Slot>{3}));
  EXPECT_TRUE(status.warnings.empty());
}

TEST(ClusterStatusTest, WarnsWhenTheReplicationFactorExceedsTheDataNodesNotDraining) {
  SlotMap map = FourSlots();
  map.set_replication_factor(3);
  ClusterStatus status;
  status.data_nodes = {Node("d1"), Node("d2"), Node("d3")};
  DescribeChains(map, &status);
  EXPECT_TRUE(status.warnings.empty());  // three nodes make chains of three

  status.draining_data_nodes = {"d3"};
  DescribeChains(map, &status);
  ASSERT_EQ(status.warnings.size(), 1u);
  EXPECT_EQ(status.warnings[0],
            "replication factor 3 but only 2 live data nodes (not draining): chains will have "
            "only 2 members until more data nodes join");
  EXPECT_EQ(status.under_replicated, (std::vector<Slot>{0, 1, 2, 3}));
}

TEST(ClusterStatusTest, OneMemberChainsAreNotUnderReplicatedAtReplicationFactorOne) {
  SlotMap map(2);
  map.Assign(0, "d1");
  map.Assign(1, "d1");
  ClusterStatus status;
  status.data_nodes = {Node("d1")};
  DescribeChains(map, &status);
  EXPECT_EQ(status.data_nodes[0].slots, 2);
  EXPECT_EQ(status.data_nodes[0].head_slots, 2);
  EXPECT_EQ(status.replication_factor, 1);
  EXPECT_TRUE(status.under_replicated.empty());
  EXPECT_TRUE(status.warnings.empty());
}

}  // namespace
}  // namespace dkv::server
