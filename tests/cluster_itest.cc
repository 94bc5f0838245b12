// The cluster's behaviour as a whole, against real processes and a real ZooKeeper: standbys
// pointing at the master (spoken to over raw Thrift), failover, servers joining and leaving under a
// verifying writer, slot map rebalancing when data nodes join and die, and how evenly keys spread
// over the data nodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/host_port.h"
#include "common/rpc/rpc_connection.h"
#include "dkv/client.h"
#include "gen-cpp/Dkv.h"
#include "tests/harness/test_util.h"
#include "tests/mini_cluster.h"
#include "tests/verifying_writer.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;

class ClusterItest : public MiniClusterTest {
 protected:
  // Sets and reads back `count` keys named <prefix><i>; every call must succeed.
  static void ExpectCallsWork(client::Client& client, const std::string& prefix, int count) {
    for (int i = 0; i < count; ++i) {
      const std::string key = prefix + std::to_string(i);
      DKV_ASSERT_OK(client.Set(key, "value-" + key));
      auto got = client.Get(key);
      DKV_ASSERT_OK(got);
      ASSERT_EQ(std::optional<std::string>("value-" + key), *got);
    }
  }

  // Slots per data node as the master reports them; every count within one of the others.
  static void ExpectBalanced(const SlotMap& map, size_t nodes) {
    const auto counts = map.Counts();
    ASSERT_EQ(nodes, counts.size());
    int32_t lo = map.slot_count(), hi = 0, total = 0;
    for (const auto& [node, count] : counts) {
      lo = std::min(lo, count);
      hi = std::max(hi, count);
      total += count;
    }
    EXPECT_EQ(map.slot_count(), total);
    EXPECT_LE(hi - lo, 1);
  }
};

// A raw Thrift call to `address`; returns the DkvError it threw, if any.
template <typename Fn>
std::optional<rpc::DkvError> CallExpectingError(const std::string& address, Fn fn,
                                                Status* transport) {
  auto hp = ParseHostPort(address);
  EXPECT_TRUE(hp.ok()) << hp.status().ToString();
  rpc::RpcConnection<rpc::DkvClient> conn(*hp, rpc::RpcOptions{});
  std::optional<rpc::DkvError> error;
  *transport = conn.Call([&](rpc::DkvClient& c) {
    try {
      fn(c);
    } catch (const rpc::DkvError& e) {
      error = e;
    }
  });
  return error;
}

TEST_F(ClusterItest, StandbyAnswersNotMasterWithTheMasterAddress) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 1));
  auto master_index = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(master_index);
  auto master = cluster.WaitForMaster();
  DKV_ASSERT_OK(master);
  const int standby = 1 - *master_index;
  auto standby_address = cluster.ServerAddress(standby);
  DKV_ASSERT_OK(standby_address);
  ASSERT_NE(master->address, *standby_address);

  const std::map<std::string, std::function<void(rpc::DkvClient&)>> calls = {
      {"get",
       [](rpc::DkvClient& c) {
         rpc::GetReply reply;
         c.get(reply, "k");
       }},
      {"put", [](rpc::DkvClient& c) { c.put("k", "v"); }},
      {"remove", [](rpc::DkvClient& c) { c.remove("k"); }},
  };
  for (const auto& [name, call] : calls) {
    Status transport;
    auto error = CallExpectingError(*standby_address, call, &transport);
    DKV_ASSERT_OK(transport);
    ASSERT_TRUE(error.has_value()) << name << " on the standby succeeded";
    EXPECT_EQ(rpc::ErrorCode::NOT_MASTER, error->code) << name << ": " << error->message;
    EXPECT_TRUE(error->__isset.master_address) << name;
    EXPECT_EQ(master->address, error->master_address) << name;
  }

  // The master itself answers, and nothing was stored by the refused put.
  Status transport;
  auto error = CallExpectingError(
      master->address,
      [](rpc::DkvClient& c) {
        rpc::GetReply reply;
        c.get(reply, "k");
        EXPECT_FALSE(reply.found);
      },
      &transport);
  DKV_ASSERT_OK(transport);
  EXPECT_FALSE(error.has_value()) << error->message;
}

// A verifying writer runs while masters are SIGKILLed: every write the cluster acknowledged reads
// back afterwards (a write that failed may or may not have been applied, so a key whose last
// attempt failed may also hold that attempt's value).
TEST_F(ClusterItest, NoAcknowledgedWriteIsLostWhileMastersAreKilled) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 3, 2));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);

  VerifyingWriter writer(client->get(), 200);
  // Every key written once before the first kill, so each of them is checked at the end.
  Status progress = writer.WaitForMoreAcks(200);
  for (int kill = 0; kill < 2 && progress.ok(); ++kill) {
    auto index = cluster.WaitForMasterIndex();
    progress = index.status();
    if (progress.ok()) progress = cluster.KillServer(*index);
    if (progress.ok()) progress = writer.WaitForMoreAcks(50);  // acknowledged by the next master
  }
  writer.Stop();
  DKV_ASSERT_OK(progress);
  std::cout << writer.acks() << " writes acknowledged, " << writer.failures()
            << " failed, across 2 master kills\n";
  EXPECT_EQ(200, writer.Verify());
}

// Servers come and go at runtime while a client writes: two join a lone master, then the master
// and a standby are stopped (SIGTERM) and another is SIGKILLed, each time a remaining one serves;
// no acknowledged write is lost and the client never needs to be told where the master went.
TEST_F(ClusterItest, ServersJoinAndLeaveWhileAClientWritesAndNoAcknowledgedWriteIsLost) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  VerifyingWriter writer(client->get(), 200);
  DKV_ASSERT_OK(writer.WaitForMoreAcks(200));

  // Two servers join; the first master keeps serving and they stand by.
  for (int i = 0; i < 2; ++i) {
    auto added = cluster.StartServer();
    DKV_ASSERT_OK(added);
    DKV_ASSERT_OK(cluster.ServerAddress(*added));
    DKV_ASSERT_OK(writer.WaitForMoreAcks(50));
  }
  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_EQ(2u, status->standbys.size());
  auto first = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(first);
  EXPECT_EQ(0, *first);

  // The master leaves cleanly: a standby takes over.
  DKV_ASSERT_OK(cluster.StopServer(*first));
  DKV_ASSERT_OK(writer.WaitForMoreAcks(50));
  auto second = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(second);
  EXPECT_NE(*first, *second);
  // A standby leaves: the master is not disturbed.
  const int standby = 3 - *second;  // of servers 1 and 2, the one that is not the master
  DKV_ASSERT_OK(cluster.StopServer(standby));
  DKV_ASSERT_OK(writer.WaitForMoreAcks(50));
  // A new server joins and the master is SIGKILLed: the newcomer takes over.
  auto newcomer = cluster.StartServer();
  DKV_ASSERT_OK(newcomer);
  DKV_ASSERT_OK(cluster.ServerAddress(*newcomer));
  DKV_ASSERT_OK(cluster.KillServer(*second));
  DKV_ASSERT_OK(writer.WaitForMoreAcks(50));
  auto last = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(last);
  EXPECT_EQ(*newcomer, *last);

  writer.Stop();
  std::cout << writer.acks() << " writes acknowledged, " << writer.failures()
            << " failed, while 3 servers joined and 3 left\n";
  EXPECT_EQ(200, writer.Verify());
  status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_TRUE(status->standbys.empty());
}

TEST_F(ClusterItest, StandbyTakesOverWhenTheMasterIsKilled) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 3, 1));
  auto first = cluster.WaitForMaster();
  DKV_ASSERT_OK(first);
  auto first_index = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(first_index);

  DKV_ASSERT_OK(cluster.KillServer(*first_index));
  // About one session timeout (1 s) for the dead master's znodes to go, plus the takeover.
  auto second = cluster.WaitForMaster(milliseconds(10000));
  DKV_ASSERT_OK(second);
  EXPECT_NE(first->address, second->address);
  EXPECT_GT(second->epoch, first->epoch);

  // Again, down to the last server.
  auto second_index = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(second_index);
  DKV_ASSERT_OK(cluster.KillServer(*second_index));
  auto third = cluster.WaitForMaster(milliseconds(10000));
  DKV_ASSERT_OK(third);
  EXPECT_GT(third->epoch, second->epoch);

  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(ExpectCallsWork(**client, "k", 10));
  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_TRUE(status->standbys.empty());
}

TEST_F(ClusterItest, SlotMapRebalancesWhenADataNodeJoinsAndCallsKeepWorking) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  auto before = cluster.ReadSlotMap();
  DKV_ASSERT_OK(before);
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(ExpectCallsWork(**client, "before-", 50));

  DKV_ASSERT_OK(cluster.StartDataNode("d3"));
  auto after = cluster.WaitForDataNodes(3);
  DKV_ASSERT_OK(after);
  ASSERT_NO_FATAL_FAILURE(ExpectBalanced(*after, 3));
  EXPECT_GT(after->version(), before->version());
  // Fewest moves: d1 and d2 each keep all but the slots d3 now owns.
  int32_t moved = 0;
  for (Slot s = 0; s < after->slot_count(); ++s) moved += before->Owner(s) != after->Owner(s);
  EXPECT_EQ(after->Counts().at("d3"), moved);

  // The master reports the same balance, and calls keep working.
  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  ASSERT_EQ(3u, status->data_nodes.size());
  for (const auto& node : status->data_nodes) EXPECT_NEAR(1024 / 3, node.slots, 1) << node.id;
  ASSERT_NO_FATAL_FAILURE(ExpectCallsWork(**client, "after-", 50));
}

TEST_F(ClusterItest, SlotMapRebalancesWhenADataNodeDiesAndCallsKeepWorking) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 3));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(ExpectCallsWork(**client, "before-", 50));

  DKV_ASSERT_OK(cluster.KillDataNode("d2"));  // SIGKILL: gone once its session expires
  auto after = cluster.WaitForDataNodes(2, milliseconds(10000));
  DKV_ASSERT_OK(after);
  ASSERT_NO_FATAL_FAILURE(ExpectBalanced(*after, 2));
  EXPECT_EQ(0u, after->Counts().count("d2"));

  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  ASSERT_EQ(2u, status->data_nodes.size());
  for (const auto& node : status->data_nodes) EXPECT_EQ(512, node.slots) << node.id;
  ASSERT_NO_FATAL_FAILURE(ExpectCallsWork(**client, "after-", 50));

  // A node that leaves cleanly (SIGTERM) is taken out too.
  DKV_ASSERT_OK(cluster.StopDataNode("d1"));
  after = cluster.WaitForDataNodes(1, milliseconds(10000));
  DKV_ASSERT_OK(after);
  EXPECT_EQ(1024, after->Counts().at("d3"));
  ASSERT_NO_FATAL_FAILURE(ExpectCallsWork(**client, "last-", 20));
}

// A data node that loses its ZooKeeper session but not its memory (stalled past the session
// timeout) and comes back within the master's grace period keeps its slots and its keys.
TEST_F(ClusterItest, DataNodeBackWithinTheGracePeriodKeepsItsSlotsAndKeys) {
  MiniClusterOptions options = Options();
  options.data_grace = milliseconds(30000);
  MiniCluster cluster(options);
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(ExpectCallsWork(**client, "k", 100));
  auto before = cluster.ReadSlotMap();
  DKV_ASSERT_OK(before);

  DKV_ASSERT_OK(cluster.SignalDataNode("d1", SIGSTOP));
  auto departed = [&] {
    auto status = (*client)->GetStatus();
    return status.ok() && status->departed_data_nodes == std::vector<std::string>{"d1"};
  };
  DKV_ASSERT_OK(WaitFor(departed, milliseconds(10000), milliseconds(20), "d1 departed"));
  DKV_ASSERT_OK(cluster.SignalDataNode("d1", SIGCONT));
  auto back = [&] {
    auto status = (*client)->GetStatus();
    return status.ok() && status->departed_data_nodes.empty() && status->data_nodes.size() == 2;
  };
  DKV_ASSERT_OK(WaitFor(back, milliseconds(10000), milliseconds(20), "d1 back"));

  auto after = cluster.ReadSlotMap();
  DKV_ASSERT_OK(after);
  EXPECT_EQ(before->version(), after->version());  // no slot moved
  for (int i = 0; i < 100; ++i) {
    const std::string key = "k" + std::to_string(i);
    auto got = (*client)->Get(key);
    DKV_ASSERT_OK(got);
    EXPECT_EQ(std::optional<std::string>("value-" + key), *got);
  }
  auto status = (*client)->GetStatus();
  DKV_ASSERT_OK(status);
  EXPECT_EQ(0, status->lost_slots);
}

// Past the grace period the slots go to the live nodes empty, and the master says how many.
TEST_F(ClusterItest, SlotsOfADataNodeGonePastTheGracePeriodAreReportedLost) {
  MiniClusterOptions options = Options();
  options.data_grace = milliseconds(300);
  MiniCluster cluster(options);
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto before = cluster.ReadSlotMap();
  DKV_ASSERT_OK(before);
  DKV_ASSERT_OK(cluster.KillDataNode("d1"));
  auto after = cluster.WaitForDataNodes(1, milliseconds(10000));
  DKV_ASSERT_OK(after);
  EXPECT_EQ(1024, after->Counts().at("d2"));
  auto json = cluster.RunCli({"status", "--json"});
  DKV_ASSERT_OK(json);
  ASSERT_EQ(0, json->exit_code) << json->ToString();
  EXPECT_NE(std::string::npos, json->out.find("\"lost_slots\":512")) << json->out;
  std::string lost_ids;  // exactly the slots d1 owned
  for (Slot s : before->SlotsOf("d1"))
    lost_ids += (lost_ids.empty() ? "" : ",") + std::to_string(s);
  EXPECT_NE(std::string::npos, json->out.find("\"lost_slot_ids\":[" + lost_ids + "]")) << json->out;
  EXPECT_NE(std::string::npos, json->out.find("\"departed_data_nodes\":[]")) << json->out;
}

TEST_F(ClusterItest, DataNodeRestartedWithTheSameIdGetsSlotsAgain) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  DKV_ASSERT_OK(cluster.KillDataNode("d1"));
  // The new incarnation waits for the old one's znode to expire, then registers.
  DKV_ASSERT_OK(cluster.StartDataNode("d1"));
  DKV_ASSERT_OK(cluster.WaitForDataNodes(2, milliseconds(10000)));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  ASSERT_NO_FATAL_FAILURE(ExpectCallsWork(**client, "k", 50));
}

// Calls made while the master rebalances (data nodes joining and leaving) must succeed: a route
// that went stale while the map flipped is retried by the cluster, never returned to the client.
TEST_F(ClusterItest, CallsDuringRebalancingNeverFailWithWrongNode) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);

  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  std::vector<std::string> failures;  // written by the caller thread only, read after join
  std::thread caller([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = "k" + std::to_string(i % 500);
      Status s = (*client)->Set(key, "v");
      if (s.ok()) s = (*client)->Get(key).status();
      ++calls;
      if (!s.ok() && failures.size() < 20) failures.push_back(s.ToString());
    }
  });

  // Each round: d3 joins (a third of the slots move to it), then leaves (they move back).
  Status membership;
  for (int round = 0; round < 5 && membership.ok(); ++round) {
    membership = cluster.StartDataNode("d3");
    if (membership.ok()) membership = cluster.WaitForDataNodes(3).status();
    if (membership.ok()) membership = cluster.StopDataNode("d3");
    if (membership.ok()) membership = cluster.WaitForDataNodes(2).status();
  }
  stop = true;
  caller.join();
  DKV_ASSERT_OK(membership);

  EXPECT_GT(calls.load(), 0);
  std::cout << calls.load() << " calls during 10 slot map changes\n";
  std::string all;
  for (const std::string& f : failures) all += "\n  " + f;
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << calls.load()
                                << " calls failed while the slot map changed:" << all;
}

TEST_F(ClusterItest, TenThousandRandomKeysSpreadWithinSixPercentOverFiveDataNodes) {
  constexpr int kKeys = 10000;
  constexpr int kNodes = 5;
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, kNodes));

  // Deterministic pseudo-random keys: fixed seed, lengths 4..32, arbitrary bytes.
  std::mt19937_64 rng(20240229);
  std::set<std::string> keys;
  while (keys.size() < kKeys) {
    std::string key(4 + rng() % 29, '\0');
    for (char& c : key) c = static_cast<char>(rng() & 0xff);
    keys.insert(std::move(key));
  }
  const std::vector<std::string> all(keys.begin(), keys.end());

  // A few writers so the test stays quick on two cores; the client is thread-safe.
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  constexpr int kThreads = 4;
  std::vector<Status> failures(kThreads);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (size_t i = t; i < all.size(); i += kThreads) {
        Status s = (*client)->Set(all[i], "v");
        if (!s.ok()) {
          failures[t] = s;
          return;
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  for (const Status& s : failures) DKV_ASSERT_OK(s);

  // Read the counts the way an operator would: `dkv status --json`.
  auto r = cluster.RunCli({"status", "--json"});
  DKV_ASSERT_OK(r);
  ASSERT_EQ(0, r->exit_code) << r->ToString();
  std::regex node_re(
      "\\{\"id\":\"([^\"]+)\",\"address\":\"[^\"]+\",\"slots\":([0-9]+),\"keys\":(-?[0-9]+)[,}]");
  std::map<std::string, int64_t> counts;
  for (auto it = std::sregex_iterator(r->out.begin(), r->out.end(), node_re);
       it != std::sregex_iterator(); ++it) {
    counts[(*it)[1]] = std::stoll((*it)[3]);
  }
  ASSERT_EQ(static_cast<size_t>(kNodes), counts.size()) << r->out;
  int64_t total = 0;
  for (const auto& [id, n] : counts) total += n;
  ASSERT_EQ(kKeys, total) << r->out;
  const double mean = static_cast<double>(total) / kNodes;
  for (const auto& [id, n] : counts) {
    EXPECT_GE(n, mean * 0.94) << id << " holds " << n << " of " << total << ": " << r->out;
    EXPECT_LE(n, mean * 1.06) << id << " holds " << n << " of " << total << ": " << r->out;
  }
  std::cout << "keys per data node:";
  for (const auto& [id, n] : counts) std::cout << " " << id << "=" << n;
  std::cout << " (mean " << mean << ")\n";
}

}  // namespace
}  // namespace dkv::test
