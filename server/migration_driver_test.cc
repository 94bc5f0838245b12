// MigrationDriver over a fake Host (a slot map in memory) and FakeDataChannels.
#include "server/migration_driver.h"

#include <gtest/gtest.h>

#include <map>

#include "server/fake_data_channel.h"
#include "tests/harness/test_util.h"

namespace dkv::server {
namespace {

using ::dkv::test::WaitFor;
using std::chrono::milliseconds;

class FakeHost : public MigrationDriver::Host {
 public:
  FakeHost(SlotMap map, PlanMembers members) : map_(std::move(map)), members_(members) {
    for (const auto* ids : {&members.live, &members.draining}) {
      for (const std::string& id : *ids) {
        channels_[id] = std::make_shared<FakeDataChannel>(HostPort{id, 7500});
      }
    }
  }

  Result<Plan> PlanMoves() override {
    MutexLock l(&mu_);
    if (!master_) return Status::NotMaster("stepped down");
    Plan plan{PlanSlots(map_, members_).moves, {}};
    const auto counts = map_.Counts();
    for (const std::string& id : members_.draining) {
      if (!counts.count(id)) plan.leavers.push_back(id);
    }
    return plan;
  }
  Result<Node> DataNode(const std::string& id) override {
    auto it = channels_.find(id);
    if (it == channels_.end()) return Status::Unavailable(id + " is not live");
    return Node{it->second, id + ":7500"};
  }
  Fence CurrentFence() override {
    MutexLock l(&mu_);
    return master_ ? Fence{3, map_.version()} : Fence{};
  }
  int64_t NewMigrationId() override {
    MutexLock l(&mu_);
    return ++ids_;
  }
  Status CommitMove(const MoveBatch& batch, const Fence& fence) override {
    MutexLock l(&mu_);
    if (!master_ || fence.epoch != 3) return Status::Unavailable("not master");
    for (Slot s : batch.slots) {
      if (map_.Owner(s) != batch.from) return Status::VersionMismatch("owner changed");
    }
    for (Slot s : batch.slots) map_.Assign(s, batch.to);
    map_.set_version(map_.version() + 1);
    ++commits_;
    return Status::OK();
  }

  SlotMap map() {
    MutexLock l(&mu_);
    return map_;
  }
  int commits() {
    MutexLock l(&mu_);
    return commits_;
  }
  void StepDown() {
    MutexLock l(&mu_);
    master_ = false;
  }
  FakeDataChannel& channel(const std::string& id) { return *channels_.at(id); }

 private:
  std::map<std::string, std::shared_ptr<FakeDataChannel>> channels_;  // constant after construction
  Mutex mu_;
  SlotMap map_ GUARDED_BY(mu_);
  const PlanMembers members_;
  bool master_ GUARDED_BY(mu_) = true;
  int64_t ids_ GUARDED_BY(mu_) = 0;
  int commits_ GUARDED_BY(mu_) = 0;
};

SlotMap AllOn(const std::string& node, int32_t slots) {
  SlotMap map(slots);
  map.Rebalance({node});
  return map;
}

MigrationDriverOptions FastOptions() {
  MigrationDriverOptions options;
  options.parallel = 2;
  options.batch_slots = 8;
  options.poll_interval = milliseconds(1);
  options.backoff = milliseconds(20);
  return options;
}

TEST(MigrationDriverTest, MovesThePlanInBatchesAndFlipsTheMapOncePerBatch) {
  FakeHost host(AllOn("d1", 64), PlanMembers{{"d1", "d2"}, {}, {}});
  MigrationDriver driver(&host, FastOptions());
  driver.Kick();
  ASSERT_TRUE(
      WaitFor([&] { return host.map().SlotsOf("d2").size() == 32; }, milliseconds(5000)).ok());
  EXPECT_EQ(host.map().SlotsOf("d1").size(), 32u);
  EXPECT_EQ(host.commits(), 4);  // 32 slots in batches of 8
  auto migrations = host.channel("d1").migrations();
  ASSERT_EQ(migrations.size(), 4u);
  for (const auto& m : migrations) {
    EXPECT_EQ(m.target_id, "d2");
    EXPECT_EQ(m.target_address, "d2:7500");
    EXPECT_LE(m.slots.size(), 8u);
    EXPECT_TRUE(m.finished);
    EXPECT_FALSE(m.aborted);
    EXPECT_EQ(m.fence.epoch, 3);
  }
  EXPECT_TRUE(WaitFor([&] { return driver.InFlight().empty(); }, milliseconds(5000)).ok());
}

TEST(MigrationDriverTest, FailedMoveIsAbortedAndPlannedAgainUntilItSucceeds) {
  FakeHost host(AllOn("d1", 16), PlanMembers{{"d1", "d2"}, {}, {}});
  host.channel("d1").SetFinishPhase("failed");
  MigrationDriver driver(&host, FastOptions());
  driver.Kick();
  auto aborted = [&] {
    int n = 0;
    for (const auto& m : host.channel("d1").migrations()) n += m.aborted ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return aborted() >= 2; }, milliseconds(5000)).ok());
  EXPECT_EQ(host.commits(), 0);
  host.channel("d1").SetFinishPhase("committed");
  ASSERT_TRUE(
      WaitFor([&] { return host.map().SlotsOf("d2").size() == 8; }, milliseconds(5000)).ok());
}

TEST(MigrationDriverTest, MoveRefusedForAStaleFenceIsSentAgainWithANewerOne) {
  FakeHost host(AllOn("d1", 8), PlanMembers{{"d1", "d2"}, {}, {}});
  // Another batch's flip reached the source first: it knows a newer map than the call.
  host.channel("d1").FailMigrations(Status::WrongNode("slot map version 3 is older than 4"), 2);
  MigrationDriver driver(&host, FastOptions());
  driver.Kick();
  ASSERT_TRUE(
      WaitFor([&] { return host.map().SlotsOf("d2").size() == 4; }, milliseconds(5000)).ok());
  ASSERT_EQ(host.channel("d1").migrations().size(), 1u);  // no failed batch, no abort
  EXPECT_FALSE(host.channel("d1").migrations()[0].aborted);
}

TEST(MigrationDriverTest, MoveInFlightWhenTheMasterStepsDownIsAbortedNotCommitted) {
  FakeHost host(AllOn("d1", 16), PlanMembers{{"d1", "d2"}, {}, {}});
  host.channel("d1").SetCopyingPolls(1 << 30);  // the copy never ends by itself
  MigrationDriver driver(&host, FastOptions());
  driver.Kick();
  ASSERT_TRUE(WaitFor([&] { return !driver.InFlight().empty(); }, milliseconds(5000)).ok());
  const MoveStatus move = driver.InFlight()[0];
  EXPECT_EQ(move.from, "d1");
  EXPECT_EQ(move.to, "d2");
  EXPECT_EQ(move.slots.size(), 8u);
  host.StepDown();
  driver.Reset();
  ASSERT_TRUE(WaitFor([&] { return driver.InFlight().empty(); }, milliseconds(5000)).ok());
  for (const auto& m : host.channel("d1").migrations()) EXPECT_TRUE(m.aborted);
  EXPECT_EQ(host.commits(), 0);
  EXPECT_EQ(host.map().SlotsOf("d1").size(), 16u);
}

TEST(MigrationDriverTest, InFlightReportsTheSourcesProgress) {
  FakeHost host(AllOn("d1", 8), PlanMembers{{"d1", "d2"}, {}, {}});
  host.channel("d1").SetCopyingPolls(1 << 30);
  MigrationDriver driver(&host, FastOptions());
  driver.Kick();
  ASSERT_TRUE(WaitFor(
                  [&] {
                    auto moves = driver.InFlight();
                    return !moves.empty() && moves[0].phase == "copying" &&
                           moves[0].keys_copied > 0;
                  },
                  milliseconds(5000))
                  .ok());
  const MoveStatus move = driver.InFlight()[0];
  EXPECT_EQ(move.keys_total, 40);  // the fake's 10 keys per slot, 4 slots
  EXPECT_EQ(move.kind, SlotMove::Kind::kReplace);
  EXPECT_GT(move.keys_per_second, 0);
  host.StepDown();
  driver.Reset();
}

TEST(MigrationDriverTest, InFlightTellsACopyThatExtendsAChainFromOneThatReplacesAMember) {
  SlotMap map = AllOn("d1", 8);
  map.set_replication_factor(2);
  FakeHost host(map, PlanMembers{{"d1", "d2"}, {}, {}});
  host.channel("d1").SetCopyingPolls(1 << 30);
  MigrationDriver driver(&host, FastOptions());
  driver.Kick();
  ASSERT_TRUE(WaitFor([&] { return !driver.InFlight().empty(); }, milliseconds(5000)).ok());
  const MoveStatus move = driver.InFlight()[0];
  EXPECT_EQ(move.kind, SlotMove::Kind::kAdd);
  EXPECT_EQ(move.from, "d1");
  EXPECT_EQ(move.to, "d2");
  host.StepDown();
  driver.Reset();
}

TEST(MigrationDriverTest, DrainedNodeOwningNoSlotIsToldToLeave) {
  FakeHost host(AllOn("d1", 8), PlanMembers{{"d1"}, {"d2"}, {}});
  MigrationDriver driver(&host, FastOptions());
  driver.Kick();
  ASSERT_TRUE(WaitFor([&] { return host.channel("d2").leaves() >= 1; }, milliseconds(5000)).ok());
  EXPECT_EQ(host.channel("d1").leaves(), 0);
}

TEST(MigrationDriverTest, DrainingNodesSlotsMoveAwayBeforeItIsToldToLeave) {
  FakeHost host(AllOn("d2", 8), PlanMembers{{"d1"}, {"d2"}, {}});
  MigrationDriver driver(&host, FastOptions());
  driver.Kick();
  ASSERT_TRUE(WaitFor([&] { return host.channel("d2").leaves() >= 1; }, milliseconds(5000)).ok());
  EXPECT_EQ(host.map().SlotsOf("d1").size(), 8u);
}

}  // namespace
}  // namespace dkv::server
