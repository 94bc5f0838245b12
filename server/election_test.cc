// Election and Master over MemoryCoordinator: several "servers" share one in-memory ZooKeeper tree.
#include "server/election.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/coord/memory_coordinator.h"
#include "common/rpc/metadata_codec.h"
#include "server/fake_data_channel.h"
#include "server/master.h"
#include "tests/harness/test_util.h"

namespace dkv::server {
namespace {

using ::dkv::test::WaitFor;
using std::chrono::milliseconds;

const coord::ClusterPaths kPaths("t");

// One server's election and master duties on its own session.
struct Candidate : Election::Listener {
  Candidate(std::shared_ptr<coord::MemoryTree> tree, const std::string& address,
            milliseconds data_grace = milliseconds(0))
      : coord(std::make_unique<coord::MemoryCoordinator>(tree)),
        router(Limits{},
               [this](const HostPort& a) {
                 auto channel = std::make_shared<FakeDataChannel>(a);
                 MutexLock l(&channels_mu);
                 channels[a.ToString()] = channel;
                 return channel;
               }),
        master(coord.get(), kPaths,
               MasterConfig{address, Limits{}, 64, data_grace, "", FastMoves()}, &router),
        election(coord.get(), kPaths, MemberInfo{"", address, 1, "h"}, this) {}

  // The session ends first, so no watch fires into a destroyed Master or Election.
  ~Candidate() override { coord.reset(); }

  void OnElected(const std::string& id) override {
    Status s = master.TakeOver(id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    ++elected;
  }
  void OnDemoted() override {
    master.StepDown();
    ++demoted;
  }

  static MigrationDriverOptions FastMoves() {
    MigrationDriverOptions options;
    options.poll_interval = milliseconds(1);
    options.backoff = milliseconds(20);
    return options;
  }
  // The channel the master made for a data node address (Join gives each id its own).
  std::shared_ptr<FakeDataChannel> Channel(const std::string& address) {
    MutexLock l(&channels_mu);
    return channels[address];
  }

  Mutex channels_mu;
  std::map<std::string, std::shared_ptr<FakeDataChannel>> channels GUARDED_BY(channels_mu);
  std::unique_ptr<coord::MemoryCoordinator> coord;
  Router router;
  Master master;
  Election election;
  std::atomic<int> elected{0};
  std::atomic<int> demoted{0};
};

MasterInfo ReadMaster(coord::Coordinator* c) {
  MasterInfo m;
  auto node = c->Get(kPaths.master());
  if (node.ok()) {
    EXPECT_TRUE(rpc::DecodeMaster(node->data, &m).ok());
  }
  return m;
}

TEST(ElectionTest, LowestMemberBecomesMasterAndOthersStandBy) {
  auto tree = std::make_shared<coord::MemoryTree>();
  Candidate a(tree, "a:1"), b(tree, "b:1"), c(tree, "c:1");
  ASSERT_TRUE(a.election.Start().ok());
  ASSERT_TRUE(b.election.Start().ok());
  ASSERT_TRUE(c.election.Start().ok());
  EXPECT_TRUE(a.election.is_master());
  EXPECT_FALSE(b.election.is_master());
  EXPECT_FALSE(c.election.is_master());
  MasterInfo m = ReadMaster(a.coord.get());
  EXPECT_EQ(m.address, "a:1");
  EXPECT_EQ(m.server_id, a.election.id());
  EXPECT_EQ(m.epoch, 1);
}

TEST(ElectionTest, SuccessorTakesOverWithAHigherEpochWhenMasterLeaves) {
  auto tree = std::make_shared<coord::MemoryTree>();
  Candidate a(tree, "a:1"), b(tree, "b:1"), c(tree, "c:1");
  ASSERT_TRUE(a.election.Start().ok());
  ASSERT_TRUE(b.election.Start().ok());
  ASSERT_TRUE(c.election.Start().ok());
  a.election.Leave();
  ASSERT_TRUE(WaitFor([&] { return b.election.is_master(); }, milliseconds(5000)).ok());
  EXPECT_FALSE(c.election.is_master());
  ASSERT_TRUE(
      WaitFor([&] { return ReadMaster(b.coord.get()).address == "b:1"; }, milliseconds(5000)).ok());
  EXPECT_EQ(ReadMaster(b.coord.get()).epoch, 2);
  EXPECT_EQ(c.elected.load(), 0);
}

TEST(ElectionTest, StandbyWhosePredecessorDiesKeepsWaitingForTheMaster) {
  auto tree = std::make_shared<coord::MemoryTree>();
  Candidate a(tree, "a:1"), b(tree, "b:1"), c(tree, "c:1");
  ASSERT_TRUE(a.election.Start().ok());
  ASSERT_TRUE(b.election.Start().ok());
  ASSERT_TRUE(c.election.Start().ok());
  b.election.Leave();  // c's predecessor, not the master
  ASSERT_TRUE(WaitFor([&] { return a.coord->GetChildren(kPaths.servers())->size() == 2; },
                      milliseconds(5000))
                  .ok());
  a.election.Leave();
  ASSERT_TRUE(WaitFor([&] { return c.election.is_master(); }, milliseconds(5000)).ok());
  EXPECT_TRUE(a.demoted.load() == 1);
}

TEST(ElectionTest, ExpiredMasterIsDemotedAndRejoinsAsStandby) {
  auto tree = std::make_shared<coord::MemoryTree>();
  Candidate a(tree, "a:1"), b(tree, "b:1");
  a.coord->SetSessionListener([&](coord::SessionEvent e) {
    if (e == coord::SessionEvent::kExpired) a.election.Rejoin();
  });
  ASSERT_TRUE(a.election.Start().ok());
  ASSERT_TRUE(b.election.Start().ok());
  a.coord->ExpireSessionForTests();
  ASSERT_TRUE(
      WaitFor([&] { return b.election.is_master() && a.demoted.load() == 1; }, milliseconds(5000))
          .ok());
  ASSERT_TRUE(WaitFor([&] { return a.coord->GetChildren(kPaths.servers())->size() == 2; },
                      milliseconds(5000))
                  .ok());
  EXPECT_FALSE(a.election.is_master());
}

// A master (a) over an in-memory tree with data nodes d1 and d2 on their own session.
class MasterTest : public ::testing::Test {
 protected:
  void Start(milliseconds data_grace) {
    tree_ = std::make_shared<coord::MemoryTree>();
    master_ = std::make_unique<Candidate>(tree_, "a:1", data_grace);
    data_ = std::make_unique<coord::MemoryCoordinator>(tree_);
    ASSERT_TRUE(master_->election.Start().ok());
    ASSERT_TRUE(Join("d1", 1).ok());
    ASSERT_TRUE(Join("d2", 2).ok());
    ASSERT_TRUE(WaitFor([&] { return Map().Counts().size() == 2; }, milliseconds(5000)).ok());
  }

  Status Join(const std::string& id, int32_t pid) {
    return data_->Create(kPaths.data_node(id), rpc::EncodeMember({id, Address(id), pid, "h"}),
                         coord::NodeMode::kEphemeral);
  }

  static std::string Address(const std::string& id) { return id + ":7500"; }

  bool Draining(const std::string& id) {
    auto exists = data_->Exists(kPaths.draining_node(id));
    return exists.ok() && *exists;
  }

  SlotMap Map() {
    SlotMap map;
    auto node = data_->Get(kPaths.slotmap());
    if (!node.ok() || !rpc::DecodeSlotMap(node->data, &map).ok()) return SlotMap();
    return map;
  }

  Master& master() { return master_->master; }

  std::shared_ptr<coord::MemoryTree> tree_;
  std::unique_ptr<Candidate> master_;
  std::unique_ptr<coord::MemoryCoordinator> data_;
};

TEST_F(MasterTest, RebalancesTheSlotMapWhenDataNodesJoinAndLeave) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(0)));
  auto counts = Map().Counts();
  EXPECT_EQ(counts["d1"], 32);
  EXPECT_EQ(counts["d2"], 32);
  const std::vector<Slot> d1_slots = Map().SlotsOf("d1");
  ASSERT_TRUE(data_->Delete(kPaths.data_node("d1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Map().Counts().size() == 1; }, milliseconds(5000)).ok());
  EXPECT_EQ(Map().Counts()["d2"], 64);
  EXPECT_EQ(Map().epoch(), 1);
  EXPECT_EQ(master().lost_slots(), d1_slots);  // d1's slots went to d2 empty
}

TEST_F(MasterTest, DepartedDataNodeKeepsItsSlotsWhenItComesBackWithinTheGracePeriod) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(60000)));
  const int64_t version = Map().version();
  ASSERT_TRUE(data_->Delete(kPaths.data_node("d1")).ok());
  ASSERT_TRUE(WaitFor([&] { return master().departed() == std::vector<std::string>{"d1"}; },
                      milliseconds(5000))
                  .ok());
  EXPECT_EQ(Map().version(), version);  // d1 still owns its slots
  ASSERT_TRUE(Join("d1", 1).ok());      // the same process, back with its keys
  ASSERT_TRUE(WaitFor([&] { return master().departed().empty(); }, milliseconds(5000)).ok());
  EXPECT_EQ(Map().version(), version);
  EXPECT_EQ(Map().Counts()["d1"], 32);
  EXPECT_TRUE(master().lost_slots().empty());
}

TEST_F(MasterTest, SlotsOfADataNodeThatStaysAwayPastTheGracePeriodAreReassignedAndCountedLost) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(100)));
  const std::vector<Slot> d1_slots = Map().SlotsOf("d1");
  ASSERT_TRUE(data_->Delete(kPaths.data_node("d1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Map().Counts().size() == 1; }, milliseconds(5000)).ok());
  EXPECT_EQ(Map().Counts()["d2"], 64);
  EXPECT_EQ(master().lost_slots(), d1_slots);
  EXPECT_TRUE(master().departed().empty());
}

TEST_F(MasterTest, DataNodeBackAsANewProcessKeepsItsSlotsButTheirKeysAreCountedLost) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(60000)));
  ASSERT_TRUE(data_->Delete(kPaths.data_node("d1")).ok());
  ASSERT_TRUE(WaitFor([&] { return !master().departed().empty(); }, milliseconds(5000)).ok());
  ASSERT_TRUE(Join("d1", 99).ok());  // restarted: another pid, an empty store
  ASSERT_TRUE(WaitFor([&] { return master().departed().empty(); }, milliseconds(5000)).ok());
  EXPECT_EQ(Map().Counts()["d1"], 32);
  EXPECT_EQ(master().lost_slots(), Map().SlotsOf("d1"));
}

TEST_F(MasterTest, JoiningDataNodeGetsItsShareByMovesThatKeepTheKeys) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(0)));
  ASSERT_TRUE(WaitFor([&] { return Map().Counts()["d2"] == 32; }, milliseconds(5000)).ok());
  ASSERT_TRUE(Join("d3", 3).ok());
  // Balanced over the three (21, 21, 22 in some order), and no move in flight any more.
  ASSERT_TRUE(WaitFor(
                  [&] {
                    auto c = Map().Counts();
                    return std::min({c["d1"], c["d2"], c["d3"]}) == 21 &&
                           std::max({c["d1"], c["d2"], c["d3"]}) == 22 && master().moves().empty();
                  },
                  milliseconds(5000))
                  .ok());
  int64_t migrated_to_d3 = 0;
  for (const char* source : {"d1", "d2"}) {
    for (const auto& m : master_->Channel(Address(source))->migrations()) {
      if (m.target_id == "d3" && m.finished) migrated_to_d3 += static_cast<int64_t>(m.slots.size());
    }
  }
  EXPECT_GE(migrated_to_d3, Map().Counts()["d3"]);  // every slot of d3 came with its keys
  EXPECT_GE(master().moved_slots(), migrated_to_d3);
  EXPECT_TRUE(master().lost_slots().empty());
}

TEST_F(MasterTest, DrainedDataNodeGivesAwayItsSlotsIsToldToLeaveAndItsRequestEndsWhenItIsGone) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(0)));
  ASSERT_TRUE(WaitFor([&] { return Map().Counts()["d2"] == 32; }, milliseconds(5000)).ok());
  auto slots = master().Drain("d1", true);
  ASSERT_TRUE(slots.ok()) << slots.status().ToString();
  EXPECT_EQ(*slots, 32);
  EXPECT_TRUE(Draining("d1"));
  EXPECT_EQ(master().draining(), std::vector<std::string>{"d1"});
  ASSERT_TRUE(WaitFor([&] { return Map().Counts()["d2"] == 64; }, milliseconds(5000)).ok());
  ASSERT_TRUE(
      WaitFor([&] { return master_->Channel(Address("d1"))->leaves() >= 1; }, milliseconds(5000))
          .ok());
  EXPECT_TRUE(master().lost_slots().empty());
  ASSERT_TRUE(data_->Delete(kPaths.data_node("d1")).ok());  // it left
  ASSERT_TRUE(WaitFor([&] { return !Draining("d1"); }, milliseconds(5000)).ok());
  EXPECT_TRUE(master().draining().empty());
}

TEST_F(MasterTest, DrainRequestWrittenByTheDataNodeItselfIsFollowed) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(0)));
  ASSERT_TRUE(WaitFor([&] { return Map().Counts()["d2"] == 32; }, milliseconds(5000)).ok());
  // What a data node does on SIGTERM: it asks for its own drain.
  ASSERT_TRUE(data_
                  ->Create(kPaths.draining_node("d2"), rpc::EncodeDrain({1, true}),
                           coord::NodeMode::kPersistent)
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return Map().Counts()["d1"] == 64; }, milliseconds(5000)).ok());
  ASSERT_TRUE(
      WaitFor([&] { return master_->Channel(Address("d2"))->leaves() >= 1; }, milliseconds(5000))
          .ok());
}

TEST_F(MasterTest, DrainOfAnUnknownDataNodeIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(0)));
  auto slots = master().Drain("nope", true);
  EXPECT_TRUE(slots.status().IsNotFound()) << slots.status().ToString();
  EXPECT_FALSE(Draining("nope"));
}

TEST_F(MasterTest, RebalanceOfABalancedMapMovesNothing) {
  ASSERT_NO_FATAL_FAILURE(Start(milliseconds(0)));
  ASSERT_TRUE(WaitFor([&] { return Map().Counts()["d2"] == 32; }, milliseconds(5000)).ok());
  auto moves = master().Rebalance();
  ASSERT_TRUE(moves.ok()) << moves.status().ToString();
  EXPECT_EQ(*moves, 0);
}

}  // namespace
}  // namespace dkv::server
