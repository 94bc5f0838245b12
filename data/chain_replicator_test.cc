#include "data/chain_replicator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "data/in_process_data_node.h"

namespace dkv::data {
namespace {

using Clock = std::chrono::steady_clock;

// The successors, in process: each applies what it gets (by seq, as a tail would) unless told to
// fail, and answers how far it got.
class FakeSuccessors {
 public:
  struct Node {
    bool down = false;
    bool hung = false;
    int answering = 0;                  // calls inside Wait, not yet answered
    uint64_t apply_limit = UINT64_MAX;  // effects above it are refused (e.g. paused)
    std::map<Slot, uint64_t> seq;       // applied through
    std::vector<Effect> received;       // in arrival order
    int64_t last_map_version = 0;
  };

  Result<std::unique_ptr<EffectChannel>> Open(const std::string& id);

  Node& node(const std::string& id) {
    MutexLock l(&mu_);
    return nodes_[id];
  }
  std::vector<Effect> Received(const std::string& id) {
    MutexLock l(&mu_);
    return nodes_[id].received;
  }
  void SetDown(const std::string& id, bool down) {
    MutexLock l(&mu_);
    nodes_[id].down = down;
  }
  // A hung node (a partition: no answer, no reset) answers nothing until released (or, as a
  // call's timeout would, after 10 s).
  void SetHung(const std::string& id, bool hung) {
    MutexLock l(&mu_);
    nodes_[id].hung = hung;
    released_.SignalAll();
  }
  void WaitWhileHung(const std::string& id) {
    MutexLock l(&mu_);
    const auto timeout = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    ++nodes_[id].answering;
    while (nodes_[id].hung && released_.WaitUntil(timeout)) {
    }
  }
  // Calls to `id` under way (inside Wait, before their answer).
  int Answering(const std::string& id) {
    MutexLock l(&mu_);
    return nodes_[id].answering;
  }
  void SetApplyLimit(const std::string& id, uint64_t limit) {
    MutexLock l(&mu_);
    nodes_[id].apply_limit = limit;
  }

  Result<std::vector<SlotSeq>> Apply(const std::string& id, const Fence& fence,
                                     const std::vector<Effect>& effects) {
    MutexLock l(&mu_);
    Node& n = nodes_[id];
    if (n.answering > 0) --n.answering;
    if (n.down) return Status::Unavailable(id + " is down");
    n.last_map_version = fence.map_version;
    std::map<Slot, uint64_t> through;
    for (const Effect& e : effects) {
      n.received.push_back(e);
      uint64_t& seq = n.seq[e.slot];
      if (e.seq == seq + 1 && e.seq <= n.apply_limit) seq = e.seq;
      through[e.slot] = seq;
    }
    std::vector<SlotSeq> reply;
    for (const auto& [slot, seq] : through) reply.push_back(SlotSeq{slot, seq});
    return reply;
  }

 private:
  Mutex mu_;
  CondVar released_{&mu_};
  std::map<std::string, Node> nodes_ GUARDED_BY(mu_);
};

class FakeChannel : public EffectChannel {
 public:
  FakeChannel(FakeSuccessors* nodes, std::string id) : nodes_(nodes), id_(std::move(id)) {}

  class Pending : public PendingReplicate {
   public:
    Pending(FakeSuccessors* nodes, std::string id, Fence fence, std::vector<Effect> effects)
        : nodes_(nodes), id_(std::move(id)), fence_(fence), effects_(std::move(effects)) {}
    Result<std::vector<SlotSeq>> Wait() override {
      nodes_->WaitWhileHung(id_);
      return nodes_->Apply(id_, fence_, effects_);
    }

   private:
    FakeSuccessors* const nodes_;
    const std::string id_;
    const Fence fence_;
    const std::vector<Effect> effects_;
  };

  std::unique_ptr<PendingReplicate> Start(const Fence& fence, const std::string&,
                                          const std::vector<Effect>& effects) override {
    return std::make_unique<Pending>(nodes_, id_, fence, effects);
  }

 private:
  FakeSuccessors* const nodes_;
  const std::string id_;
};

Result<std::unique_ptr<EffectChannel>> FakeSuccessors::Open(const std::string& id) {
  return std::unique_ptr<EffectChannel>(std::make_unique<FakeChannel>(this, id));
}

Effect Put(Slot slot, uint64_t seq) {
  Effect e;
  e.slot = slot;
  e.seq = seq;
  e.key = "k" + std::to_string(seq);
  e.value = "v";
  return e;
}

class ChainReplicatorTest : public ::testing::Test {
 protected:
  ChainReplicatorTest()
      : replicator_([this] { return View(); },
                    [this](const std::string& id) { return nodes_.Open(id); }, Options()) {
    SetChain(0, {"self", "b"});
    replicator_.Start();
  }

  static ChainReplicatorOptions Options() {
    ChainReplicatorOptions options;
    options.retry_pause = std::chrono::milliseconds(5);
    return options;
  }

  ChainView View() {
    MutexLock l(&mu_);
    return ChainView{"self", 1, map_};
  }
  void SetChain(Slot slot, std::vector<std::string> chain) {
    MutexLock l(&mu_);
    auto next = std::make_shared<SlotMap>(map_ ? *map_ : SlotMap(4));
    next->SetChain(slot, std::move(chain));
    next->set_version(next->version() + 1);
    map_ = std::move(next);
  }
  bool WaitAll(const std::vector<SlotSeq>& waits, std::chrono::milliseconds timeout) {
    const std::vector<bool> acked = replicator_.Wait(waits, Clock::now() + timeout);
    for (bool a : acked) {
      if (!a) return false;
    }
    return true;
  }

  Mutex mu_;
  std::shared_ptr<const SlotMap> map_ GUARDED_BY(mu_);
  FakeSuccessors nodes_;
  ChainReplicator replicator_;
};

TEST_F(ChainReplicatorTest, AcknowledgesOnceTheSuccessorAppliedInOrder) {
  replicator_.Append({Put(0, 1), Put(0, 2)});
  replicator_.Append({Put(0, 3)});
  ASSERT_TRUE(WaitAll({{0, 3}}, std::chrono::seconds(5)));
  const std::vector<Effect> got = nodes_.Received("b");
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, i + 1);
  EXPECT_EQ(replicator_.AckedSeq(0), 3u);
  EXPECT_EQ(replicator_.QueuedForTests(), 0u);
}

TEST_F(ChainReplicatorTest, KeepsEffectsWhileTheSuccessorIsDownAndTimesOut) {
  nodes_.SetDown("b", true);
  replicator_.Append({Put(0, 1)});
  EXPECT_FALSE(WaitAll({{0, 1}}, std::chrono::milliseconds(100)));
  EXPECT_EQ(replicator_.QueuedForTests(), 1u);
  nodes_.SetDown("b", false);
  EXPECT_TRUE(WaitAll({{0, 1}}, std::chrono::seconds(5)));
}

TEST_F(ChainReplicatorTest, SplicedOutSuccessorsEffectsGoToTheNewOne) {
  nodes_.SetDown("b", true);
  SetChain(0, {"self", "b", "c"});
  replicator_.Append({Put(0, 1), Put(0, 2)});
  EXPECT_FALSE(WaitAll({{0, 2}}, std::chrono::milliseconds(50)));
  SetChain(0, {"self", "c"});  // the master spliced b out
  replicator_.Kick();
  ASSERT_TRUE(WaitAll({{0, 2}}, std::chrono::seconds(5)));
  EXPECT_EQ(nodes_.Received("c").size(), 2u);
}

TEST_F(ChainReplicatorTest, ChainEndingHereAcknowledgesWithoutSending) {
  nodes_.SetDown("b", true);
  replicator_.Append({Put(0, 1)});
  SetChain(0, {"self"});  // the tail died: this node is the tail now
  replicator_.Kick();
  ASSERT_TRUE(WaitAll({{0, 1}}, std::chrono::seconds(5)));
  EXPECT_TRUE(nodes_.Received("b").empty());
}

TEST_F(ChainReplicatorTest, EffectsOfASlotThisNodeLeftFail) {
  nodes_.SetDown("b", true);
  replicator_.Append({Put(0, 1)});
  SetChain(0, {"b", "c"});
  replicator_.Kick();
  const auto start = Clock::now();
  EXPECT_FALSE(WaitAll({{0, 1}}, std::chrono::seconds(5)));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));  // given up, not timed out
  EXPECT_EQ(replicator_.QueuedForTests(), 0u);
}

TEST_F(ChainReplicatorTest, PartialAcknowledgementResendsTheRest) {
  nodes_.SetApplyLimit("b", 2);  // as a successor paused after 2, or whose own successor lags
  replicator_.Append({Put(0, 1), Put(0, 2), Put(0, 3)});
  EXPECT_TRUE(WaitAll({{0, 2}}, std::chrono::seconds(5)));
  EXPECT_FALSE(WaitAll({{0, 3}}, std::chrono::milliseconds(50)));
  EXPECT_EQ(replicator_.AckedSeq(0), 2u);
  EXPECT_EQ(replicator_.QueuedForTests(), 1u);
  nodes_.SetApplyLimit("b", UINT64_MAX);
  EXPECT_TRUE(WaitAll({{0, 3}}, std::chrono::seconds(5)));
}

TEST_F(ChainReplicatorTest, RestartFailsOldWaitersAndStartsFromTheGivenSeq) {
  nodes_.SetDown("b", true);
  replicator_.Append({Put(0, 1)});
  replicator_.Restart(0, 10);
  EXPECT_EQ(replicator_.QueuedForTests(), 0u);
  EXPECT_TRUE(WaitAll({{0, 10}}, std::chrono::milliseconds(10)));  // acknowledged by the copy
  EXPECT_FALSE(WaitAll({{0, 11}}, std::chrono::milliseconds(20)));
}

TEST_F(ChainReplicatorTest, AHungSuccessorHoldsUpOnlyItsOwnRound) {
  SetChain(1, {"self", "c"});
  nodes_.SetHung("b", true);
  replicator_.Append({Put(0, 1)});
  replicator_.Append({Put(1, 1)});
  // c's slot is acknowledged while b's round hangs.
  EXPECT_TRUE(WaitAll({{1, 1}}, std::chrono::seconds(2)));
  // The master splices b out: slot 0's effect goes to c at once, b still hanging.
  SetChain(0, {"self", "c"});
  replicator_.Kick();
  EXPECT_TRUE(WaitAll({{0, 1}}, std::chrono::seconds(2)));
  nodes_.SetHung("b", false);  // b's late answer changes nothing
}

TEST_F(ChainReplicatorTest, AnAnswerForARestartedStreamAcknowledgesNothingOfTheNewOne) {
  nodes_.SetHung("b", true);
  replicator_.Append({Put(0, 1), Put(0, 2), Put(0, 3)});
  ASSERT_TRUE(WaitFor([&] { return nodes_.Answering("b") > 0; }));
  // The slot's table is dropped and adopted again from a copy at seq 1 while the old round to b
  // (seqs 1-3 of the old table) is still out.
  replicator_.Restart(0, 1);
  nodes_.SetHung("b", false);  // b answers "through 3" for the old stream
  ASSERT_TRUE(WaitFor([&] { return nodes_.Received("b").size() == 3; }));
  EXPECT_FALSE(
      WaitFor([&] { return replicator_.AckedSeq(0) > 1; }, std::chrono::milliseconds(200)));
}

TEST_F(ChainReplicatorTest, EffectsCarryTheMapVersionTheyAreRoutedWith) {
  replicator_.Append({Put(0, 1)});
  ASSERT_TRUE(WaitAll({{0, 1}}, std::chrono::seconds(5)));
  EXPECT_EQ(nodes_.node("b").last_map_version, View().map->version());
}

}  // namespace
}  // namespace dkv::data
