#include "data/slot_ownership.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/coord/memory_coordinator.h"
#include "common/rpc/metadata_codec.h"
#include "data/store_test_util.h"

namespace dkv::data {
namespace {

using coord::MemoryCoordinator;
using coord::MemoryTree;

constexpr int32_t kSlots = 16;

// The fence of a call that names one slot (FenceBatch, then Batch::CheckSlot).
Status Check(SlotOwnership& ownership, int64_t epoch, int64_t map_version, Slot slot) {
  DKV_ASSIGN_OR_RETURN(SlotOwnership::Batch batch, ownership.FenceBatch(Fence{epoch, map_version}));
  return batch.CheckSlot(slot, /*write=*/true);
}

// As Check, for the slot of `key` (Batch::CheckKey).
Status CheckKey(SlotOwnership& ownership, int64_t epoch, int64_t map_version, std::string_view key,
                Slot* slot) {
  DKV_ASSIGN_OR_RETURN(SlotOwnership::Batch batch, ownership.FenceBatch(Fence{epoch, map_version}));
  return batch.CheckKey(key, /*write=*/true, slot);
}

// A coordinator that drops every watch, as if the data node had missed the notification: only a
// synchronous refresh can then bring a newer map.
class DeafCoordinator final : public coord::Coordinator {
 public:
  explicit DeafCoordinator(coord::Coordinator* inner) : inner_(inner) {}
  Status Create(const std::string& path, const std::string& data, coord::NodeMode mode,
                std::string* created_path) override {
    return inner_->Create(path, data, mode, created_path);
  }
  Status CreateAll(const std::string& path) override { return inner_->CreateAll(path); }
  Result<coord::NodeData> Get(const std::string& path, coord::Watch) override {
    ++gets;
    return inner_->Get(path);
  }
  Result<bool> Exists(const std::string& path, coord::Watch) override {
    return inner_->Exists(path);
  }
  Result<std::vector<std::string>> GetChildren(const std::string& path, coord::Watch) override {
    return inner_->GetChildren(path);
  }
  Result<int32_t> Set(const std::string& path, const std::string& data,
                      int32_t expected_version) override {
    return inner_->Set(path, data, expected_version);
  }
  Status Delete(const std::string& path, int32_t expected_version) override {
    return inner_->Delete(path, expected_version);
  }
  void SetSessionListener(coord::SessionListener listener) override {
    inner_->SetSessionListener(std::move(listener));
  }
  const std::string& connect_string() const override { return inner_->connect_string(); }

  std::atomic<int> gets{0};

 private:
  coord::Coordinator* inner_;
};

class SlotOwnershipTest : public ::testing::Test {
 protected:
  SlotOwnershipTest()
      : tree_(std::make_shared<MemoryTree>()),
        master_(tree_),
        node_coord_(std::make_unique<MemoryCoordinator>(tree_)),
        paths_("test") {
    EXPECT_TRUE(master_.CreateAll(paths_.root()).ok());
  }

  // Writes the slot map as a master would: slots [0, split) to "d1", the rest to "d2".
  void WriteMap(int64_t version, int64_t epoch, Slot split) {
    SlotMap map(kSlots);
    for (Slot s = 0; s < kSlots; ++s) map.Assign(s, s < split ? "d1" : "d2");
    map.set_version(version);
    map.set_epoch(epoch);
    map.StampChanges(last_map_);  // as the master does
    last_map_ = map;
    WriteNode(paths_.slotmap(), rpc::EncodeSlotMap(map));
  }
  SlotMap last_map_{kSlots};

  void WriteEpoch(int64_t epoch) { WriteNode(paths_.epoch(), rpc::EncodeEpoch(epoch)); }

  void WriteNode(const std::string& path, const std::string& data) {
    Result<bool> exists = master_.Exists(path);
    ASSERT_TRUE(exists.ok());
    if (*exists) {
      ASSERT_TRUE(master_.Set(path, data).ok());
    } else {
      ASSERT_TRUE(master_.Create(path, data, coord::NodeMode::kPersistent).ok());
    }
  }

  // Waits until the data node's coordinator has delivered every watch queued so far.
  void Flush() { node_coord_->FlushForTests(); }

  std::shared_ptr<MemoryTree> tree_;
  MemoryCoordinator master_;
  std::unique_ptr<MemoryCoordinator> node_coord_;
  coord::ClusterPaths paths_;
  Store store_;
};

TEST_F(SlotOwnershipTest, NoMapYetMeansWrongNode) {
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  EXPECT_EQ(ownership.map_version(), 0);
  EXPECT_TRUE(Check(ownership, 1, 0, 0).IsWrongNode());
  Slot slot = -1;
  Status s = CheckKey(ownership, 1, 0, "k", &slot);
  EXPECT_TRUE(s.IsWrongNode()) << s.ToString();
  EXPECT_NE(s.message().find("no slot map"), std::string::npos) << s.ToString();
}

TEST_F(SlotOwnershipTest, OwnedSlotPassesAndWrongSlotIsRejectedNamingOwner) {
  WriteMap(1, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  EXPECT_EQ(ownership.map_version(), 1);
  EXPECT_TRUE(Check(ownership, 1, 1, 0).ok());
  EXPECT_TRUE(Check(ownership, 1, 1, 7).ok());
  Status s = Check(ownership, 1, 1, 8);
  ASSERT_TRUE(s.IsWrongNode()) << s.ToString();
  EXPECT_EQ(s.message(), "slot 8 is owned by d2 under slot map version 1, not by d1");
  EXPECT_TRUE(Check(ownership, 1, 1, kSlots).code() == Status::Code::kInvalidArgument);
  EXPECT_TRUE(Check(ownership, 1, 1, -1).code() == Status::Code::kInvalidArgument);
  // Tables exist exactly for the owned slots.
  EXPECT_TRUE(store_.HasSlot(0));
  EXPECT_FALSE(store_.HasSlot(8));
  EXPECT_EQ(ownership.GetSummary().owned_slots, 8);
}

TEST_F(SlotOwnershipTest, CheckKeyUsesTheMapsSlotCount) {
  WriteMap(1, 1, kSlots);  // d1 owns everything
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  Slot slot = -1;
  ASSERT_TRUE(CheckKey(ownership, 1, 1, "some key", &slot).ok());
  EXPECT_EQ(slot, SlotOf("some key", kSlots));
}

TEST_F(SlotOwnershipTest, StaleEpochIsRejected) {
  WriteMap(1, 1, kSlots);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  EXPECT_TRUE(Check(ownership, 3, 1, 0).ok());
  EXPECT_EQ(ownership.highest_epoch(), 3);
  Status s = Check(ownership, 2, 1, 0);
  EXPECT_TRUE(s.IsStaleEpoch()) << s.ToString();
  EXPECT_TRUE(Check(ownership, 3, 1, 0).ok());  // the same epoch still passes
  EXPECT_EQ(ownership.highest_epoch(), 3);
}

TEST_F(SlotOwnershipTest, EpochZnodeFencesOutTheOldMaster) {
  WriteMap(1, 1, kSlots);
  WriteEpoch(1);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  EXPECT_TRUE(Check(ownership, 1, 1, 0).ok());
  WriteEpoch(2);  // a new master took over, before it called this node
  Flush();
  EXPECT_EQ(ownership.highest_epoch(), 2);
  EXPECT_TRUE(Check(ownership, 1, 1, 0).IsStaleEpoch());
}

TEST_F(SlotOwnershipTest, OlderCallerMapVersionIsAStaleRoute) {
  WriteMap(2, 1, kSlots);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  Status s = Check(ownership, 1, 1, 0);
  ASSERT_TRUE(s.IsWrongNode()) << s.ToString();
  EXPECT_NE(s.message().find("stale route"), std::string::npos) << s.ToString();
}

TEST_F(SlotOwnershipTest, NewerCallerMapVersionTriggersRefresh) {
  WriteMap(1, 1, 8);
  DeafCoordinator deaf(node_coord_.get());
  SlotOwnership ownership(&deaf, paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  EXPECT_TRUE(Check(ownership, 1, 1, 10).IsWrongNode());

  WriteMap(2, 1, 12);  // the watch is lost: only a refresh can see this
  const int gets_before = deaf.gets;
  Status s = Check(ownership, 1, 2, 10);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ownership.map_version(), 2);
  EXPECT_EQ(deaf.gets, gets_before + 1);
  EXPECT_TRUE(store_.HasSlot(10));

  // Calls at the now-current version do not read ZooKeeper again.
  EXPECT_TRUE(Check(ownership, 1, 2, 11).ok());
  EXPECT_EQ(deaf.gets, gets_before + 1);
}

TEST_F(SlotOwnershipTest, VersionNotInZooKeeperYetIsUnavailable) {
  WriteMap(1, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  Status s = Check(ownership, 1, 5, 0);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
}

TEST_F(SlotOwnershipTest, MapFromNewerMasterIsPickedUpViaWatch) {
  WriteMap(1, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  WriteMap(2, 2, 12);
  Flush();
  SlotOwnership::Summary summary = ownership.GetSummary();
  EXPECT_EQ(summary.map_version, 2);
  EXPECT_EQ(summary.highest_epoch, 2);  // the map's epoch raises the highest seen
  EXPECT_EQ(summary.owned_slots, 12);
  EXPECT_TRUE(Check(ownership, 1, 2, 0).IsStaleEpoch());
  EXPECT_TRUE(Check(ownership, 2, 2, 11).ok());

  // And the next one too: the watch was re-armed.
  WriteMap(3, 2, 4);
  Flush();
  EXPECT_EQ(ownership.map_version(), 3);
}

TEST_F(SlotOwnershipTest, MapCreatedAfterStartIsPickedUp) {
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  WriteMap(1, 1, 8);
  Flush();
  EXPECT_EQ(ownership.map_version(), 1);
  EXPECT_TRUE(Check(ownership, 1, 1, 0).ok());
}

TEST_F(SlotOwnershipTest, SlotsTakenAwayAreDroppedFromTheStore) {
  WriteMap(1, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  for (Slot s = 0; s < 8; ++s) ASSERT_TRUE(SetKey(store_, s, "k", "v").ok());
  EXPECT_EQ(store_.KeyCount(), 8);

  WriteMap(2, 1, 5);  // slots 5..7 move to d2
  Flush();
  EXPECT_EQ(store_.KeyCount(), 5);
  for (Slot s = 5; s < 8; ++s) {
    EXPECT_FALSE(store_.HasSlot(s));
    EXPECT_EQ(store_.SlotKeyCount(s), 0);
  }
  // A write fenced under the old map that lands late is refused by the store.
  EXPECT_TRUE(SetKey(store_, 6, "late", "v").IsWrongNode());

  WriteMap(3, 1, 8);  // they come back empty
  Flush();
  EXPECT_TRUE(store_.HasSlot(6));
  EXPECT_EQ(store_.SlotKeyCount(6), 0);
  EXPECT_EQ(store_.KeyCount(), 5);
}

TEST_F(SlotOwnershipTest, OlderMapReadLateIsIgnored) {
  WriteMap(5, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  WriteMap(4, 1, 2);  // never happens with a sane master; must not take the map back
  Flush();
  EXPECT_EQ(ownership.map_version(), 5);
  EXPECT_EQ(ownership.GetSummary().owned_slots, 8);
}

TEST_F(SlotOwnershipTest, RereadsAfterSessionExpiry) {
  WriteMap(1, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  node_coord_->SetSessionListener([&](coord::SessionEvent e) { ownership.OnSessionEvent(e); });
  ASSERT_TRUE(ownership.Start("d1").ok());
  node_coord_->ExpireSessionForTests();
  Flush();
  WriteMap(2, 1, 12);  // only a watch armed in the new session can see this
  Flush();
  EXPECT_EQ(ownership.map_version(), 2);
  node_coord_->SetSessionListener(nullptr);
}

TEST_F(SlotOwnershipTest, PicksUpAMapWrittenWhileDisconnected) {
  WriteMap(1, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  node_coord_->SetSessionListener([&](coord::SessionEvent e) { ownership.OnSessionEvent(e); });
  ASSERT_TRUE(ownership.Start("d1").ok());
  node_coord_->DisconnectForTests();
  WriteMap(2, 1, 12);  // fires while disconnected: held back until reconnection
  node_coord_->ReconnectForTests();
  Flush();
  EXPECT_EQ(ownership.map_version(), 2);
  WriteMap(3, 1, 4);
  Flush();
  EXPECT_EQ(ownership.map_version(), 3);
  node_coord_->SetSessionListener(nullptr);
}

TEST_F(SlotOwnershipTest, WatchAfterStopDoesNothing) {
  WriteMap(1, 1, 8);
  {
    SlotOwnership ownership(node_coord_.get(), paths_, &store_);
    ASSERT_TRUE(ownership.Start("d1").ok());
  }
  WriteMap(2, 1, 0);  // fires the destroyed object's watch
  Flush();
  EXPECT_TRUE(store_.HasSlot(0));  // nothing dropped it
}

TEST_F(SlotOwnershipTest, ConcurrentChecksWhileTheMapMoves) {
  WriteMap(1, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d1").ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      int i = 0;
      while (!stop.load()) {
        const std::string key = std::to_string(t) + ":" + std::to_string(i++ % 100);
        Slot slot = 0;
        const int64_t version = ownership.map_version();
        Status s = CheckKey(ownership, 1, version, key, &slot);
        if (s.ok()) s = SetKey(store_, slot, key, "v");
        ASSERT_TRUE(s.ok() || s.IsWrongNode()) << s.ToString();
        (void)ownership.GetSummary();
      }
    });
  }
  for (int v = 2; v < 40; ++v) {
    WriteMap(v, 1, static_cast<Slot>(v % kSlots));
    if (v % 8 == 0) Flush();
  }
  Flush();
  stop = true;
  for (auto& th : callers) th.join();
  EXPECT_EQ(ownership.map_version(), 39);
  int64_t total = 0;
  for (Slot s = 0; s < kSlots; ++s) {
    EXPECT_EQ(store_.HasSlot(s), s < 39 % kSlots) << s;
    total += store_.SlotKeyCount(s);
  }
  EXPECT_EQ(store_.KeyCount(), total);
}

// A node that misses the versions in which one of its slots was elsewhere (its session expired,
// or watches coalesced) must not serve that slot's old table when it gets the slot back.
TEST_F(SlotOwnershipTest, SlotThatWasElsewhereInVersionsNeverSeenStartsEmpty) {
  WriteMap(2, 1, 8);  // d2 owns 8..15
  DeafCoordinator deaf(node_coord_.get());
  SlotOwnership ownership(&deaf, paths_, &store_);
  ASSERT_TRUE(ownership.Start("d2").ok());
  ASSERT_TRUE(Check(ownership, 1, 2, 10).ok());
  ASSERT_TRUE(SetKey(store_, 10, "k", "old").ok());
  ASSERT_TRUE(SetKey(store_, 9, "other", "x").ok());
  WriteMap(3, 2, kSlots);  // d1 owns everything (and takes writes for slot 10)
  WriteMap(4, 2, 8);       // d2 owns 8..15 again; it never saw version 3
  ASSERT_TRUE(Check(ownership, 2, 4, 10).ok());
  bool found = true;
  std::string value;
  ASSERT_TRUE(GetKey(store_, 10, "k", &found, &value).ok());
  EXPECT_FALSE(found) << "stale value resurrected: " << value;
}

TEST_F(SlotOwnershipTest, SlotKeptAcrossVersionsKeepsItsKeys) {
  WriteMap(2, 1, 8);
  SlotOwnership ownership(node_coord_.get(), paths_, &store_);
  ASSERT_TRUE(ownership.Start("d2").ok());
  ASSERT_TRUE(SetKey(store_, 10, "k", "v").ok());
  WriteMap(3, 1, 4);  // d2 gains 4..7 and keeps 8..15
  ASSERT_TRUE(Check(ownership, 1, 3, 10).ok());
  bool found = false;
  std::string value;
  ASSERT_TRUE(GetKey(store_, 10, "k", &found, &value).ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(value, "v");
}

}  // namespace
}  // namespace dkv::data
