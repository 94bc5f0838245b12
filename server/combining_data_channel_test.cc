#include "server/combining_data_channel.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/harness/gate.h"
#include "tests/harness/test_util.h"

namespace dkv::server {
namespace {

// The channel behind the combiner: a map of keys; "moving" is refused MOVING per op. Records every
// RPC; while held, Get and Wait block until released; FailExecutes makes Wait fail.
class RecordingChannel : public DataChannel {
 public:
  struct Executed {
    Fence fence;
    std::vector<Op> ops;
  };

  const HostPort& address() const override { return address_; }

  Result<std::optional<std::string>> Get(const Fence&, const std::string& key) override {
    {
      MutexLock l(&mu_);
      gets_.push_back(key);
    }
    gate_.Pass();
    MutexLock l(&mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Put(const Fence&, const std::string& key, const std::string& value) override {
    MutexLock l(&mu_);
    data_[key] = value;
    return Status::OK();
  }
  Result<bool> Remove(const Fence&, const std::string& key) override {
    MutexLock l(&mu_);
    return data_.erase(key) > 0;
  }

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
  std::vector<std::string> gets() {
    MutexLock l(&mu_);
    return gets_;
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
    Result<std::vector<Reply>> Wait() override { return channel_->Answer(ops_); }

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
  std::vector<std::string> gets_ GUARDED_BY(mu_);
  std::vector<Executed> executed_ GUARDED_BY(mu_);
};

class CombiningDataChannelTest : public ::testing::Test {
 protected:
  // One batch in flight at a time, so that calls made while it is held all queue.
  void SetUp() override {
    inner_ = std::make_shared<RecordingChannel>();
    channel_ = std::make_unique<CombiningDataChannel>(inner_, /*max_in_flight=*/1);
  }

  // A Get("first") that the inner channel holds, then `calls` more on threads of their own,
  // queued behind it.
  void QueueBehindAHeldGet(int calls, std::function<void(int)> call) {
    inner_->gate().Hold();
    threads_.emplace_back([this] { (void)channel_->Get(fence_, "first"); });
    ASSERT_TRUE(inner_->gate().WaitForPassed(1));
    for (int i = 0; i < calls; ++i) threads_.emplace_back([call, i] { call(i); });
    DKV_ASSERT_OK(
        test::WaitFor([&] { return channel_->QueuedForTests() == static_cast<size_t>(calls); },
                      std::chrono::milliseconds(10000)));
    inner_->gate().Release();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  const Fence fence_{3, 7};
  std::shared_ptr<RecordingChannel> inner_;
  std::unique_ptr<CombiningDataChannel> channel_;
  std::vector<std::thread> threads_;
};

TEST_F(CombiningDataChannelTest, ALoneCallGoesAsItsOwnRpc) {
  DKV_ASSERT_OK(channel_->Put(fence_, "k", "v"));
  auto value = channel_->Get(fence_, "k");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "v");
  auto existed = channel_->Remove(fence_, "k");
  ASSERT_TRUE(existed.ok());
  EXPECT_TRUE(*existed);
  EXPECT_EQ(inner_->gets(), std::vector<std::string>{"k"});
  EXPECT_TRUE(inner_->executed().empty());
}

TEST_F(CombiningDataChannelTest, CallsMadeWhileOneIsInFlightGoAsOneExecuteAndKeepTheirOutcomes) {
  DKV_ASSERT_OK(channel_->Put(fence_, "b", "vb"));
  DKV_ASSERT_OK(channel_->Put(fence_, "c", "vc"));
  Status put_a;
  Result<std::optional<std::string>> get_b = Status::Internal("not run");
  Result<bool> remove_c = Status::Internal("not run");
  Result<std::optional<std::string>> get_moving = Status::Internal("not run");
  QueueBehindAHeldGet(4, [&](int i) {
    switch (i) {
      case 0:
        put_a = channel_->Put(fence_, "a", "va");
        break;
      case 1:
        get_b = channel_->Get(fence_, "b");
        break;
      case 2:
        remove_c = channel_->Remove(fence_, "c");
        break;
      default:
        get_moving = channel_->Get(fence_, "moving");
    }
  });
  DKV_EXPECT_OK(put_a);
  ASSERT_TRUE(get_b.ok());
  EXPECT_EQ(*get_b, "vb");
  ASSERT_TRUE(remove_c.ok());
  EXPECT_TRUE(*remove_c);
  EXPECT_TRUE(get_moving.status().IsMoving()) << get_moving.status().ToString();
  const auto executed = inner_->executed();
  ASSERT_EQ(executed.size(), 1u);
  EXPECT_EQ(executed[0].ops.size(), 4u);
  EXPECT_EQ(executed[0].fence.epoch, 3);
  EXPECT_EQ(executed[0].fence.map_version, 7);
  auto a = channel_->Get(fence_, "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "va");
}

TEST_F(CombiningDataChannelTest, CallsOfDifferentFencesGoInDifferentBatches) {
  // Queued in this order: k0 and k1 under the map version 7, k2 under 8.
  const Fence newer{3, 8};
  inner_->gate().Hold();
  threads_.emplace_back([this] { (void)channel_->Get(fence_, "first"); });
  ASSERT_TRUE(inner_->gate().WaitForPassed(1));
  for (int i = 0; i < 3; ++i) {
    threads_.emplace_back([&, i] {
      DKV_EXPECT_OK(channel_->Put(i == 2 ? newer : fence_, "k" + std::to_string(i), "v"));
    });
    DKV_ASSERT_OK(
        test::WaitFor([&] { return channel_->QueuedForTests() == static_cast<size_t>(i + 1); },
                      std::chrono::milliseconds(10000)));
  }
  inner_->gate().Release();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // k0 and k1 went together; k2, alone, as a put RPC of its own.
  const auto executed = inner_->executed();
  ASSERT_EQ(executed.size(), 1u);
  EXPECT_EQ(executed[0].fence.map_version, 7);
  ASSERT_EQ(executed[0].ops.size(), 2u);
  EXPECT_EQ(executed[0].ops[0].key, "k0");
  EXPECT_EQ(executed[0].ops[1].key, "k1");
  auto k2 = channel_->Get(newer, "k2");
  ASSERT_TRUE(k2.ok());
  EXPECT_EQ(*k2, "v");
}

TEST_F(CombiningDataChannelTest, AFailedExecuteFailsEveryMember) {
  inner_->FailExecutes(Status::StaleEpoch("a newer master"));
  std::vector<Status> statuses(3);
  QueueBehindAHeldGet(
      3, [&](int i) { statuses[i] = channel_->Put(fence_, "k" + std::to_string(i), "v"); });
  for (const Status& s : statuses) EXPECT_TRUE(s.IsStaleEpoch()) << s.ToString();
}

}  // namespace
}  // namespace dkv::server
