#include "client/combining_master_stub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/harness/gate.h"
#include "tests/harness/test_util.h"

namespace dkv::client {
namespace {

using std::chrono::milliseconds;

// The stub behind the combiner: records each Execute, answers GET k with "v-k", SET with OK and
// DEL with 1; a key "bad" gets a per-op KEY_TOO_LARGE. While held, every call waits for Release().
class RecordingStub : public MasterStub {
 public:
  const HostPort& address() const override { return address_; }

  Status Execute(const std::vector<Op>& ops, std::vector<Reply>* replies, milliseconds timeout,
                 std::string* master_hint) override {
    {
      MutexLock l(&mu_);
      batches_.push_back(ops);
      timeouts_.push_back(timeout);
    }
    gate_.Pass();
    {
      MutexLock l(&mu_);
      if (!fail_.ok()) {
        *master_hint = "10.0.0.9:7000";
        return fail_;
      }
    }
    replies->clear();
    for (const Op& op : ops) {
      if (op.key == "bad") {
        replies->push_back(Reply::Failed(Status::KeyTooLarge("bad key")));
      } else if (op.code == OpCode::kGet) {
        replies->push_back(Reply::Bulk("v-" + op.key));
      } else if (op.code == OpCode::kDel) {
        replies->push_back(Reply::Integer(1));
      } else {
        replies->push_back(Reply::Ok());
      }
    }
    return Status::OK();
  }

  Status UnsafePut(std::string_view, std::string_view, milliseconds) override {
    return Unexpected();
  }
  Status GetStatus(ClusterStatus*, milliseconds, std::string*) override { return Unexpected(); }
  Status Drain(std::string_view, bool, int32_t*, milliseconds, std::string*) override {
    return Unexpected();
  }
  Status Rebalance(int32_t*, milliseconds, std::string*) override { return Unexpected(); }
  Status SetReplicationFactor(int32_t, ReplicationFactorChange*, milliseconds,
                              std::string*) override {
    return Unexpected();
  }

  test::Gate& gate() { return gate_; }
  void FailWith(Status s) {
    MutexLock l(&mu_);
    fail_ = std::move(s);
  }
  std::vector<std::vector<Op>> batches() {
    MutexLock l(&mu_);
    return batches_;
  }
  std::vector<milliseconds> timeouts() {
    MutexLock l(&mu_);
    return timeouts_;
  }

 private:
  static Status Unexpected() { return Status::Internal("not expected to be called"); }

  const HostPort address_{"127.0.0.1", 7000};
  test::Gate gate_;
  Mutex mu_;
  Status fail_ GUARDED_BY(mu_);
  std::vector<std::vector<Op>> batches_ GUARDED_BY(mu_);
  std::vector<milliseconds> timeouts_ GUARDED_BY(mu_);
};

class CombiningMasterStubTest : public ::testing::Test {
 protected:
  // One batch in flight at a time, so that calls made while it is held all queue.
  void SetUp() override {
    auto inner = std::make_unique<RecordingStub>();
    inner_ = inner.get();
    stub_ = std::make_unique<CombiningMasterStub>(std::move(inner), /*max_in_flight=*/1);
  }

  // Holds the inner stub, makes one call that it blocks in, then starts `calls` more, each on its
  // own thread, and waits until they are queued behind it.
  void QueueBehindABlockedBatch(int calls, std::function<void(int)> call) {
    inner_->gate().Hold();
    threads_.emplace_back([this] { first_status_ = One(OpCode::kGet, "first"); });
    ASSERT_TRUE(inner_->gate().WaitForPassed(1));
    for (int i = 0; i < calls; ++i) threads_.emplace_back([call, i] { call(i); });
    DKV_ASSERT_OK(
        test::WaitFor([&] { return stub_->QueuedForTests() == static_cast<size_t>(calls); },
                      std::chrono::milliseconds(10000)));
  }

  // A one-op Execute of `code` on `key` (the client's Get, Set and Remove): the call's failure,
  // else its op's refusal; *reply gets the reply.
  Status One(OpCode code, const std::string& key, Reply* reply = nullptr,
             milliseconds timeout = milliseconds(5000), std::string* hint = nullptr) {
    std::vector<Reply> replies;
    std::string ignored;
    DKV_RETURN_NOT_OK(
        stub_->Execute({KeyOp(code, key)}, &replies, timeout, hint ? hint : &ignored));
    if (replies.size() != 1) return Status::Internal("not one reply");
    if (reply) *reply = replies[0];
    return replies[0].ToStatus();
  }

  void JoinAll() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  RecordingStub* inner_ = nullptr;
  std::unique_ptr<CombiningMasterStub> stub_;
  std::vector<std::thread> threads_;
  Status first_status_;
};

TEST_F(CombiningMasterStubTest, ALoneCallIsSentAtOnceAsItsOwnExecute) {
  Reply reply;
  DKV_ASSERT_OK(One(OpCode::kGet, "k", &reply));
  EXPECT_EQ(reply.str, "v-k");
  DKV_ASSERT_OK(One(OpCode::kDel, "k", &reply));
  EXPECT_EQ(reply.integer, 1);
  DKV_ASSERT_OK(One(OpCode::kSet, "k"));
  EXPECT_EQ(One(OpCode::kSet, "bad").code(), Status::Code::kKeyTooLarge);
  const auto batches = inner_->batches();
  ASSERT_EQ(batches.size(), 4u);
  for (const auto& batch : batches) EXPECT_EQ(batch.size(), 1u);
  EXPECT_EQ(batches[0].at(0).code, OpCode::kGet);
  EXPECT_EQ(batches[1].at(0).code, OpCode::kDel);
  EXPECT_EQ(batches[2].at(0).code, OpCode::kSet);
}

TEST_F(CombiningMasterStubTest, CallsMadeWhileABatchIsInFlightGoTogetherAndEachGetsItsOwnReply) {
  constexpr int kCalls = 20;
  std::vector<Reply> values(kCalls);
  std::vector<Status> statuses(kCalls);
  QueueBehindABlockedBatch(kCalls, [&](int i) {
    statuses[i] = One(OpCode::kGet, "key" + std::to_string(i), &values[i]);
  });
  inner_->gate().Release();
  JoinAll();
  DKV_EXPECT_OK(first_status_);
  for (int i = 0; i < kCalls; ++i) {
    DKV_EXPECT_OK(statuses[i]);
    EXPECT_EQ(values[i].str, "v-key" + std::to_string(i));
  }
  const auto batches = inner_->batches();
  ASSERT_EQ(batches.size(), 2u);  // the blocked one, then all the queued calls at once
  EXPECT_EQ(batches[1].size(), static_cast<size_t>(kCalls));
}

TEST_F(CombiningMasterStubTest, ABatchTakesWholeCallsUpToMaxBatchOps) {
  // Three calls of 400 ops each: two fit in one batch (800 <= kMaxBatchOps), the third does not.
  constexpr size_t kOpsPerCall = 400;
  static_assert(2 * kOpsPerCall <= kMaxBatchOps && 3 * kOpsPerCall > kMaxBatchOps);
  std::vector<std::vector<Reply>> replies(3);
  QueueBehindABlockedBatch(3, [&](int i) {
    std::vector<Op> ops(kOpsPerCall);
    for (size_t j = 0; j < kOpsPerCall; ++j) {
      ops[j].key = std::to_string(i) + "-" + std::to_string(j);
    }
    std::string hint;
    EXPECT_TRUE(stub_->Execute(ops, &replies[i], milliseconds(5000), &hint).ok());
  });
  inner_->gate().Release();
  JoinAll();
  const auto batches = inner_->batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[1].size(), 2 * kOpsPerCall);
  EXPECT_EQ(batches[2].size(), kOpsPerCall);
  // Each call got its own replies, in the order of its ops.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(replies[i].size(), kOpsPerCall);
    for (size_t j = 0; j < kOpsPerCall; ++j) {
      EXPECT_EQ(replies[i][j].str, "v-" + std::to_string(i) + "-" + std::to_string(j));
    }
  }
}

TEST_F(CombiningMasterStubTest, APerOpErrorIsOnlyThatCallsStatus) {
  Status bad_status;
  Status good_status;
  QueueBehindABlockedBatch(2, [&](int i) {
    if (i == 0) {
      bad_status = One(OpCode::kSet, "bad");
    } else {
      good_status = One(OpCode::kSet, "good");
    }
  });
  inner_->gate().Release();
  JoinAll();
  EXPECT_EQ(bad_status.code(), Status::Code::kKeyTooLarge) << bad_status.ToString();
  DKV_EXPECT_OK(good_status);
  ASSERT_EQ(inner_->batches().size(), 2u);
}

TEST_F(CombiningMasterStubTest, AFailedBatchFailsEveryMemberWithTheMastersHint) {
  inner_->FailWith(Status::NotMaster("a standby"));
  std::vector<Status> statuses(3);
  std::vector<std::string> hints(3);
  QueueBehindABlockedBatch(3, [&](int i) {
    statuses[i] =
        One(OpCode::kDel, "k" + std::to_string(i), nullptr, milliseconds(5000), &hints[i]);
  });
  inner_->gate().Release();
  JoinAll();
  EXPECT_TRUE(first_status_.IsNotMaster());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(statuses[i].IsNotMaster()) << statuses[i].ToString();
    EXPECT_EQ(hints[i], "10.0.0.9:7000");
  }
}

TEST_F(CombiningMasterStubTest, ABatchWaitsNoLongerThanItsMostImpatientMember) {
  QueueBehindABlockedBatch(2, [&](int i) {
    (void)One(OpCode::kSet, "k" + std::to_string(i), nullptr, milliseconds(i == 0 ? 3000 : 250));
  });
  inner_->gate().Release();
  JoinAll();
  const auto timeouts = inner_->timeouts();
  ASSERT_EQ(timeouts.size(), 2u);
  EXPECT_LE(timeouts[1], milliseconds(250));  // less the time it spent queued
  EXPECT_GT(timeouts[1], milliseconds(0));
}

TEST_F(CombiningMasterStubTest, TimeSpentQueuedCountsAgainstACallsTimeout) {
  QueueBehindABlockedBatch(1,
                           [&](int) { (void)One(OpCode::kSet, "k", nullptr, milliseconds(100)); });
  // The call was made before now: its whole time passes while it waits behind the held batch.
  std::this_thread::sleep_until(std::chrono::steady_clock::now() + milliseconds(150));
  inner_->gate().Release();
  JoinAll();
  const auto timeouts = inner_->timeouts();
  ASSERT_EQ(timeouts.size(), 2u);
  EXPECT_EQ(timeouts[1], milliseconds(1));  // still sent, with the least time: it fails at once
}

TEST_F(CombiningMasterStubTest, AOneOpExecuteIsCombinedAndKeepsItsPerOpError) {
  Op op;
  op.code = OpCode::kIncrBy;
  op.key = "bad";
  std::vector<Reply> replies;
  std::string hint;
  DKV_ASSERT_OK(stub_->Execute({op}, &replies, milliseconds(5000), &hint));
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_TRUE(replies[0].error.has_value());
  EXPECT_EQ(*replies[0].error, Status::Code::kKeyTooLarge);
}

TEST_F(CombiningMasterStubTest, ACallsOpsStayTogetherInTheirOrder) {
  QueueBehindABlockedBatch(2, [&](int i) {
    std::vector<Op> ops(i == 0 ? 3 : 1);
    for (size_t j = 0; j < ops.size(); ++j) {
      ops[j].key = std::to_string(i) + "-" + std::to_string(j);
    }
    std::vector<Reply> replies;
    std::string hint;
    EXPECT_TRUE(stub_->Execute(ops, &replies, milliseconds(5000), &hint).ok());
    EXPECT_EQ(replies.size(), ops.size());
  });
  inner_->gate().Release();
  JoinAll();
  const auto batches = inner_->batches();
  ASSERT_EQ(batches.size(), 2u);
  std::vector<std::string> keys;
  for (const Op& op : batches[1]) keys.push_back(op.key);
  // The two calls in either order, each one's ops contiguous and in order.
  const std::vector<std::string> first = {"0-0", "0-1", "0-2", "1-0"};
  const std::vector<std::string> second = {"1-0", "0-0", "0-1", "0-2"};
  EXPECT_TRUE(keys == first || keys == second) << ::testing::PrintToString(keys);
}

}  // namespace
}  // namespace dkv::client
