// Chain replication end to end (docs/replication.md): real ZooKeeper, dkv-server and dkv-data
// processes with --replication-factor 2, killed with SIGKILL. Every acknowledged write must
// survive the death of any one data node, the chains must grow back to R over the survivors (by
// copies), and a restarted node must rejoin by copy without ever serving what it lost.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/slot.h"
#include "tests/mini_cluster.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;

class ReplicationItest : public MiniClusterTest {
 protected:
  MiniClusterOptions ReplicatedOptions(int replication_factor) const {
    MiniClusterOptions options = Options();
    options.server_flags = {"--replication-factor", std::to_string(replication_factor)};
    return options;
  }

  // A cluster of 1 server and 3 data nodes with R = `replication_factor`, a client, and 300 keys
  // written through it (written_).
  void StartWithKeys(int replication_factor) {
    cluster_ = std::make_unique<MiniCluster>(ReplicatedOptions(replication_factor));
    ASSERT_NO_FATAL_FAILURE(StartCluster(*cluster_, 1, 3));
    auto client = cluster_->Connect();
    DKV_ASSERT_OK(client.status());
    client_ = std::move(client).value();
    written_ = WriteKeys(*client_, 300, "v");
  }

  std::unique_ptr<MiniCluster> cluster_;
  std::unique_ptr<client::Client> client_;  // destroyed before the cluster (declared after it)
  std::map<std::string, std::string> written_;

  // Writes `n` keys with values naming them; returns them.
  static std::map<std::string, std::string> WriteKeys(client::Client& client, int n,
                                                      const std::string& tag) {
    std::map<std::string, std::string> written;
    for (int i = 0; i < n; ++i) {
      const std::string key = "key-" + std::to_string(i);
      const std::string value = tag + "-" + std::to_string(i);
      Status s = client.Set(key, value);
      EXPECT_TRUE(s.ok()) << key << ": " << s.ToString();
      if (s.ok()) written[key] = value;
    }
    return written;
  }

  static void ExpectAll(client::Client& client, const std::map<std::string, std::string>& keys) {
    int missing = 0;
    for (const auto& [key, value] : keys) {
      auto got = client.Get(key);
      ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
      if (!got->has_value() || **got != value) {
        if (++missing <= 5) {
          ADD_FAILURE() << key << ": expected " << value << ", got "
                        << (got->has_value() ? **got : "<absent>");
        }
      }
    }
    EXPECT_EQ(missing, 0) << "of " << keys.size() << " acknowledged writes";
  }
};

TEST_F(ReplicationItest, EverySlotHasAChainOfTwoOnDistinctNodes) {
  MiniCluster cluster(ReplicatedOptions(2));
  StartCluster(cluster, 1, 3);
  auto map = cluster.ReadSlotMap();
  DKV_ASSERT_OK(map.status());
  EXPECT_EQ(map->replication_factor(), 2);
  EXPECT_TRUE(map->UnderReplicated().empty());
  for (Slot slot = 0; slot < map->slot_count(); ++slot) {
    const auto& chain = map->Chain(slot);
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_NE(chain[0], chain[1]);
  }
}

TEST_F(ReplicationItest, NoAcknowledgedWriteIsLostWhenADataNodeIsKilled) {
  ASSERT_NO_FATAL_FAILURE(StartWithKeys(2));
  DKV_ASSERT_OK(cluster_->KillDataNode("d2"));
  // Reads and writes go on at once over the survivors, before d2's session expires.
  ExpectAll(*client_, written_);
  const auto after = WriteKeys(*client_, 100, "after");
  // The chains grow back to two members over d1 and d3, by copies; nothing is lost on the way.
  DKV_ASSERT_OK(cluster_->WaitForDataNodes(2));
  std::map<std::string, std::string> all = written_;
  for (const auto& [key, value] : after) all[key] = value;
  ExpectAll(*client_, all);
}

TEST_F(ReplicationItest, ARestartedDataNodeRejoinsByCopyAndServesNothingItLost) {
  ASSERT_NO_FATAL_FAILURE(StartWithKeys(2));
  DKV_ASSERT_OK(cluster_->KillDataNode("d1"));
  DKV_ASSERT_OK(cluster_->StartDataNode("d1"));  // the supervisor's restart, same id
  // Until the master replaces it, the new d1 process holds no table of its old slots: every read
  // (spread over chain members) still sees every acknowledged write.
  ExpectAll(*client_, written_);
  DKV_ASSERT_OK(cluster_->WaitForDataNodes(3));
  ExpectAll(*client_, written_);
  // And d1 is a full member again: with d3 gone, d1 and d2 must hold everything.
  DKV_ASSERT_OK(cluster_->KillDataNode("d3"));
  ExpectAll(*client_, written_);
}

TEST_F(ReplicationItest, RaisingTheReplicationFactorExtendsEveryChainByCopies) {
  ASSERT_NO_FATAL_FAILURE(StartWithKeys(1));
  auto replicas = cluster_->RunCli({"replicas", "3"});
  DKV_ASSERT_OK(replicas.status());
  ASSERT_EQ(replicas->exit_code, 0) << replicas->ToString();
  DKV_ASSERT_OK(cluster_->WaitForDataNodes(3));
  // Any two nodes may go: the third has every key.
  DKV_ASSERT_OK(cluster_->KillDataNode("d1"));
  DKV_ASSERT_OK(cluster_->KillDataNode("d2"));
  ExpectAll(*client_, written_);
}

}  // namespace
}  // namespace dkv::test
