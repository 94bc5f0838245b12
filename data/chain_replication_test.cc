// Chain replication between data nodes in one process: each node has its own Store, SlotOwnership
// (over an in-memory coordinator sharing one tree with the test, which plays the master),
// ChainReplicator and DataService on a real loopback Thrift server, so effects travel over the
// real replicate call. The test writes the slot maps (chains) itself and calls DataService's
// execute as the master would.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/rpc/effect_codec.h"
#include "common/rpc/metadata_codec.h"
#include "common/rpc/op_codec.h"
#include "data/in_process_data_node.h"

namespace dkv::data {
namespace {

using namespace std::chrono_literals;

constexpr int32_t kSlots = 4;
constexpr Slot kSlot = 1;

std::string KeyOf(Slot slot, int n) { return data::KeyOf(slot, n, kSlots); }

class ChainReplicationTest : public ::testing::Test {
 protected:
  ChainReplicationTest() : tree_(std::make_shared<coord::MemoryTree>()), master_(tree_) {
    EXPECT_TRUE(master_.CreateAll(paths_.root()).ok());
    for (const char* id : {"a", "b", "c"}) {
      auto node = std::make_unique<InProcessDataNode>(tree_, paths_, id);
      node->resolve = [this](const std::string& peer) -> Result<HostPort> {
        auto it = nodes_.find(peer);
        if (it == nodes_.end() || !it->second->server) {
          return Status::Unavailable(peer + " is not running");
        }
        return HostPort{"127.0.0.1", it->second->server->port()};
      };
      nodes_[id] = std::move(node);
    }
    // As in a new cluster: the nodes are up before the master gives them chains.
    for (auto& [id, node] : nodes_) EXPECT_TRUE(node->Start().ok());
    WriteChain({"a", "b", "c"});
  }

  // Slot map version `version_ + 1`: kSlot's chain is `chain`, the other slots are a's.
  void WriteChain(const std::vector<std::string>& chain) {
    SlotMap map(kSlots);
    map.set_replication_factor(static_cast<int32_t>(chain.size()));
    for (Slot s = 0; s < kSlots; ++s) {
      map.SetChain(s, s == kSlot ? chain : std::vector<std::string>{"a"});
    }
    map.set_version(++version_);
    map.set_epoch(1);
    map.StampChanges(previous_);
    previous_ = map;
    const std::string data = rpc::EncodeSlotMap(map);
    Status s = version_ == 1 ? master_.Create(paths_.slotmap(), data, coord::NodeMode::kPersistent)
                             : master_.Set(paths_.slotmap(), data).status();
    ASSERT_TRUE(s.ok()) << s.ToString();
    // Every node (a killed one's SlotOwnership still runs) applied it, as the master would wait
    // for before routing with it.
    ASSERT_TRUE(WaitFor([this] {
      for (auto& [id, node] : nodes_) {
        if (node->server && node->ownership.map_version() != version_) return false;
      }
      return true;
    }));
  }

  std::vector<Reply> Execute(const std::string& node, std::vector<Op> ops) {
    std::vector<rpc::Reply> replies;
    rpc::Fence fence;
    fence.epoch = 1;
    fence.map_version = version_;
    nodes_[node]->service->execute(replies, fence, rpc::ToThrift(std::move(ops)));
    return rpc::FromThrift(std::move(replies));
  }

  Reply Set(const std::string& node, const std::string& key, const std::string& value) {
    return Execute(node, {KeyOp(OpCode::kSet, key, value)})[0];
  }

  std::string Read(const std::string& node, const std::string& key) {
    return nodes_[node]->Read(kSlot, 0, key);
  }

  // Stops `id` as a SIGKILL would look to its peers: its port refuses connections.
  void Kill(const std::string& id) {
    nodes_[id]->replicator.Stop();
    nodes_[id]->server.reset();
  }

  const coord::ClusterPaths paths_{"chain"};
  std::shared_ptr<coord::MemoryTree> tree_;
  coord::MemoryCoordinator master_;
  std::atomic<int64_t> version_{0};  // read by writer threads while the test writes a map
  SlotMap previous_;
  std::map<std::string, std::unique_ptr<InProcessDataNode>> nodes_;
};

TEST_F(ChainReplicationTest, AWriteIsAcknowledgedOnceTheTailAppliedIt) {
  const std::string key = KeyOf(kSlot, 0);
  const Reply reply = Set("a", key, "v1");
  ASSERT_FALSE(reply.error) << reply.str;
  // Acknowledged means applied down to the tail, so no waiting here.
  EXPECT_EQ(Read("a", key), "v1");
  EXPECT_EQ(Read("b", key), "v1");
  EXPECT_EQ(Read("c", key), "v1");
  EXPECT_EQ(nodes_["c"]->store.Seq(kSlot), 1u);
}

TEST_F(ChainReplicationTest, ReadModifyWriteReplicatesItsResult) {
  const std::string key = KeyOf(kSlot, 0);
  Op incr = KeyOp(OpCode::kIncrBy, key, "");
  incr.arg1 = 5;
  ASSERT_EQ(Execute("a", {incr, incr})[1].integer, 10);
  Op incr_float = KeyOp(OpCode::kIncrByFloat, key, "0.5");
  ASSERT_EQ(Execute("a", {incr_float})[0].str, "10.5");
  EXPECT_EQ(Read("c", key), "10.5");
}

TEST_F(ChainReplicationTest, WritesAtANonHeadAreRefusedAndReadsServed) {
  const std::string key = KeyOf(kSlot, 0);
  ASSERT_FALSE(Set("a", key, "v").error);
  const Reply refused = Set("b", key, "w");
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(*refused.error, Status::Code::kWrongNode);
  const Reply read = Execute("b", {KeyOp(OpCode::kGet, key, "")})[0];
  EXPECT_EQ(read.str, "v");
}

TEST_F(ChainReplicationTest, TailDyingBeforeTheAckLosesNoAcknowledgedWrite) {
  const std::string key = KeyOf(kSlot, 0);
  ASSERT_FALSE(Set("a", key, "before").error);
  Kill("c");
  // The write waits for the dead tail until the master splices it out.
  Reply reply;
  std::thread writer([&] { reply = Set("a", key, "after"); });
  ASSERT_TRUE(WaitFor([&] { return nodes_["a"]->replicator.QueuedForTests() > 0; }));
  WriteChain({"a", "b"});
  writer.join();
  ASSERT_FALSE(reply.error) << reply.str;
  EXPECT_EQ(Read("b", key), "after");
}

TEST_F(ChainReplicationTest, MiddleDyingWithEffectsInFlightLosesNone) {
  Kill("b");
  std::vector<std::thread> writers;
  std::vector<Reply> replies(20);
  for (int i = 0; i < 20; ++i) {
    writers.emplace_back(
        [this, i, &replies] { replies[i] = Set("a", KeyOf(kSlot, i), "v" + std::to_string(i)); });
  }
  ASSERT_TRUE(WaitFor([&] { return nodes_["a"]->replicator.QueuedForTests() >= 20; }));
  WriteChain({"a", "c"});  // a re-sends to c what b may not have passed on
  for (auto& t : writers) t.join();
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(replies[i].error) << replies[i].str;
    EXPECT_EQ(Read("c", KeyOf(kSlot, i)), "v" + std::to_string(i));
  }
}

TEST_F(ChainReplicationTest, HeadDyingLeavesItsSuccessorHeadingWithEveryAcknowledgedWrite) {
  const std::string key = KeyOf(kSlot, 0);
  ASSERT_FALSE(Set("a", key, "v1").error);
  Kill("a");
  WriteChain({"b", "c"});
  ASSERT_TRUE(WaitFor([&] { return !Set("b", key, "v2").error; }));
  EXPECT_EQ(Read("c", key), "v2");
  EXPECT_EQ(nodes_["c"]->store.Seq(kSlot), nodes_["b"]->store.Seq(kSlot));
}

TEST_F(ChainReplicationTest, AStaleMemberNeverAppliesOrServes) {
  const std::string key = KeyOf(kSlot, 0);
  ASSERT_FALSE(Set("a", key, "v1").error);
  WriteChain({"a", "b"});  // c spliced out: it drops its table
  ASSERT_TRUE(WaitFor([&] { return !nodes_["c"]->store.HasSlot(kSlot); }));
  // An effect sent under the old version, or from a node that is not its predecessor, is refused.
  std::vector<rpc::SlotSeq> reply;
  rpc::Fence old_fence;
  old_fence.epoch = 1;
  old_fence.map_version = version_ - 1;
  Effect e;
  e.slot = kSlot;
  e.seq = 2;
  e.key = key;
  e.value = "forged";
  std::vector<rpc::Effect> wire = rpc::ToThrift(std::vector<Effect>{e});
  EXPECT_THROW(nodes_["b"]->service->replicate(reply, old_fence, "a", wire), rpc::DkvError);
  rpc::Fence fence = old_fence;
  fence.map_version = version_;
  nodes_["b"]->service->replicate(reply, fence, "c", wire);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].seq, 0);  // nothing acknowledged
  EXPECT_EQ(Read("b", key), "v1");
  // Reads at the spliced node are refused under the new map.
  const Reply read = Execute("c", {KeyOp(OpCode::kGet, key, "")})[0];
  ASSERT_TRUE(read.error);
  EXPECT_EQ(*read.error, Status::Code::kWrongNode);
}

TEST_F(ChainReplicationTest, AMemberThatMissedEffectsDropsTheSlotInsteadOfServingIt) {
  const std::string key = KeyOf(kSlot, 0);
  ASSERT_FALSE(Set("a", key, "v1").error);
  std::vector<rpc::SlotSeq> reply;
  rpc::Fence fence;
  fence.epoch = 1;
  fence.map_version = version_;
  Effect e;
  e.slot = kSlot;
  e.seq = 5;  // b reflects 1
  e.key = key;
  e.value = "gap";
  nodes_["b"]->service->replicate(reply, fence, "a", rpc::ToThrift(std::vector<Effect>{e}));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].seq, 0);  // nothing acknowledged
  // b missed effects 2-4: it must not serve the slot any more, and says so to the master.
  EXPECT_FALSE(nodes_["b"]->store.HasSlot(kSlot));
  rpc::DataNodeStats stats;
  nodes_["b"]->service->stats(stats);
  EXPECT_EQ(stats.stale_slots, std::vector<int32_t>{kSlot});
  const Reply read = Execute("b", {KeyOp(OpCode::kGet, key, "")})[0];
  ASSERT_TRUE(read.error);
  EXPECT_EQ(*read.error, Status::Code::kWrongNode);
}

}  // namespace
}  // namespace dkv::data
