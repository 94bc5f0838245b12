// The client library (dkv/client.h) end to end: every call against real dkv-server and dkv-data
// processes and a real ZooKeeper (one per test binary, shared; each test has its own cluster name),
// failover after the master is SIGKILLed, the size limits and the errors a caller can see.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dkv/client.h"
#include "tests/harness/test_util.h"
#include "tests/mini_cluster.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class ClientItest : public MiniClusterTest {
 protected:
  static std::unique_ptr<client::Client> ConnectOrDie(MiniCluster& cluster) {
    auto client = cluster.Connect();
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  static int64_t TotalKeys(client::Client& client) {
    auto status = client.GetStatus();
    EXPECT_TRUE(status.ok()) << status.status().ToString();
    if (!status.ok()) return -1;
    int64_t keys = 0;
    for (const auto& node : status->data_nodes) keys += node.keys;
    return keys;
  }
};

TEST_F(ClientItest, SetGetRemoveRoundTripBinarySafeKeysAndValues) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);

  const std::string key("k\0ey\n\xff", 6);
  const std::string value("v\0al\r\n\x00\xfe", 8);
  DKV_ASSERT_OK(client->Set(key, value));
  auto got = client->Get(key);
  DKV_ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(value, **got);

  DKV_ASSERT_OK(client->Set(key, "second"));
  got = client->Get(key);
  DKV_ASSERT_OK(got);
  EXPECT_EQ(std::optional<std::string>("second"), *got);

  DKV_ASSERT_OK(client->Set("empty", ""));
  got = client->Get("empty");
  DKV_ASSERT_OK(got);
  EXPECT_EQ(std::optional<std::string>(""), *got);

  auto removed = client->Remove(key);
  DKV_ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
  removed = client->Remove(key);
  DKV_ASSERT_OK(removed);
  EXPECT_FALSE(*removed);
  got = client->Get(key);
  DKV_ASSERT_OK(got);
  EXPECT_FALSE(got->has_value());
}

TEST_F(ClientItest, GetOfAbsentKeyIsNulloptNotAnError) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 1));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);
  auto got = client->Get("never-set");
  DKV_ASSERT_OK(got);
  EXPECT_FALSE(got->has_value());
}

TEST_F(ClientItest, UnsafeSetReturnsAtOnceAndTheValueArrives) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);
  // A first call finds the master, so the timing below measures the oneway send only.
  DKV_ASSERT_OK(client->Set("warm", "up"));

  const auto start = Clock::now();
  client->UnsafeSet("fire", "forget");
  EXPECT_LT(Clock::now() - start, milliseconds(500));
  DKV_EXPECT_OK(WaitFor(
      [&] {
        auto got = client->Get("fire");
        return got.ok() && *got == std::optional<std::string>("forget");
      },
      milliseconds(5000), milliseconds(10), "the unsafe-set value to arrive"));
}

TEST_F(ClientItest, GetStatusReportsMasterStandbysDataNodesClientsAndSlots) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  auto master = cluster.WaitForMaster();
  DKV_ASSERT_OK(master);
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);
  for (int i = 0; i < 20; ++i) DKV_ASSERT_OK(client->Set("key" + std::to_string(i), "v"));

  auto status = client->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_EQ(cluster.cluster(), status->cluster);
  ASSERT_TRUE(status->master.has_value());
  EXPECT_EQ(master->server_id, status->master->id);
  EXPECT_EQ(master->address, status->master->address);
  EXPECT_EQ(master->epoch, status->master->epoch);
  EXPECT_GT(status->master->epoch, 0);
  ASSERT_EQ(1u, status->standbys.size());
  EXPECT_NE(master->address, status->standbys[0].address);
  EXPECT_NE(std::string::npos, status->standbys[0].id.find("srv-"));
  ASSERT_EQ(2u, status->data_nodes.size());
  int32_t slots = 0;
  int64_t keys = 0;
  for (const auto& node : status->data_nodes) {
    EXPECT_TRUE(node.id == "d1" || node.id == "d2") << node.id;
    EXPECT_NE(std::string::npos, node.address.find("127.0.0.1:")) << node.address;
    EXPECT_EQ(512, node.slots) << node.id;
    slots += node.slots;
    keys += node.keys;
  }
  EXPECT_EQ(1024, slots);
  EXPECT_EQ(20, keys);
  EXPECT_GE(status->clients, 1);
  EXPECT_EQ(1024, status->slot_count);
  EXPECT_GT(status->slot_map_version, 0);
}

TEST_F(ClientItest, StatusCountsConnectedClients) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 1));
  auto first = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, first);
  auto status = first->GetStatus();
  DKV_ASSERT_OK(status);
  const int32_t before = status->clients;
  EXPECT_GE(before, 1);
  {
    auto second = ConnectOrDie(cluster);
    ASSERT_NE(nullptr, second);
    DKV_EXPECT_OK(WaitFor(
        [&] {
          auto s = first->GetStatus();
          return s.ok() && s->clients == before + 1;
        },
        milliseconds(5000), milliseconds(20), "a second client to be counted"));
  }
  // Destroying a client closes its session, so it leaves clients/ at once.
  DKV_EXPECT_OK(WaitFor(
      [&] {
        auto s = first->GetStatus();
        return s.ok() && s->clients == before;
      },
      milliseconds(5000), milliseconds(20), "the second client to leave"));
}

TEST_F(ClientItest, NextCallsSucceedAfterTheMasterIsKilled) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);
  DKV_ASSERT_OK(client->Set("before", "failover"));
  auto old_master = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(old_master);
  auto old_info = cluster.WaitForMaster();
  DKV_ASSERT_OK(old_info);

  DKV_ASSERT_OK(cluster.KillServer(*old_master));
  // The calls must ride out the failover themselves: no waiting for the new master first. The
  // standby takes over once the dead master's session expires (about one session timeout).
  const auto start = Clock::now();
  DKV_ASSERT_OK(client->Set("after", "failover", milliseconds(10000)));
  const auto took = Clock::now() - start;
  EXPECT_LT(took, milliseconds(10000));
  auto got = client->Get("after", milliseconds(10000));
  DKV_ASSERT_OK(got);
  EXPECT_EQ(std::optional<std::string>("failover"), *got);
  // The data nodes lived through it and the slot map kept its owners, so older keys are still
  // there.
  got = client->Get("before", milliseconds(10000));
  DKV_ASSERT_OK(got);
  EXPECT_EQ(std::optional<std::string>("failover"), *got);

  auto new_info = cluster.WaitForMaster();
  DKV_ASSERT_OK(new_info);
  EXPECT_NE(old_info->address, new_info->address);
  EXPECT_GT(new_info->epoch, old_info->epoch);
  auto removed = client->Remove("after");
  DKV_ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
}

TEST_F(ClientItest, AsyncCallsFromOneThreadAllLandAndRideOutAMasterKill) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);
  auto old_master = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(old_master);
  auto old_info = cluster.WaitForMaster();
  DKV_ASSERT_OK(old_info);

  // 2000 sets in flight from this thread, the master killed after the first half was made.
  constexpr int kKeys = 2000;
  std::vector<Status> outcomes(kKeys, Status::Internal("not called"));
  for (int i = 0; i < kKeys; ++i) {
    if (i == kKeys / 2) DKV_ASSERT_OK(cluster.KillServer(*old_master));
    client->SetAsync(
        "k" + std::to_string(i), "v" + std::to_string(i),
        [&outcomes, i](Status s) { outcomes[i] = std::move(s); }, milliseconds(15000));
  }
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("k" + std::to_string(i));
  Result<std::vector<std::optional<std::string>>> values = Status::Internal("not called");
  client->MGetAsync(
      keys, [&](auto r) { values = std::move(r); }, milliseconds(15000));
  client.reset();  // waits for every asynchronous call
  for (int i = 0; i < kKeys; ++i)
    EXPECT_TRUE(outcomes[i].ok()) << "k" << i << ": " << outcomes[i].ToString();
  DKV_ASSERT_OK(values);
  ASSERT_EQ(values->size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ((*values)[i], std::optional<std::string>("v" + std::to_string(i))) << "k" << i;
  }
}

TEST_F(ClientItest, KeyAboveTheLimitIsRefusedWithKeyTooLargeAndNothingIsStored) {
  MiniClusterOptions options = Options();
  options.server_flags = {"--max-key-bytes", "100", "--max-value-bytes", "1000"};
  options.data_flags = {"--max-key-bytes", "100", "--max-value-bytes", "1000"};
  MiniCluster cluster(options);
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);

  const std::string big_key(101, 'k');
  Status s = client->Set(big_key, "v");
  EXPECT_EQ(Status::Code::kKeyTooLarge, s.code()) << s.ToString();
  auto got = client->Get(big_key);
  EXPECT_EQ(Status::Code::kKeyTooLarge, got.status().code()) << got.status().ToString();
  auto removed = client->Remove(big_key);
  EXPECT_EQ(Status::Code::kKeyTooLarge, removed.status().code()) << removed.status().ToString();
  EXPECT_EQ(0, TotalKeys(*client));

  // At the limit is fine.
  const std::string max_key(100, 'k');
  DKV_ASSERT_OK(client->Set(max_key, "v"));
  EXPECT_EQ(1, TotalKeys(*client));
}

TEST_F(ClientItest, ValueAboveTheLimitIsRefusedWithValueTooLargeAndNothingIsStored) {
  MiniClusterOptions options = Options();
  options.server_flags = {"--max-key-bytes", "100", "--max-value-bytes", "1000"};
  options.data_flags = {"--max-key-bytes", "100", "--max-value-bytes", "1000"};
  MiniCluster cluster(options);
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);

  Status s = client->Set("k", std::string(1001, 'v'));
  EXPECT_EQ(Status::Code::kValueTooLarge, s.code()) << s.ToString();
  auto got = client->Get("k");
  DKV_ASSERT_OK(got);
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(0, TotalKeys(*client));

  // Replacing an existing value with one too large keeps the old value.
  DKV_ASSERT_OK(client->Set("k", std::string(1000, 'v')));
  s = client->Set("k", std::string(1001, 'w'));
  EXPECT_EQ(Status::Code::kValueTooLarge, s.code()) << s.ToString();
  got = client->Get("k");
  DKV_ASSERT_OK(got);
  EXPECT_EQ(std::optional<std::string>(std::string(1000, 'v')), *got);
}

TEST_F(ClientItest, KeyAboveTheDefault64KiBLimitIsRefusedWithKeyTooLarge) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 1));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);

  Status s = client->Set(std::string(64 * 1024 + 1, 'k'), "v");
  EXPECT_EQ(Status::Code::kKeyTooLarge, s.code()) << s.ToString();
  EXPECT_EQ(0, TotalKeys(*client));
  DKV_ASSERT_OK(client->Set(std::string(64 * 1024, 'k'), "v"));
  EXPECT_EQ(1, TotalKeys(*client));
}

TEST_F(ClientItest, CallsFailWithNoDataNodesWhenNoDataNodeIsAlive) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 0));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);

  const auto start = Clock::now();
  Status s = client->Set("k", "v");
  EXPECT_EQ(Status::Code::kNoDataNodes, s.code()) << s.ToString();
  // Returned at once, not retried until the deadline.
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
  auto got = client->Get("k");
  EXPECT_EQ(Status::Code::kNoDataNodes, got.status().code()) << got.status().ToString();
  auto removed = client->Remove("k");
  EXPECT_EQ(Status::Code::kNoDataNodes, removed.status().code()) << removed.status().ToString();
}

TEST_F(ClientItest, CallsKeepWorkingAfterTheOnlyDataNodeIsReplaced) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 1));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);
  DKV_ASSERT_OK(client->Set("k", "v"));

  DKV_ASSERT_OK(cluster.StopDataNode("d1"));
  DKV_ASSERT_OK(WaitFor([&] { return client->Set("k", "v").code() == Status::Code::kNoDataNodes; },
                        milliseconds(10000), milliseconds(20),
                        "NO_DATA_NODES once the last data node left"));

  DKV_ASSERT_OK(cluster.StartDataNode("d2"));
  DKV_ASSERT_OK(cluster.WaitForDataNodes(1));
  DKV_ASSERT_OK(client->Set("k", "again"));
  auto got = client->Get("k");
  DKV_ASSERT_OK(got);
  EXPECT_EQ(std::optional<std::string>("again"), *got);
}

TEST_F(ClientItest, CallsFailWithUnavailableAtTheirDeadlineWhenNoMasterIsElected) {
  MiniCluster cluster(Options());
  DKV_ASSERT_OK(cluster.Init());  // ZooKeeper only: no server at all
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);

  const auto start = Clock::now();
  auto got = client->Get("k", milliseconds(1000));
  const auto took = Clock::now() - start;
  EXPECT_EQ(Status::Code::kUnavailable, got.status().code()) << got.status().ToString();
  EXPECT_GE(took, milliseconds(900));
  EXPECT_LT(took, milliseconds(2000));
}

TEST_F(ClientItest, ConnectFailsWithinItsTimeoutNamingTheConnectStringWhenZooKeeperIsDown) {
  client::ClientOptions options;
  options.zookeeper = "127.0.0.1:" + std::to_string(PickFreePort());
  options.cluster = "nobody";
  options.timeout = milliseconds(1000);

  const auto start = Clock::now();
  auto client = client::Client::Connect(options);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(Status::Code::kUnavailable, client.status().code()) << client.status().ToString();
  EXPECT_NE(std::string::npos, client.status().message().find(options.zookeeper))
      << client.status().ToString();
  EXPECT_LT(took, milliseconds(2000));
}

}  // namespace
}  // namespace dkv::test
