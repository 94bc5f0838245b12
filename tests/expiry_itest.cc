// Expiry and op atomicity end to end (issue #4), through the client library, a real dkv-server and
// real dkv-data processes: keys with a TTL that nobody reads are reclaimed by the data nodes'
// active expiry, and INCRBY from many clients at once loses no increment.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dkv/client.h"
#include "tests/harness/test_util.h"
#include "tests/mini_cluster.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class ExpiryItest : public MiniClusterTest {
 protected:
  static std::unique_ptr<client::Client> ConnectOrDie(MiniCluster& cluster) {
    auto client = cluster.Connect();
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  // Keys held by the data nodes, as the master's status reports them (expired keys included
  // until they are deleted); -1 if the status cannot be read.
  static int64_t TotalKeys(client::Client& client) {
    auto status = client.GetStatus();
    if (!status.ok()) return -1;
    int64_t keys = 0;
    for (const auto& node : status->data_nodes) keys += node.keys;
    return keys;
  }
};

TEST_F(ExpiryItest, UnreadKeysWithATtlAreReclaimedByTheDataNodes) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = ConnectOrDie(cluster);
  ASSERT_NE(nullptr, client);

  client::SetOptions short_ttl;
  short_ttl.ttl = milliseconds(100);
  for (int i = 0; i < 200; ++i) {
    auto stored = client->Set("ttl-" + std::to_string(i), "v", short_ttl);
    DKV_ASSERT_OK(stored);
    ASSERT_TRUE(*stored);
  }
  for (int i = 0; i < 10; ++i) DKV_ASSERT_OK(client->Set("kept-" + std::to_string(i), "v"));

  // Nothing reads the keys: only active expiry can delete them. Generous for loaded machines.
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  int64_t keys = TotalKeys(*client);
  while (keys != 10 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    keys = TotalKeys(*client);
  }
  EXPECT_EQ(keys, 10);
  auto kept = client->Get("kept-3");
  DKV_ASSERT_OK(kept);
  EXPECT_TRUE(kept->has_value());
}

TEST_F(ExpiryItest, IncrByFromManyClientsAtOnceLosesNoIncrement) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  constexpr int kClients = 4;
  constexpr int kIncrements = 100;
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(ConnectOrDie(cluster));
    ASSERT_NE(nullptr, clients.back());
  }
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&client = *clients[c]] {
      for (int i = 0; i < kIncrements; ++i) DKV_EXPECT_OK(client.IncrBy("counter", 1));
    });
  }
  for (auto& t : threads) t.join();
  auto value = clients[0]->Get("counter");
  DKV_ASSERT_OK(value);
  EXPECT_EQ(*value, std::optional<std::string>(std::to_string(kClients * kIncrements)));
}

}  // namespace
}  // namespace dkv::test
