#include "server/router.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "common/slot.h"

namespace dkv::server {
namespace {

// An in-process data node: a map, and the fences it was called with.
class FakeChannel : public DataChannel {
 public:
  explicit FakeChannel(HostPort address) : address_(std::move(address)) {}
  const HostPort& address() const override { return address_; }
  // Executes GET, SET, DEL, MSETNX, DBSIZE and SCAN (all keys) on `data`; refuses the ops on keys
  // in `moving` with MOVING once each, and the first `refusals` SETs with `refusal`.
  std::unique_ptr<PendingExecute> StartExecute(const Fence& f,
                                               const std::vector<Op>& ops) override {
    last_fence = f;
    ++execute_calls;
    std::vector<Reply> replies;
    for (const Op& op : ops) replies.push_back(ExecuteOne(op));
    return std::make_unique<Answered>(std::move(replies));
  }
  void UnsafePut(const Fence& f, const std::string& key, const std::string& value) override {
    last_fence = f;
    (void)ExecuteOne(KeyOp(OpCode::kSet, key, value));
  }
  Result<DataNodeStats> Stats(std::chrono::milliseconds) override {
    return DataNodeStats{0, static_cast<int64_t>(data.size())};
  }
  // Slot moves are the MigrationDriver's business, not the router's.
  Status MigrateSlots(const Fence&, int64_t, const std::vector<Slot>&, const std::string&,
                      const std::string&) override {
    return Status::Internal("not used by the router");
  }
  Result<MigrationProgress> MigrationStatus(const Fence&, int64_t) override {
    return Status::Internal("not used by the router");
  }
  Result<MigrationProgress> FinishMigration(const Fence&, int64_t) override {
    return Status::Internal("not used by the router");
  }
  Status AbortMigration(const Fence&, int64_t) override {
    return Status::Internal("not used by the router");
  }
  Status Leave() override { return Status::Internal("not used by the router"); }

  struct Answered : PendingExecute {
    explicit Answered(std::vector<Reply> r) : replies(std::move(r)) {}
    Result<std::vector<Reply>> Wait() override { return std::move(replies); }
    std::vector<Reply> replies;
  };

  Reply ExecuteOne(const Op& op) {
    if (moving.erase(op.key) > 0) {
      if (on_refusal) on_refusal();
      return Reply::Failed(Status::Moving("slot is moving"));
    }
    switch (op.code) {
      case OpCode::kGet: {
        auto it = data.find(op.key);
        return it == data.end() ? Reply::Nil() : Reply::Bulk(it->second);
      }
      case OpCode::kSet:
        if (refusals > 0) {
          --refusals;
          if (on_refusal) on_refusal();
          return Reply::Failed(refusal);
        }
        data[op.key] = op.value;
        return Reply::Ok();
      case OpCode::kDel:
        return Reply::Integer(data.erase(op.key) > 0 ? 1 : 0);
      case OpCode::kMSetNx:
        for (size_t i = 0; i < op.args.size(); i += 2) {
          if (data.count(op.args[i])) return Reply::Integer(0);
        }
        for (size_t i = 0; i < op.args.size(); i += 2) data[op.args[i]] = op.args[i + 1];
        return Reply::Integer(1);
      case OpCode::kDbSize:
        return Reply::Integer(static_cast<int64_t>(data.size()));
      case OpCode::kScan: {
        std::vector<std::string> keys;
        for (const auto& [k, v] : data) keys.push_back(k);
        return Reply::Array(keys);
      }
      default:
        return Reply::Error("ERR unsupported by the fake");
    }
  }

  HostPort address_;
  std::map<std::string, std::string> data;
  std::set<std::string> moving;
  int execute_calls = 0;
  Fence last_fence;
  int refusals = 0;  // SETs refused with `refusal` before one succeeds
  Status refusal = Status::WrongNode("slot not owned under a newer map");
  std::function<void()> on_refusal;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : router_(
            Limits{8, 16},
            [this](const HostPort& a) {
              auto channel = std::make_shared<FakeChannel>(a);
              channels_[a.ToString()] = channel;
              ++channels_made_;
              return channel;
            },
            std::chrono::milliseconds(50)) {}

  std::vector<MemberInfo> Members(int n) {
    std::vector<MemberInfo> members;
    for (int i = 0; i < n; ++i) {
      members.push_back({"d" + std::to_string(i), "h:" + std::to_string(7500 + i), 1, "h"});
    }
    return members;
  }

  Router router_;
  std::map<std::string, std::shared_ptr<FakeChannel>> channels_;
  int channels_made_ = 0;
};

TEST_F(RouterTest, RoutesEachKeyToTheOwnerOfItsSlotWithTheFence) {
  SlotMap map(16);
  map.Rebalance({"d0", "d1"});
  map.set_version(4);
  router_.Install(7, map, Members(2));
  ASSERT_TRUE(router_.Set("k1", "v1").ok());
  const std::string owner = map.Owner(SlotOf("k1", 16));
  auto& channel = channels_[owner == "d0" ? "h:7500" : "h:7501"];
  EXPECT_EQ(channel->data["k1"], "v1");
  EXPECT_EQ(channel->last_fence.epoch, 7);
  EXPECT_EQ(channel->last_fence.map_version, 4);
  EXPECT_EQ(router_.Get("k1")->value(), "v1");
  EXPECT_TRUE(*router_.Remove("k1"));
  EXPECT_FALSE(router_.Get("k1")->has_value());
}

TEST_F(RouterTest, OversizedKeyOrValueIsRefusedBeforeAnythingIsSent) {
  SlotMap map(16);
  map.Rebalance({"d0"});
  router_.Install(1, map, Members(1));
  EXPECT_EQ(router_.Set("123456789", "v").code(), Status::Code::kKeyTooLarge);
  EXPECT_EQ(router_.Set("k", std::string(17, 'v')).code(), Status::Code::kValueTooLarge);
  router_.UnsafeSet("k", std::string(17, 'v'));
  EXPECT_TRUE(channels_["h:7500"]->data.empty());
}

TEST_F(RouterTest, NoDataNodesWhenTheSlotHasNoLiveOwner) {
  SlotMap map(16);
  router_.Install(1, map, {});
  EXPECT_EQ(router_.Set("k", "v").code(), Status::Code::kNoDataNodes);
  EXPECT_EQ(router_.Get("k").status().code(), Status::Code::kNoDataNodes);
}

TEST_F(RouterTest, UnavailableWhenNotRouting) {
  EXPECT_TRUE(router_.Set("k", "v").IsUnavailable());
  SlotMap map(16);
  map.Rebalance({"d0"});
  router_.Install(1, map, Members(1));
  router_.Clear();
  EXPECT_TRUE(router_.Get("k").status().IsUnavailable());
}

TEST_F(RouterTest, WrongNodeDuringAMapFlipIsRoutedAgainByTheNewerMap) {
  SlotMap map(1);
  map.Assign(0, "d0");
  map.set_version(1);
  router_.Install(1, map, Members(2));
  auto& old_owner = channels_["h:7500"];
  old_owner->refusals = 1;
  old_owner->on_refusal = [&] {
    // The data node knows version 2 already; the master installs it while the call is refused.
    SlotMap next(1);
    next.Assign(0, "d1");
    next.set_version(2);
    router_.Install(1, next, Members(2));
  };
  ASSERT_TRUE(router_.Set("k", "v").ok());
  EXPECT_EQ(channels_["h:7501"]->data["k"], "v");
  EXPECT_EQ(channels_["h:7501"]->last_fence.map_version, 2);
}

TEST_F(RouterTest, WrongNodeWithNoNewerMapBecomesUnavailable) {
  SlotMap map(1);
  map.Assign(0, "d0");
  router_.Install(1, map, Members(1));
  channels_["h:7500"]->refusals = 1000;
  Status s = router_.Set("k", "v");
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
}

TEST_F(RouterTest, MovingSlotIsRoutedToItsNewOwnerOnceTheMapFlips) {
  SlotMap map(1);
  map.Assign(0, "d0");
  map.set_version(1);
  router_.Install(1, map, Members(2));
  auto& source = channels_["h:7500"];
  source->refusals = 1;
  source->refusal = Status::Moving("slot 0 is moving");
  source->on_refusal = [&] {
    SlotMap next(1);
    next.Assign(0, "d1");
    next.set_version(2);
    router_.Install(1, next, Members(2));
  };
  ASSERT_TRUE(router_.Set("k", "v").ok());
  EXPECT_EQ(channels_["h:7501"]->data["k"], "v");
}

TEST_F(RouterTest, MovingSlotIsRetriedOnItsOwnerWhenTheMoveIsAborted) {
  // A wait long enough for a loaded machine: the retries come every 20 ms, not at its end.
  Router router(
      Limits{8, 16},
      [this](const HostPort& a) {
        auto channel = std::make_shared<FakeChannel>(a);
        channels_[a.ToString()] = channel;
        return channel;
      },
      std::chrono::milliseconds(10000));
  SlotMap map(1);
  map.Assign(0, "d0");
  router.Install(1, map, Members(1));
  auto& source = channels_["h:7500"];
  source->refusals = 2;  // the move ends without a new map: the source takes writes again
  source->refusal = Status::Moving("slot 0 is moving");
  ASSERT_TRUE(router.Set("k", "v").ok());
  EXPECT_EQ(source->data["k"], "v");
}

TEST_F(RouterTest, SlotMovingPastTheWaitBecomesUnavailable) {
  SlotMap map(1);
  map.Assign(0, "d0");
  router_.Install(1, map, Members(1));
  channels_["h:7500"]->refusals = 1000;
  channels_["h:7500"]->refusal = Status::Moving("slot 0 is moving");
  Status s = router_.Set("k", "v");
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
}

TEST_F(RouterTest, ChannelsSurviveANewMapWhenAddressesStay) {
  SlotMap map(16);
  map.Rebalance({"d0", "d1"});
  router_.Install(1, map, Members(2));
  EXPECT_EQ(channels_made_, 2);
  map.Rebalance({"d0", "d1", "d2"});
  router_.Install(1, map, Members(3));
  EXPECT_EQ(channels_made_, 3);  // only d2's is new
  Router::Summary summary = router_.Summarize();
  ASSERT_EQ(summary.data_nodes.size(), 3u);
  EXPECT_EQ(summary.data_nodes[0].slots + summary.data_nodes[1].slots + summary.data_nodes[2].slots,
            16);
}

Op SetOp(const std::string& key, const std::string& value) {
  Op op;
  op.code = OpCode::kSet;
  op.key = key;
  op.value = value;
  return op;
}

Op GetOp(const std::string& key) {
  Op op;
  op.code = OpCode::kGet;
  op.key = key;
  return op;
}

Op CodeOp(OpCode code) {
  Op op;
  op.code = code;
  return op;
}

TEST_F(RouterTest, ExecuteSendsOneCallPerDataNodeAndAnswersInOrder) {
  SlotMap map(16);
  map.Rebalance({"d0", "d1"});
  router_.Install(3, map, Members(2));
  std::vector<Op> ops;
  for (int i = 0; i < 20; ++i)
    ops.push_back(SetOp("k" + std::to_string(i), "v" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) ops.push_back(GetOp("k" + std::to_string(i)));
  std::vector<Reply> replies = router_.Execute(std::move(ops));
  ASSERT_EQ(replies.size(), 40u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(replies[i].type, Reply::Type::kStatus);
    EXPECT_EQ(replies[20 + i].str, "v" + std::to_string(i));
  }
  EXPECT_EQ(channels_["h:7500"]->execute_calls, 1);
  EXPECT_EQ(channels_["h:7501"]->execute_calls, 1);
  EXPECT_FALSE(channels_["h:7500"]->data.empty());
  EXPECT_FALSE(channels_["h:7501"]->data.empty());
  EXPECT_EQ(channels_["h:7500"]->last_fence.epoch, 3);
}

TEST_F(RouterTest, ExecuteMergesOpsForEveryNode) {
  SlotMap map(16);
  map.Rebalance({"d0", "d1"});
  router_.Install(1, map, Members(2));
  std::vector<Op> ops;
  for (int i = 0; i < 10; ++i) ops.push_back(SetOp("k" + std::to_string(i), "v"));
  ops.push_back(CodeOp(OpCode::kDbSize));
  std::vector<Reply> replies = router_.Execute(std::move(ops));
  EXPECT_EQ(replies.back().integer, 10);
}

TEST_F(RouterTest, ExecuteSplitsAnMsetnxAcrossNodesAndAnswersOneOnlyIfEveryPartDid) {
  SlotMap map(16);
  map.Rebalance({"d0", "d1"});
  router_.Install(1, map, Members(2));
  Op msetnx = CodeOp(OpCode::kMSetNx);
  for (int i = 0; i < 8; ++i) {
    msetnx.args.push_back("k" + std::to_string(i));
    msetnx.args.push_back("v");
  }
  msetnx.key = msetnx.args[0];
  EXPECT_EQ(router_.Execute({msetnx})[0].integer, 1);
  EXPECT_EQ(channels_["h:7500"]->data.size() + channels_["h:7501"]->data.size(), 8u);
  EXPECT_EQ(router_.Execute({msetnx})[0].integer, 0);
}

TEST_F(RouterTest, ExecuteRefusesOversizedKeysAndBadDbsPerOpBeforeSending) {
  SlotMap map(16);
  map.Rebalance({"d0"});
  router_.Install(1, map, Members(1));
  Op bad_db = SetOp("k", "v");
  bad_db.db = 16;
  std::vector<Reply> replies = router_.Execute(
      {SetOp("123456789", "v"), SetOp("k", std::string(17, 'v')), bad_db, SetOp("k", "v")});
  EXPECT_EQ(replies[0].error, Status::Code::kKeyTooLarge);
  EXPECT_EQ(replies[1].error, Status::Code::kValueTooLarge);
  EXPECT_EQ(replies[2].error, Status::Code::kInvalidArgument);
  EXPECT_FALSE(replies[3].error);
  EXPECT_EQ(channels_["h:7500"]->data.size(), 1u);
}

TEST_F(RouterTest, ExecuteSendsASetRangeOfNothingAtAHugeOffset) {
  // Redis answers the current length: an empty SETRANGE writes nothing, so no size limit applies.
  SlotMap map(16);
  map.Rebalance({"d0"});
  router_.Install(1, map, Members(1));
  Op setrange = CodeOp(OpCode::kSetRange);
  setrange.key = "k";
  setrange.arg1 = INT64_MAX;
  std::vector<Reply> replies = router_.Execute({setrange});
  EXPECT_FALSE(replies[0].error);
  EXPECT_EQ(channels_["h:7500"]->execute_calls, 1);
}

TEST_F(RouterTest, ExecuteRoutesAScanBySlotAndRefusesASlotOutOfRange) {
  SlotMap map(16);
  map.Rebalance({"d0"});
  router_.Install(1, map, Members(1));
  router_.Execute({SetOp("k", "v")});
  Op scan = CodeOp(OpCode::kScan);
  scan.arg1 = 3;
  Op out_of_range = scan;
  out_of_range.arg1 = 16;
  std::vector<Reply> replies = router_.Execute({scan, out_of_range});
  EXPECT_EQ(replies[0].elements, std::vector<std::string>{"k"});
  EXPECT_EQ(replies[1].error, Status::Code::kInvalidArgument);
}

TEST_F(RouterTest, ExecuteRoutesAMovedOpAgainByTheNewerMap) {
  SlotMap map(1);
  map.Assign(0, "d0");
  map.set_version(1);
  router_.Install(1, map, Members(2));
  channels_["h:7500"]->moving.insert("k");
  channels_["h:7500"]->on_refusal = [&] {
    SlotMap next(1);
    next.Assign(0, "d1");
    next.set_version(2);
    router_.Install(1, next, Members(2));
  };
  std::vector<Reply> replies = router_.Execute({SetOp("k", "v")});
  EXPECT_FALSE(replies[0].error) << replies[0].str;
  EXPECT_EQ(channels_["h:7501"]->data["k"], "v");
}

TEST_F(RouterTest, ExecuteAnswersUnavailableWhenNotRouting) {
  std::vector<Reply> replies = router_.Execute({GetOp("k"), CodeOp(OpCode::kDbSize)});
  EXPECT_EQ(replies[0].error, Status::Code::kUnavailable);
  EXPECT_EQ(replies[1].error, Status::Code::kUnavailable);
}

}  // namespace
}  // namespace dkv::server
