#include "data/data_service.h"

#include <gtest/gtest.h>

#include "common/coord/memory_coordinator.h"
#include "common/rpc/metadata_codec.h"
#include "common/rpc/op_codec.h"

namespace dkv::data {
namespace {

constexpr int32_t kSlots = 8;

rpc::Fence MakeFence(int64_t epoch, int64_t version) {
  rpc::Fence fence;
  fence.epoch = epoch;
  fence.map_version = version;
  return fence;
}

std::vector<rpc::Op> ToWire(std::vector<Op> ops) { return rpc::ToThrift(std::move(ops)); }

// The handler over a real SlotOwnership and Store, with an in-memory coordinator: no network.
class DataServiceTest : public ::testing::Test {
 protected:
  DataServiceTest() : ownership_(&coordinator_, paths_, &store_) {
    EXPECT_TRUE(coordinator_.CreateAll(paths_.root()).ok());
    // Slot map version 1 of epoch 1: d1 owns the even slots, d2 the odd ones.
    SlotMap map(kSlots);
    for (Slot s = 0; s < kSlots; ++s) map.Assign(s, s % 2 == 0 ? "d1" : "d2");
    map.set_version(1);
    map.set_epoch(1);
    EXPECT_TRUE(
        coordinator_.Create(paths_.slotmap(), rpc::EncodeSlotMap(map), coord::NodeMode::kPersistent)
            .ok());
    EXPECT_TRUE(ownership_.Start("d1").ok());
    Limits limits;
    limits.max_key_bytes = 16;
    limits.max_value_bytes = 32;
    service_ =
        std::make_unique<DataService>(&ownership_, &store_, &moves_, &replicator_, limits, [] {});
  }

  // A key of a slot d1 owns (even) or not (odd), after `pad` bytes of padding.
  static std::string KeyIn(bool owned, size_t pad = 0) {
    for (int i = 0;; ++i) {
      std::string key = std::string(pad, 'k') + "key" + std::to_string(i);
      if ((SlotOf(key, kSlots) % 2 == 0) == owned) return key;
    }
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

  // The reply of `op` executed alone.
  Reply Run(const rpc::Fence& fence, Op op) {
    std::vector<rpc::Reply> wire;
    service_->execute(wire, fence, ToWire({std::move(op)}));
    EXPECT_EQ(wire.size(), 1u);
    return wire.empty() ? Reply::Failed(Status::Internal("no reply"))
                        : rpc::FromThrift(std::move(wire.front()));
  }

  const coord::ClusterPaths paths_{"svc"};
  coord::MemoryCoordinator coordinator_;
  Store store_;
  SlotMoves moves_{&store_, Limits(), nullptr};
  SlotOwnership ownership_;
  // One-member chains: nothing is ever sent.
  ChainReplicator replicator_{[this] { return ownership_.View(); },
                              [](const std::string&) -> Result<std::unique_ptr<EffectChannel>> {
                                return Status::Unavailable("no successors here");
                              }};
  std::unique_ptr<DataService> service_;
};

TEST_F(DataServiceTest, OneOpBatchesSetGetAndDeleteAnOwnedKey) {
  const std::string key = KeyIn(true);
  const auto fence = MakeFence(1, 1);
  EXPECT_EQ(Run(fence, KeyOp(OpCode::kGet, key)).type, Reply::Type::kNil);
  EXPECT_EQ(Run(fence, KeyOp(OpCode::kSet, key, std::string("v\0x", 3))).str, "OK");
  EXPECT_EQ(Run(fence, KeyOp(OpCode::kGet, key)).str, std::string("v\0x", 3));
  EXPECT_EQ(Run(fence, KeyOp(OpCode::kDel, key)).integer, 1);
  EXPECT_EQ(Run(fence, KeyOp(OpCode::kDel, key)).integer, 0);
}

TEST_F(DataServiceTest, OversizedKeyOrValueIsRefusedPerOp) {
  const auto fence = MakeFence(1, 1);
  EXPECT_EQ(Run(fence, KeyOp(OpCode::kSet, KeyIn(true, 14), "v")).error,
            Status::Code::kKeyTooLarge);
  EXPECT_EQ(Run(fence, KeyOp(OpCode::kSet, KeyIn(true), std::string(33, 'v'))).error,
            Status::Code::kValueTooLarge);
  EXPECT_EQ(store_.KeyCount(), 0);
}

TEST_F(DataServiceTest, UnsafePutStoresOrSilentlyDrops) {
  service_->unsafe_put(MakeFence(1, 1), KeyIn(true), "v");
  EXPECT_EQ(store_.KeyCount(), 1);
  service_->unsafe_put(MakeFence(1, 1), KeyIn(false), "v");  // no throw: oneway
  service_->unsafe_put(MakeFence(0, 1), KeyIn(true), "v2");
  EXPECT_EQ(store_.KeyCount(), 1);
}

TEST_F(DataServiceTest, StatsReportOwnershipAndKeys) {
  Run(MakeFence(3, 1), KeyOp(OpCode::kSet, KeyIn(true), "v"));
  rpc::DataNodeStats stats;
  service_->stats(stats);
  EXPECT_EQ(stats.id, "d1");
  EXPECT_EQ(stats.slots, kSlots / 2);
  EXPECT_EQ(stats.keys, 1);
  EXPECT_EQ(stats.map_version, 1);
  EXPECT_EQ(stats.epoch, 3);
}

TEST_F(DataServiceTest, ExecuteAnswersEachOpAndRefusesOnlyUnownedOnes) {
  const std::string mine = KeyIn(true);
  const std::string theirs = KeyIn(false);
  std::vector<rpc::Reply> wire;
  service_->execute(wire, MakeFence(1, 1),
                    ToWire({KeyOp(OpCode::kSet, mine, "v"), KeyOp(OpCode::kSet, theirs, "v"),
                            KeyOp(OpCode::kIncrBy, mine), KeyOp(OpCode::kGet, mine)}));
  std::vector<Reply> replies = rpc::FromThrift(std::move(wire));
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[0].str, "OK");
  ASSERT_TRUE(replies[1].error.has_value());
  EXPECT_EQ(*replies[1].error, Status::Code::kWrongNode);
  EXPECT_EQ(replies[2].str, "ERR value is not an integer or out of range");
  EXPECT_FALSE(replies[2].error.has_value());
  EXPECT_EQ(replies[3].str, "v");
  EXPECT_EQ(store_.KeyCount(), 1);
}

TEST_F(DataServiceTest, ExecuteMSetNxNeedsEveryKeyOwned) {
  Op msetnx;
  msetnx.code = OpCode::kMSetNx;
  msetnx.args = {KeyIn(true), "1", KeyIn(false), "2"};
  std::vector<rpc::Reply> wire;
  service_->execute(wire, MakeFence(1, 1), ToWire({msetnx}));
  std::vector<Reply> replies = rpc::FromThrift(std::move(wire));
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_TRUE(replies[0].error.has_value());
  EXPECT_EQ(*replies[0].error, Status::Code::kWrongNode);
  EXPECT_EQ(store_.KeyCount(), 0);
}

TEST_F(DataServiceTest, ExecuteScanChecksTheSlotAndEveryNodeOpsNeedNone) {
  Run(MakeFence(1, 1), KeyOp(OpCode::kSet, KeyIn(true), "v"));
  Op scan;
  scan.code = OpCode::kScan;
  scan.arg1 = SlotOf(KeyIn(true), kSlots);
  Op scan_theirs = scan;
  scan_theirs.arg1 = 1;
  Op scan_out_of_range = scan;
  scan_out_of_range.arg1 = int64_t{1} << 40;
  Op dbsize;
  dbsize.code = OpCode::kDbSize;
  std::vector<rpc::Reply> wire;
  service_->execute(wire, MakeFence(1, 1), ToWire({scan, scan_theirs, scan_out_of_range, dbsize}));
  std::vector<Reply> replies = rpc::FromThrift(std::move(wire));
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[0].elements, std::vector<std::string>{KeyIn(true)});
  EXPECT_EQ(replies[1].error, Status::Code::kWrongNode);
  EXPECT_EQ(replies[2].error, Status::Code::kInvalidArgument);
  EXPECT_EQ(replies[3].integer, 1);
}

TEST_F(DataServiceTest, ExecuteWithAnOlderEpochFailsTheWholeCall) {
  Run(MakeFence(2, 1), KeyOp(OpCode::kSet, KeyIn(true), "v"));  // epoch 2 seen
  std::vector<rpc::Reply> wire;
  EXPECT_EQ(ErrorOf([&] {
              service_->execute(wire, MakeFence(1, 1), ToWire({KeyOp(OpCode::kGet, KeyIn(true))}));
            }),
            rpc::ErrorCode::STALE_EPOCH);
}

TEST_F(DataServiceTest, ExecuteOnAStaleRouteAnswersWrongNodePerOp) {
  SlotMap map(kSlots);
  for (Slot s = 0; s < kSlots; ++s) map.Assign(s, "d1");
  map.set_version(2);
  map.set_epoch(1);
  ASSERT_TRUE(coordinator_.Set(paths_.slotmap(), rpc::EncodeSlotMap(map)).ok());
  std::vector<rpc::Reply> wire;
  service_->execute(wire, MakeFence(1, 2), ToWire({KeyOp(OpCode::kGet, KeyIn(true))}));
  service_->execute(wire, MakeFence(1, 1),
                    ToWire({KeyOp(OpCode::kGet, KeyIn(true)), KeyOp(OpCode::kGet, KeyIn(false))}));
  std::vector<Reply> replies = rpc::FromThrift(std::move(wire));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].error, Status::Code::kWrongNode);
  EXPECT_EQ(replies[1].error, Status::Code::kWrongNode);
}

TEST_F(DataServiceTest, ExecuteRefusesEveryLaterOpOnASlotOnceOneWasRefusedMoving) {
  // The master routes a MOVING op again later; a later op of the batch on the same slot must not
  // run before it (a pipelined SET then GET would read the old value).
  const std::string key = KeyIn(true);
  Run(MakeFence(1, 1), KeyOp(OpCode::kSet, key, "old"));
  store_.PauseWrites(SlotOf(key, kSlots));
  std::vector<rpc::Reply> wire;
  service_->execute(wire, MakeFence(1, 1),
                    ToWire({KeyOp(OpCode::kSet, key, "new"), KeyOp(OpCode::kGet, key)}));
  std::vector<Reply> replies = rpc::FromThrift(std::move(wire));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].error, Status::Code::kMoving);
  EXPECT_EQ(replies[1].error, Status::Code::kMoving);
}

}  // namespace
}  // namespace dkv::data
