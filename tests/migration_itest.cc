// Slot moves end to end (issue #4): keys move with their slots while a verifying writer runs, when
// a data node joins (also across a master kill), when one is drained with `dkv node drain`, and
// when one crashes (only the slots the master reports lost may lose keys). Slot balance is checked
// after every change (MiniCluster::WaitForDataNodes).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "common/slot.h"
#include "dkv/client.h"
#include "tests/harness/test_util.h"
#include "tests/mini_cluster.h"
#include "tests/verifying_writer.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;

class MigrationItest : public MiniClusterTest {
 protected:
  static constexpr int kKeys = 1000;
  static constexpr int kPreloaded = 5000;

  // Stores p0..p<kPreloaded-1> (value "v-<key>"), so moves have keys to copy besides the writer's.
  static void Preload(client::Client& client) {
    for (int i = 0; i < kPreloaded; ++i) {
      const std::string key = "p" + std::to_string(i);
      DKV_ASSERT_OK(client.Set(key, "v-" + key));
    }
  }

  // Every preloaded key outside `lost` reads back.
  static void ExpectPreloaded(client::Client& client, const std::set<Slot>& lost = {},
                              int32_t slot_count = 0) {
    int missing = 0;
    for (int i = 0; i < kPreloaded; ++i) {
      const std::string key = "p" + std::to_string(i);
      if (!lost.empty() && lost.count(SlotOf(key, slot_count))) continue;
      auto got = client.Get(key);
      DKV_ASSERT_OK(got);
      if (*got != std::optional<std::string>("v-" + key)) ++missing;
    }
    EXPECT_EQ(0, missing) << "preloaded keys lost or wrong";
  }
};

TEST_F(MigrationItest, KeysMoveWithTheirSlotsWhenADataNodeJoins) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(Preload(**client));

  VerifyingWriter writer(client->get(), kKeys);
  DKV_ASSERT_OK(writer.WaitForMoreAcks(kKeys));  // every key written before the change
  DKV_ASSERT_OK(cluster.StartDataNode("d3"));
  DKV_ASSERT_OK(cluster.WaitForDataNodes(3));  // balanced over the three
  DKV_ASSERT_OK(writer.WaitForMoreAcks(200));
  writer.Stop();
  std::cout << writer.acks() << " writes acknowledged, " << writer.failures()
            << " failed, while d3 joined\n";

  EXPECT_EQ(kKeys, writer.Verify());
  ASSERT_NO_FATAL_FAILURE(ExpectPreloaded(**client));
  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_EQ(0, status->lost_slots);
  EXPECT_GE(status->moved_slots, status->slot_count / 3);
  for (const auto& d : status->data_nodes) EXPECT_GT(d.keys, 0) << d.id << " holds no key";
}

TEST_F(MigrationItest, DrainedDataNodeLeavesWithoutLosingAKey) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 3));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(Preload(**client));

  VerifyingWriter writer(client->get(), kKeys);
  DKV_ASSERT_OK(writer.WaitForMoreAcks(kKeys));
  auto drained = cluster.RunCli({"node", "drain", "d2"});
  DKV_ASSERT_OK(drained);
  EXPECT_EQ(0, drained->exit_code) << drained->ToString();
  EXPECT_NE(drained->out.find("d2: drained, it left the cluster"), std::string::npos)
      << drained->ToString();
  DKV_ASSERT_OK(cluster.WaitForDataNodeExit("d2"));
  auto map = cluster.WaitForDataNodes(2);  // balanced over d1 and d3
  DKV_ASSERT_OK(map);
  EXPECT_TRUE(map->SlotsOf("d2").empty());
  DKV_ASSERT_OK(writer.WaitForMoreAcks(200));
  writer.Stop();
  std::cout << writer.acks() << " writes acknowledged, " << writer.failures()
            << " failed, while d2 was drained\n";

  EXPECT_EQ(kKeys, writer.Verify());
  ASSERT_NO_FATAL_FAILURE(ExpectPreloaded(**client));
  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_EQ(0, status->lost_slots);
  EXPECT_TRUE(status->draining_data_nodes.empty());
  auto exists = cluster.coordinator()->Exists(cluster.paths().draining_node("d2"));
  DKV_ASSERT_OK(exists);
  EXPECT_FALSE(*exists) << "the drain request outlived the node";
}

TEST_F(MigrationItest, CrashedDataNodeLosesOnlyTheSlotsTheMasterReportsLost) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 3));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(Preload(**client));

  VerifyingWriter writer(client->get(), kKeys);
  DKV_ASSERT_OK(writer.WaitForMoreAcks(kKeys));
  auto before = cluster.ReadSlotMap();
  DKV_ASSERT_OK(before);
  const std::vector<Slot> owned = before->SlotsOf("d3");
  const std::set<Slot> lost(owned.begin(), owned.end());
  DKV_ASSERT_OK(cluster.KillDataNode("d3"));
  DKV_ASSERT_OK(cluster.WaitForDataNodes(2));  // its slots went to d1 and d2, balanced
  DKV_ASSERT_OK(writer.WaitForMoreAcks(200));
  writer.Stop();

  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_EQ(static_cast<int64_t>(lost.size()), status->lost_slots);
  EXPECT_EQ(owned, status->lost_slot_ids);  // the master names exactly the slots d3 had
  const int checked = writer.Verify(lost, before->slot_count());
  EXPECT_GT(checked, kKeys / 2);
  ASSERT_NO_FATAL_FAILURE(ExpectPreloaded(**client, lost, before->slot_count()));
}

TEST_F(MigrationItest, NoKeyIsLostWhenTheMasterIsKilledWhileSlotsMove) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(Preload(**client));

  VerifyingWriter writer(client->get(), kKeys);
  DKV_ASSERT_OK(writer.WaitForMoreAcks(kKeys));
  auto before = cluster.ReadSlotMap();
  DKV_ASSERT_OK(before);
  DKV_ASSERT_OK(cluster.StartDataNode("d3"));
  // Kill the master as soon as the first batch has flipped: the rest of the moves are its
  // successor's, re-planned from the map in ZooKeeper.
  DKV_ASSERT_OK(WaitFor(
      [&] {
        auto map = cluster.ReadSlotMap();
        return map.ok() && map->version() > before->version();
      },
      milliseconds(20000), milliseconds(5), "the first slots moved to d3"));
  auto master = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(master);
  DKV_ASSERT_OK(cluster.KillServer(*master));
  DKV_ASSERT_OK(cluster.WaitForDataNodes(3));  // the new master finished the job, balanced
  DKV_ASSERT_OK(writer.WaitForMoreAcks(200));
  writer.Stop();
  std::cout << writer.acks() << " writes acknowledged, " << writer.failures()
            << " failed, across a master kill while slots moved\n";

  EXPECT_EQ(kKeys, writer.Verify());
  ASSERT_NO_FATAL_FAILURE(ExpectPreloaded(**client));
  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_EQ(0, status->lost_slots);
}

TEST_F(MigrationItest, RebalanceAndStatusSpeakJson) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto rebalance = cluster.RunCli({"rebalance", "--json"});
  DKV_ASSERT_OK(rebalance);
  EXPECT_EQ(0, rebalance->exit_code) << rebalance->ToString();
  EXPECT_EQ("{\"slots_to_move\":0}\n", rebalance->out);
  auto status = cluster.RunCli({"status", "--json"});
  DKV_ASSERT_OK(status);
  EXPECT_EQ(0, status->exit_code) << status->ToString();
  EXPECT_NE(status->out.find("\"moves\":[]"), std::string::npos) << status->out;
  EXPECT_NE(status->out.find("\"draining_data_nodes\":[]"), std::string::npos) << status->out;
  auto unknown = cluster.RunCli({"node", "drain", "nope"});
  DKV_ASSERT_OK(unknown);
  EXPECT_EQ(2, unknown->exit_code) << unknown->ToString();
  EXPECT_NE(unknown->err.find("NOT_FOUND"), std::string::npos) << unknown->ToString();
}

}  // namespace
}  // namespace dkv::test
