// Slot moves between two data nodes in one process: each node has its own Store, SlotMoves,
// SlotOwnership (over an in-memory coordinator sharing one tree with the test, which plays the
// master) and DataService; the target serves the DataNode service on a real loopback Thrift
// server, so the source reaches it through the real ImportChannel.
#include "data/slot_moves.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/rpc/metadata_codec.h"
#include "data/in_process_data_node.h"
#include "data/store_test_util.h"

namespace dkv::data {
namespace {

using namespace std::chrono_literals;

constexpr int32_t kSlots = 8;
constexpr Slot kMoved = 3;

rpc::Fence MakeFence(int64_t epoch, int64_t version) {
  rpc::Fence fence;
  fence.epoch = epoch;
  fence.map_version = version;
  return fence;
}

rpc::ErrorCode::type ErrorOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const rpc::DkvError& e) {
    return e.code;
  }
  ADD_FAILURE() << "no DkvError thrown";
  return static_cast<rpc::ErrorCode::type>(0);
}

// The `n`-th key of slot `slot`.
std::string KeyOf(Slot slot, int n) { return data::KeyOf(slot, n, kSlots); }

std::string Read(InProcessDataNode& node, int32_t db, const std::string& key) {
  return node.Read(SlotOf(key, kSlots), db, key);
}

Status Write(InProcessDataNode& node, int32_t db, const std::string& key, const std::string& value,
             int64_t expire_at_ms = 0) {
  return node.Write(SlotOf(key, kSlots), db, key, value, expire_at_ms);
}

class SlotMovesTest : public ::testing::Test {
 protected:
  explicit SlotMovesTest(MigrationSourceOptions options = {})
      : tree_(std::make_shared<coord::MemoryTree>()), master_(tree_) {
    EXPECT_TRUE(master_.CreateAll(paths_.root()).ok());
    WriteMap(1, 1, {});  // every slot on d1
    source_ = std::make_unique<InProcessDataNode>(tree_, paths_, "d1", options);
    target_ = std::make_unique<InProcessDataNode>(tree_, paths_, "d2", options);
    EXPECT_TRUE(source_->Start().ok());
    EXPECT_TRUE(target_->Start().ok());
  }

  // Writes slot map `version` of `epoch` as a master would: every slot on d1 except `on_d2`.
  void WriteMap(int64_t version, int64_t epoch, const std::vector<Slot>& on_d2) {
    SlotMap map(kSlots);
    for (Slot s = 0; s < kSlots; ++s) map.Assign(s, "d1");
    for (Slot s : on_d2) map.Assign(s, "d2");
    map.set_version(version);
    map.set_epoch(epoch);
    map.StampChanges(last_map_);
    last_map_ = map;
    WriteNode(paths_.slotmap(), rpc::EncodeSlotMap(map));
  }

  void WriteNode(const std::string& path, const std::string& data) {
    Result<int32_t> set = master_.Set(path, data, -1);
    if (!set.ok()) {
      ASSERT_TRUE(set.status().IsNotFound()) << set.status().ToString();
      ASSERT_TRUE(master_.Create(path, data, coord::NodeMode::kPersistent).ok());
    }
  }

  rpc::MigrationStatus MoveStatus(int64_t id, int64_t epoch = 1, int64_t version = 1) {
    rpc::MigrationStatus status;
    source_->service->migration_status(status, MakeFence(epoch, version), id);
    return status;
  }

  // Starts move `id` of kMoved from d1 to d2 and waits until its copy is done.
  void StartMove(int64_t id) {
    source_->service->migrate_slots(MakeFence(1, 1), id, {kMoved}, "d2", target_->address());
    ASSERT_TRUE(WaitFor([&] { return MoveStatus(id).phase != "copying"; }));
    ASSERT_EQ(MoveStatus(id).phase, "delta") << MoveStatus(id).error;
  }

  rpc::MigrationStatus Finish(int64_t id) {
    rpc::MigrationStatus status;
    source_->service->finish_migration(status, MakeFence(1, 1), id);
    return status;
  }

  // Flips kMoved to d2 (map version 2 of epoch 1) and waits until both nodes applied it.
  void FlipMap() {
    WriteMap(2, 1, {kMoved});
    ASSERT_TRUE(WaitFor([&] {
      return source_->ownership.map_version() == 2 && target_->ownership.map_version() == 2;
    }));
  }

  const coord::ClusterPaths paths_{"moves"};
  std::shared_ptr<coord::MemoryTree> tree_;
  coord::MemoryCoordinator master_;
  SlotMap last_map_{kSlots};
  std::unique_ptr<InProcessDataNode> source_;
  std::unique_ptr<InProcessDataNode> target_;
};

TEST_F(SlotMovesTest, CommittedMoveIsAdoptedWithEveryKeyWhenTheMapFlips) {
  const int64_t far_future = UnixMillisNow() + 3600 * 1000;
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(Write(*source_, i % kDatabases, KeyOf(kMoved, i), "v" + std::to_string(i),
                      i % 3 == 0 ? far_future : 0)
                    .ok());
  }
  ASSERT_TRUE(Write(*source_, 0, KeyOf(kMoved + 1, 0), "stays").ok());
  StartMove(7);
  EXPECT_EQ(MoveStatus(7).keys_total, 500);
  EXPECT_EQ(MoveStatus(7).keys_copied, 500);

  const rpc::MigrationStatus finished = Finish(7);
  ASSERT_EQ(finished.phase, "committed") << finished.error;
  // Paused until the map flips: the master's router retries MOVING after the flip.
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "late").IsMoving());
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved + 1, 0), "other slots go on").ok());
  EXPECT_FALSE(target_->store.HasSlot(kMoved));  // staged, not served before the flip

  FlipMap();
  EXPECT_FALSE(source_->store.HasSlot(kMoved));
  ASSERT_TRUE(target_->store.HasSlot(kMoved));
  EXPECT_EQ(target_->store.SlotKeyCount(kMoved), 500);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(Read(*target_, i % kDatabases, KeyOf(kMoved, i)), "v" + std::to_string(i));
  }
  ValuePart part;
  ASSERT_TRUE(target_->store.ReadPart(kMoved, 0, KeyOf(kMoved, 0), 0, 100, &part).ok());
  EXPECT_EQ(part.expire_at_ms, far_future);
  EXPECT_TRUE(Write(*target_, 0, KeyOf(kMoved, 0), "served here now").ok());
}

TEST_F(SlotMovesTest, EveryWriteAcknowledgedBeforeThePauseReachesTheTarget) {
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(Write(*source_, 0, KeyOf(kMoved, i), "old").ok());
  // Writers set and delete keys of the slot until the pause refuses them (MOVING); each records
  // what it last got acknowledged per key.
  constexpr int kWriters = 3;
  std::vector<std::map<std::string, std::string>> acked(kWriters);
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; !stop; ++n) {
        const std::string key = KeyOf(kMoved, (n * kWriters + w) % 2000 / kWriters * kWriters + w);
        dkv::Status s;
        std::string value;
        if (n % 5 == 4) {
          bool existed = false;
          s = RemoveKey(source_->store, kMoved, key, &existed);
          value = "<absent>";
        } else {
          value = "w" + std::to_string(w) + "-" + std::to_string(n);
          s = SetKey(source_->store, kMoved, key, value);
        }
        if (s.IsMoving()) return;
        ASSERT_TRUE(s.ok()) << s.ToString();
        acked[w][key] = value;
      }
    });
  }
  source_->service->migrate_slots(MakeFence(1, 1), 9, {kMoved}, "d2", target_->address());
  ASSERT_TRUE(WaitFor([&] { return MoveStatus(9).phase != "copying"; }));
  const rpc::MigrationStatus finished = Finish(9);
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_EQ(finished.phase, "committed") << finished.error;

  FlipMap();
  for (int i = 0; i < 2000; ++i) {
    const std::string key = KeyOf(kMoved, i);
    const int w = i % kWriters;
    auto it = acked[w].find(key);
    const std::string expected = it == acked[w].end() ? "old" : it->second;
    ASSERT_EQ(Read(*target_, 0, key), expected) << key;
  }
}

class SmallChunkSlotMovesTest : public SlotMovesTest {
 protected:
  static MigrationSourceOptions SmallChunks() {
    MigrationSourceOptions options;
    options.chunk_bytes = 4096;
    return options;
  }
  SmallChunkSlotMovesTest() : SlotMovesTest(SmallChunks()) {}
};

TEST_F(SmallChunkSlotMovesTest, ValueBiggerThanAChunkMovesInParts) {
  std::string big(100 * 1000 + 7, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  ASSERT_TRUE(Write(*source_, 2, KeyOf(kMoved, 0), big).ok());
  for (int i = 1; i < 50; ++i) ASSERT_TRUE(Write(*source_, 0, KeyOf(kMoved, i), "small").ok());
  StartMove(11);
  EXPECT_GE(MoveStatus(11).bytes_copied, static_cast<int64_t>(big.size()));
  // Rewritten (bigger) after its copy: the delta resends it whole, in parts again.
  big += big;
  ASSERT_TRUE(Write(*source_, 2, KeyOf(kMoved, 0), big).ok());
  ASSERT_EQ(Finish(11).phase, "committed");
  FlipMap();
  EXPECT_EQ(Read(*target_, 2, KeyOf(kMoved, 0)), big);
  EXPECT_EQ(target_->store.SlotKeyCount(kMoved), 50);
}

TEST_F(SlotMovesTest, AbortResumesWritesAndTheTargetDropsTheImport) {
  ASSERT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "v").ok());
  StartMove(12);
  EXPECT_TRUE(target_->moves.target()->IsImporting(kMoved));
  source_->service->abort_migration(MakeFence(1, 1), 12);
  EXPECT_EQ(MoveStatus(12).phase, "aborted");
  EXPECT_FALSE(target_->moves.target()->IsImporting(kMoved));
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "w").ok());
  EXPECT_EQ(Finish(12).phase, "aborted");  // a finish after the abort changes nothing
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "x").ok());
  source_->service->abort_migration(MakeFence(1, 1), 12);  // idempotent
}

TEST_F(SlotMovesTest, AbortAfterCommitResumesWritesAndNothingIsAdopted) {
  StartMove(13);
  ASSERT_EQ(Finish(13).phase, "committed");
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "v").IsMoving());
  source_->service->abort_migration(MakeFence(1, 1), 13);
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "v").ok());
  EXPECT_FALSE(target_->moves.target()->IsImporting(kMoved));
}

TEST_F(SlotMovesTest, OtherSlotsKeepTakingWritesWhileAMovedSlotIsPaused) {
  StartMove(17);
  ASSERT_EQ(Finish(17).phase, "committed");
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "v").IsMoving());
  for (Slot s = 0; s < kSlots; ++s) {
    if (s == kMoved) continue;
    EXPECT_TRUE(Write(*source_, 0, KeyOf(s, 0), "v").ok()) << "slot " << s;
    EXPECT_EQ(Read(*source_, 0, KeyOf(s, 0)), "v") << "slot " << s;
  }
  FlipMap();
}

// A move gives up when writes keep the dirty set from shrinking: here one delta round is allowed
// and nothing may be left for the final delta, so any write after the copy fails the move.
class OutpacedSlotMovesTest : public SlotMovesTest {
 protected:
  static MigrationSourceOptions OneRoundNoDelta() {
    MigrationSourceOptions options;
    options.max_delta_rounds = 1;
    options.final_delta_bytes = 0;
    return options;
  }
  OutpacedSlotMovesTest() : SlotMovesTest(OneRoundNoDelta()) {}
};

TEST_F(OutpacedSlotMovesTest, WritesThatOutpaceTheMoveFailItAndTheSlotKeepsServing) {
  ASSERT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "v").ok());
  StartMove(18);
  ASSERT_TRUE(Write(*source_, 0, KeyOf(kMoved, 1), "written after the copy").ok());
  const rpc::MigrationStatus finished = Finish(18);
  EXPECT_EQ(finished.phase, "failed");
  EXPECT_NE(finished.error.find("outpace"), std::string::npos) << finished.error;
  // The slot never paused for good: writes go on at the source, and the target dropped its import.
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved, 2), "w").ok());
  EXPECT_EQ(Read(*source_, 0, KeyOf(kMoved, 1)), "written after the copy");
  ASSERT_TRUE(WaitFor([&] { return !target_->moves.target()->IsImporting(kMoved); }));
}

TEST_F(SlotMovesTest, HigherEpochEndsTheMoveOnBothSides) {
  ASSERT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "v").ok());
  StartMove(14);
  // A new master's first call raises the epoch on each node.
  EXPECT_EQ(MoveStatus(14, 2, 1).phase, "aborted");
  EXPECT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "w").ok());
  target_->service->import_abort(MakeFence(2, 1), 999);  // raises d2's epoch too
  EXPECT_FALSE(target_->moves.target()->IsImporting(kMoved));
  // The old master can no longer finish it.
  EXPECT_EQ(ErrorOf([&] { Finish(14); }), rpc::ErrorCode::STALE_EPOCH);
}

TEST_F(SlotMovesTest, CommittedMoveOfASupersededMasterLeavesNoPause) {
  StartMove(15);
  ASSERT_EQ(Finish(15).phase, "committed");
  WriteNode(paths_.epoch(), rpc::EncodeEpoch(2));
  ASSERT_TRUE(WaitFor([&] { return Write(*source_, 0, KeyOf(kMoved, 0), "v").ok(); }));
  EXPECT_EQ(MoveStatus(15, 2, 1).phase, "aborted");
  // The committed import waits for a map of the new master, which keeps the slot on d1.
  ASSERT_TRUE(WaitFor([&] { return target_->ownership.highest_epoch() == 2; }));
  EXPECT_TRUE(target_->moves.target()->IsImporting(kMoved));
  WriteMap(2, 2, {});
  ASSERT_TRUE(WaitFor([&] { return !target_->moves.target()->IsImporting(kMoved); }));
  EXPECT_FALSE(target_->store.HasSlot(kMoved));
}

TEST_F(SlotMovesTest, UncommittedImportIsNotAdopted) {
  ASSERT_TRUE(Write(*source_, 0, KeyOf(kMoved, 0), "v").ok());
  StartMove(16);
  FlipMap();  // a map that grants the slot before the move committed
  ASSERT_TRUE(target_->store.HasSlot(kMoved));
  EXPECT_EQ(target_->store.SlotKeyCount(kMoved), 0);
}

TEST_F(SlotMovesTest, MoveOfASlotNotOwnedOrToItselfIsRefused) {
  FlipMap();
  EXPECT_EQ(ErrorOf([&] {
              source_->service->migrate_slots(MakeFence(1, 2), 1, {kMoved}, "d2",
                                              target_->address());
            }),
            rpc::ErrorCode::WRONG_NODE);
  EXPECT_EQ(ErrorOf([&] {
              source_->service->migrate_slots(MakeFence(1, 2), 1, {0}, "d1", source_->address());
            }),
            rpc::ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorOf([&] {
              source_->service->migrate_slots(MakeFence(1, 2), 1, {0, 0}, "d2", target_->address());
            }),
            rpc::ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      ErrorOf([&] { source_->service->migrate_slots(MakeFence(1, 2), 1, {0}, "d2", "no-port"); }),
      rpc::ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorOf([&] { target_->service->import_begin(MakeFence(1, 2), 1, {kMoved}); }),
            rpc::ErrorCode::INVALID_ARGUMENT);  // d2 owns it already
  EXPECT_EQ(ErrorOf([&] {
              rpc::MigrationStatus status;
              source_->service->migration_status(status, MakeFence(1, 2), 404);
            }),
            rpc::ErrorCode::NOT_FOUND);
}

TEST_F(SlotMovesTest, LeaveIsRefusedWhileTheNodeOwnsSlots) {
  EXPECT_EQ(ErrorOf([&] { source_->service->leave(); }), rpc::ErrorCode::INVALID_ARGUMENT);
  EXPECT_FALSE(source_->left);
  target_->service->leave();  // d2 owns nothing
  EXPECT_TRUE(target_->left);
}

// MigrationTarget's adoption rule on its own.
TEST(MigrationTargetTest, AdoptsOnlyACommittedImportGrantedAfterItsCommit) {
  Store store;
  MigrationTarget target(&store, Limits());
  const Fence fence{3, 10};
  ASSERT_TRUE(target.Begin(fence, 1, {kMoved}, kSlots).ok());
  std::vector<MigrationEntry> entries(1);
  entries[0].key = KeyOf(kMoved, 0);
  entries[0].value = "v";
  entries[0].total_size = 1;
  ASSERT_TRUE(target.Chunk(1, std::move(entries)).ok());
  EXPECT_FALSE(target.Adopt(kMoved, 3, 11));  // not committed
  ASSERT_TRUE(target.Commit(fence, 1, {}).ok());
  EXPECT_FALSE(target.Adopt(kMoved, 3, 10));  // granted before (or at) the commit's version
  EXPECT_FALSE(target.Adopt(kMoved, 2, 11));  // a map of an older master
  EXPECT_TRUE(target.Adopt(kMoved, 3, 11));
  EXPECT_EQ(store.SlotKeyCount(kMoved), 1);
  EXPECT_FALSE(target.IsImporting(kMoved));
}

TEST(MigrationTargetTest, RefusesPartsOutOfOrderAndCommitWithAnIncompleteValue) {
  Store store;
  MigrationTarget target(&store, Limits());
  ASSERT_TRUE(target.Begin({1, 1}, 1, {kMoved}, kSlots).ok());
  auto part = [](int64_t offset, std::string bytes, int64_t total) {
    std::vector<MigrationEntry> entries(1);
    entries[0].key = KeyOf(kMoved, 0);
    entries[0].value = std::move(bytes);
    entries[0].offset = offset;
    entries[0].total_size = total;
    return entries;
  };
  ASSERT_TRUE(target.Chunk(1, part(0, "ab", 6)).ok());
  EXPECT_TRUE(target.Chunk(1, part(4, "ef", 6)).code() == dkv::Status::Code::kInvalidArgument);
  EXPECT_TRUE(target.Commit({1, 1}, 1, {}).code() == dkv::Status::Code::kInvalidArgument);
  ASSERT_TRUE(target.Chunk(1, part(2, "cd", 6)).ok());
  ASSERT_TRUE(target.Chunk(1, part(4, "ef", 6)).ok());
  std::vector<MigrationEntry> foreign(1);
  foreign[0].key = KeyOf(kMoved + 1, 0);
  EXPECT_TRUE(target.Chunk(1, std::move(foreign)).code() == dkv::Status::Code::kInvalidArgument);
  EXPECT_TRUE(target.Chunk(2, part(0, "", 0)).IsNotFound());
  EXPECT_TRUE(target.Commit({1, 1}, 1, {}).ok());
}

}  // namespace
}  // namespace dkv::data
