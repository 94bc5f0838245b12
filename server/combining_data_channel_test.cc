#include "server/combining_data_channel.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/harness/gate.h"
#include "tests/harness/test_util.h"

namespace dkv::server {
namespace {

// The channel behind the combiner: a map of keys; "moving" is refused MOVING per op. Records every
// request; while held, Wait blocks until released; FailExecutes makes Wait fail.
class RecordingChannel : public DataChannel {
 public:
  struct Executed {
    Fence fence;
    std::vector<Op> ops;
  };

  const HostPort& address() const override { return address_; }

  std::unique_ptr<PendingExecute> StartExecute(const Fence& fence,
                                               const std::vector<Op>& ops) override {
    MutexLock l(&mu_);
    executed_.push_back({fence, ops});
    return std::make_unique<Pending>(this, ops);
  }

  void UnsafePut(const Fence&, const std::string&, const std::string&) override {}
  Result<DataNodeStats> Stats(std::chrono::milliseconds) override { return DataNodeStats{}; }
  Status MigrateSlots(const Fence&, int64_t, const std::vector<Slot>&, const std::string&,
                      const std::string&) override {
    return Status::OK();
  }
  Result<MigrationProgress> MigrationStatus(const Fence&, int64_t) override {
    return MigrationProgress{};
  }
  Result<MigrationProgress> FinishMigration(const Fence&, int64_t) override {
    return MigrationProgress{};
  }
  Status AbortMigration(const Fence&, int64_t) override { return Status::OK(); }
  Status Leave() override { return Status::OK(); }

  test::Gate& gate() { return gate_; }
  void FailExecutes(Status s) {
    MutexLock l(&mu_);
    fail_ = std::move(s);
  }
  std::vector<Executed> executed() {
    MutexLock l(&mu_);
    return executed_;
  }

 private:
  class Pending : public PendingExecute {
   public:
    Pending(RecordingChannel* channel, std::vector<Op> ops)
        : channel_(channel), ops_(std::move(ops)) {}
    Result<std::vector<Reply>> Wait() override {
      channel_->gate_.Pass();
      return channel_->Answer(ops_);
    }

   private:
    RecordingChannel* const channel_;
    const std::vector<Op> ops_;
  };

  Result<std::vector<Reply>> Answer(const std::vector<Op>& ops) {
    MutexLock l(&mu_);
    DKV_RETURN_NOT_OK(fail_);
    std::vector<Reply> replies;
    for (const Op& op : ops) {
      if (op.key == "moving") {
        replies.push_back(Reply::Failed(Status::Moving("slot is being moved")));
        continue;
      }
      switch (op.code) {
        case OpCode::kGet: {
          auto it = data_.find(op.key);
          replies.push_back(it == data_.end() ? Reply::Nil() : Reply::Bulk(it->second));
          break;
        }
        case OpCode::kSet:
          data_[op.key] = op.value;
          replies.push_back(Reply::Ok());
          break;
        default:
          replies.push_back(Reply::Integer(data_.erase(op.key) > 0 ? 1 : 0));
      }
    }
    return replies;
  }

  const HostPort address_{"127.0.0.1", 7100};
  test::Gate gate_;
  Mutex mu_;
  Status fail_ GUARDED_BY(mu_);
  std::map<std::string, std::string> data_ GUARDED_BY(mu_);
  std::vector<Executed> executed_ GUARDED_BY(mu_);
};

class CombiningDataChannelTest : public ::testing::Test {
 protected:
  // One batch in flight at a time, so that calls made while it is held all queue.
  void SetUp() override {
    inner_ = std::make_shared<RecordingChannel>();
    channel_ = std::make_unique<CombiningDataChannel>(inner_, /*max_in_flight=*/1);
  }

  // A GET of "first" that the inner channel holds, then `calls` more on threads of their own,
  // queued behind it.
  void QueueBehindAHeldGet(int calls, std::function<void(int)> call) {
    inner_->gate().Hold();
    threads_.emplace_back(
        [this] { (void)channel_->Execute(fence_, {KeyOp(OpCode::kGet, "first")}); });
    ASSERT_TRUE(inner_->gate().WaitForPassed(1));
    for (int i = 0; i < calls; ++i) threads_.emplace_back([call, i] { call(i); });
    DKV_ASSERT_OK(
        test::WaitFor([&] { return channel_->QueuedForTests() == static_cast<size_t>(calls); },
                      std::chrono::milliseconds(10000)));
    inner_->gate().Release();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  // The replies of a one-op Execute, which must succeed as a request.
  Reply RunOne(const Fence& fence, Op op) {
    Result<std::vector<Reply>> replies = channel_->Execute(fence, {std::move(op)});
    EXPECT_TRUE(replies.ok()) << replies.status().ToString();
    if (!replies.ok() || replies->size() != 1) return Reply::Failed(Status::Internal("no reply"));
    return std::move(replies->front());
  }

  const Fence fence_{3, 7};
  std::shared_ptr<RecordingChannel> inner_;
  std::unique_ptr<CombiningDataChannel> channel_;
  std::vector<std::thread> threads_;
};

TEST_F(CombiningDataChannelTest, ALoneCallGoesAsItsOwnRpc) {
  EXPECT_EQ(RunOne(fence_, KeyOp(OpCode::kSet, "k", "v")).str, "OK");
  EXPECT_EQ(RunOne(fence_, KeyOp(OpCode::kGet, "k")).str, "v");
  const auto executed = inner_->executed();
  ASSERT_EQ(executed.size(), 2u);
  EXPECT_EQ(executed[1].ops.size(), 1u);
  EXPECT_EQ(executed[1].fence, fence_);
}

TEST_F(CombiningDataChannelTest, CallsMadeWhileOneIsInFlightGoAsOneExecuteAndKeepTheirReplies) {
  RunOne(fence_, KeyOp(OpCode::kSet, "b", "vb"));
  RunOne(fence_, KeyOp(OpCode::kSet, "c", "vc"));
  RunOne(fence_, KeyOp(OpCode::kSet, "d", "vd"));
  // The calls queue in no particular order: each works on keys of its own.
  std::vector<Result<std::vector<Reply>>> results(4, Status::Internal("not run"));
  QueueBehindAHeldGet(4, [&](int i) {
    switch (i) {
      case 0:
        results[0] = channel_->Execute(fence_, {KeyOp(OpCode::kSet, "a", "va")});
        break;
      case 1:  // a call of two ops keeps them together, in order
        results[1] =
            channel_->Execute(fence_, {KeyOp(OpCode::kGet, "b"), KeyOp(OpCode::kGet, "c")});
        break;
      case 2:
        results[2] = channel_->Execute(fence_, {KeyOp(OpCode::kDel, "d")});
        break;
      default:
        results[3] = channel_->Execute(fence_, {KeyOp(OpCode::kGet, "moving")});
    }
  });
  for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*results[0])[0].str, "OK");
  ASSERT_EQ(results[1]->size(), 2u);
  EXPECT_EQ((*results[1])[0].str, "vb");
  EXPECT_EQ((*results[1])[1].str, "vc");
  ASSERT_EQ(results[2]->size(), 1u);
  EXPECT_EQ((*results[2])[0].integer, 1);
  EXPECT_EQ((*results[3])[0].error, Status::Code::kMoving);
  const auto executed = inner_->executed();
  ASSERT_EQ(executed.size(), 5u);  // the three SETs, the held GET, and the batch
  EXPECT_EQ(executed[4].ops.size(), 5u);
  EXPECT_EQ(executed[4].fence, fence_);
  EXPECT_EQ(RunOne(fence_, KeyOp(OpCode::kGet, "a")).str, "va");
}

TEST_F(CombiningDataChannelTest, CallsOfDifferentFencesGoInDifferentBatches) {
  // Queued in this order: k0 and k1 under the map version 7, k2 under 8.
  const Fence newer{3, 8};
  inner_->gate().Hold();
  threads_.emplace_back(
      [this] { (void)channel_->Execute(fence_, {KeyOp(OpCode::kGet, "first")}); });
  ASSERT_TRUE(inner_->gate().WaitForPassed(1));
  for (int i = 0; i < 3; ++i) {
    threads_.emplace_back([&, i] {
      const auto replies = channel_->Execute(i == 2 ? newer : fence_,
                                             {KeyOp(OpCode::kSet, "k" + std::to_string(i), "v")});
      DKV_EXPECT_OK(replies.status());
    });
    DKV_ASSERT_OK(
        test::WaitFor([&] { return channel_->QueuedForTests() == static_cast<size_t>(i + 1); },
                      std::chrono::milliseconds(10000)));
  }
  inner_->gate().Release();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // The held GET; k0 and k1 together; k2 alone.
  const auto executed = inner_->executed();
  ASSERT_EQ(executed.size(), 3u);
  EXPECT_EQ(executed[1].fence, fence_);
  ASSERT_EQ(executed[1].ops.size(), 2u);
  EXPECT_EQ(executed[1].ops[0].key, "k0");
  EXPECT_EQ(executed[1].ops[1].key, "k1");
  EXPECT_EQ(executed[2].fence, newer);
  ASSERT_EQ(executed[2].ops.size(), 1u);
  EXPECT_EQ(executed[2].ops[0].key, "k2");
}

TEST_F(CombiningDataChannelTest, AFailedExecuteFailsEveryMember) {
  inner_->FailExecutes(Status::StaleEpoch("a newer master"));
  std::vector<Status> statuses(3);
  QueueBehindAHeldGet(3, [&](int i) {
    statuses[i] =
        channel_->Execute(fence_, {KeyOp(OpCode::kSet, "k" + std::to_string(i), "v")}).status();
  });
  for (const Status& s : statuses) EXPECT_TRUE(s.IsStaleEpoch()) << s.ToString();
}

}  // namespace
}  // namespace dkv::server
