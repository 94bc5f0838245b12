// dkv-data's drain on SIGTERM (docs/migration.md), against real processes and a real ZooKeeper:
// it asks the master to move its slots away (draining/<id>) and waits until they have moved with
// their keys, a second signal ends the wait, and a node whose slots nobody could take exits at
// once.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>

#include "tests/harness/test_util.h"
#include "tests/mini_cluster.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class DataDrainItest : public MiniClusterTest {
 protected:
  // Long enough that a test finishing well before it shows the drain did not run it out.
  static constexpr milliseconds kDrainTimeout{60000};

  MiniClusterOptions DrainOptions() const {
    MiniClusterOptions options = Options();
    options.data_drain_timeout = kDrainTimeout;
    return options;
  }
};

TEST_F(DataDrainItest, NodeWhoseSlotsNobodyCanTakeExitsAtOnceOnSigterm) {
  MiniCluster cluster(DrainOptions());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 1));
  const auto start = steady_clock::now();
  DKV_ASSERT_OK(cluster.StopDataNode("d1"));  // exits 0
  EXPECT_LT(steady_clock::now() - start, kDrainTimeout / 2);
  auto draining = cluster.coordinator()->Exists(cluster.paths().draining_node("d1"));
  DKV_ASSERT_OK(draining);
  EXPECT_FALSE(*draining);
}

TEST_F(DataDrainItest, SigtermMovesEverySlotWithItsKeysBeforeTheNodeExits) {
  MiniCluster cluster(DrainOptions());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  constexpr int kKeys = 300;
  for (int i = 0; i < kKeys; ++i) {
    DKV_ASSERT_OK((*client)->Set("k" + std::to_string(i), "v" + std::to_string(i)));
  }
  DKV_ASSERT_OK(cluster.SignalDataNode("d1", SIGTERM));
  // d1 leaves data/ only once the master has moved its slots to d2.
  auto after = cluster.WaitForDataNodes(1, kDrainTimeout / 2);
  DKV_ASSERT_OK(after);
  EXPECT_EQ(after->Counts().count("d1"), 0u);
  for (int i = 0; i < kKeys; ++i) {
    auto got = (*client)->Get("k" + std::to_string(i));
    DKV_ASSERT_OK(got);
    ASSERT_EQ(*got, std::optional<std::string>("v" + std::to_string(i))) << "k" << i;
  }
  DKV_ASSERT_OK(cluster.StopDataNode("d1"));  // it exited 0 by itself
}

TEST_F(DataDrainItest, SigtermAsksTheMasterToDrainAndASecondSignalStopsTheWait) {
  MiniCluster cluster(DrainOptions());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  DKV_ASSERT_OK(cluster.SignalDataNode("d1", SIGTERM));
  // The request is up (or the master already moved every slot away).
  auto asked = [&] {
    auto exists = cluster.coordinator()->Exists(cluster.paths().draining_node("d1"));
    if (exists.ok() && *exists) return true;
    auto map = cluster.ReadSlotMap();
    return map.ok() && map->Counts().count("d1") == 0;
  };
  DKV_ASSERT_OK(WaitFor(asked, milliseconds(20000), milliseconds(10), "d1 asked to be drained"));
  const auto start = steady_clock::now();
  DKV_ASSERT_OK(cluster.StopDataNode("d1"));  // the second SIGTERM; exits 0
  EXPECT_LT(steady_clock::now() - start, kDrainTimeout / 2);
  // It removed its request on the way out, and the master gave its slots to d2.
  auto draining = cluster.coordinator()->Exists(cluster.paths().draining_node("d1"));
  DKV_ASSERT_OK(draining);
  EXPECT_FALSE(*draining);
  DKV_ASSERT_OK(cluster.WaitForDataNodes(1));
}

}  // namespace
}  // namespace dkv::test
