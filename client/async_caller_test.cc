#include "client/async_caller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "tests/harness/gate.h"

namespace dkv::client {
namespace {

using std::chrono::milliseconds;

Op GetOp(std::string key) {
  Op op;
  op.code = OpCode::kGet;
  op.key = std::move(key);
  return op;
}

// The send behind the AsyncCaller: records each request's keys and timeout, answers every op
// with BULK "v-<key>" (or fails the whole request with failure()); while held, waits in the gate.
class RecordingSend {
 public:
  AsyncCaller::SendFn fn() {
    return [this](const std::vector<Op>& ops, milliseconds timeout, std::vector<Reply>* replies) {
      gate_.Pass();
      MutexLock l(&mu_);
      std::vector<std::string> keys;
      for (const Op& op : ops) keys.push_back(op.key);
      requests_.push_back(std::move(keys));
      timeouts_.push_back(timeout);
      if (!failure_.ok()) return failure_;
      replies->clear();
      for (const Op& op : ops) replies->push_back(Reply::Bulk("v-" + op.key));
      return Status::OK();
    };
  }

  test::Gate& gate() { return gate_; }
  void FailWith(Status s) {
    MutexLock l(&mu_);
    failure_ = std::move(s);
  }
  std::vector<std::vector<std::string>> requests() {
    MutexLock l(&mu_);
    return requests_;
  }
  std::vector<milliseconds> timeouts() {
    MutexLock l(&mu_);
    return timeouts_;
  }

 private:
  test::Gate gate_;
  Mutex mu_;
  Status failure_ GUARDED_BY(mu_);
  std::vector<std::vector<std::string>> requests_ GUARDED_BY(mu_);
  std::vector<milliseconds> timeouts_ GUARDED_BY(mu_);
};

// What one call's `done` received, and in which order calls finished.
struct Outcomes {
  Mutex mu;
  std::vector<std::string> order GUARDED_BY(mu);  // the first key of each call, as it finished
  std::vector<Status> statuses GUARDED_BY(mu);
  std::vector<std::vector<std::string>> replies GUARDED_BY(mu);  // each call's reply strings
  std::vector<std::thread::id> threads GUARDED_BY(mu);

  AsyncCaller::DoneFn Record() {
    return [this](Status s, const std::vector<Op>& ops, std::vector<Reply> rs) {
      MutexLock l(&mu);
      order.push_back(ops.empty() ? "" : ops.front().key);
      statuses.push_back(std::move(s));
      std::vector<std::string> strs;
      for (const Reply& r : rs) strs.push_back(r.str);
      replies.push_back(std::move(strs));
      threads.push_back(std::this_thread::get_id());
    };
  }
};

TEST(AsyncCallerTest, CallsQueuedWhileARequestIsOutGoTogetherInTheNextOneInOrder) {
  RecordingSend send;
  Outcomes outcomes;
  {
    AsyncCaller caller(send.fn());
    send.gate().Hold();
    caller.Submit({GetOp("a")}, milliseconds(5000), outcomes.Record());
    ASSERT_TRUE(send.gate().WaitForPassed(1));
    caller.Submit({GetOp("b"), GetOp("c")}, milliseconds(5000), outcomes.Record());
    caller.Submit({GetOp("d")}, milliseconds(5000), outcomes.Record());
    send.gate().Release();
  }  // the destructor lets every queued call finish
  EXPECT_EQ(send.requests(), (std::vector<std::vector<std::string>>{{"a"}, {"b", "c", "d"}}));
  MutexLock l(&outcomes.mu);
  EXPECT_EQ(outcomes.order, (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(outcomes.replies,
            (std::vector<std::vector<std::string>>{{"v-a"}, {"v-b", "v-c"}, {"v-d"}}));
  for (const Status& s : outcomes.statuses) EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(AsyncCallerTest, AFailedRequestIsTheOutcomeOfEachOfItsCalls) {
  RecordingSend send;
  send.FailWith(Status::Unavailable("no master"));
  Outcomes outcomes;
  {
    AsyncCaller caller(send.fn());
    send.gate().Hold();
    caller.Submit({GetOp("a")}, milliseconds(5000), outcomes.Record());
    ASSERT_TRUE(send.gate().WaitForPassed(1));
    caller.Submit({GetOp("b")}, milliseconds(5000), outcomes.Record());
    caller.Submit({GetOp("c")}, milliseconds(5000), outcomes.Record());
    send.gate().Release();
  }
  MutexLock l(&outcomes.mu);
  ASSERT_EQ(outcomes.statuses.size(), 3u);
  for (const Status& s : outcomes.statuses) EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  for (const auto& r : outcomes.replies) EXPECT_TRUE(r.empty());
  EXPECT_EQ(outcomes.order, (std::vector<std::string>{"a", "b", "c"}))
      << "each call gets its own ops back, failed or not";
}

TEST(AsyncCallerTest, AFailedCallIsAnsweredInItsTurnWithoutBeingSent) {
  RecordingSend send;
  Outcomes outcomes;
  {
    AsyncCaller caller(send.fn());
    send.gate().Hold();
    caller.Submit({GetOp("a")}, milliseconds(5000), outcomes.Record());
    ASSERT_TRUE(send.gate().WaitForPassed(1));
    caller.Fail(Status::KeyTooLarge("key of 70000 bytes"), outcomes.Record());
    caller.Submit({GetOp("b")}, milliseconds(5000), outcomes.Record());
    send.gate().Release();
  }
  EXPECT_EQ(send.requests(), (std::vector<std::vector<std::string>>{{"a"}, {"b"}}));
  MutexLock l(&outcomes.mu);
  ASSERT_EQ(outcomes.statuses.size(), 3u);
  EXPECT_TRUE(outcomes.statuses[0].ok());
  EXPECT_EQ(outcomes.statuses[1].code(), Status::Code::kKeyTooLarge);
  EXPECT_TRUE(outcomes.statuses[2].ok());
  EXPECT_EQ(outcomes.order, (std::vector<std::string>{"a", "", "b"}));
}

TEST(AsyncCallerTest, ACallWithNoOpsSucceedsWithoutARequest) {
  RecordingSend send;
  Outcomes outcomes;
  { AsyncCaller(send.fn()).Submit({}, milliseconds(5000), outcomes.Record()); }
  EXPECT_TRUE(send.requests().empty());
  MutexLock l(&outcomes.mu);
  ASSERT_EQ(outcomes.statuses.size(), 1u);
  EXPECT_TRUE(outcomes.statuses[0].ok());
  EXPECT_TRUE(outcomes.replies[0].empty());
}

TEST(AsyncCallerTest, ARequestStopsAtTheOpLimitAndABiggerCallGoesAlone) {
  RecordingSend send;
  Outcomes outcomes;
  constexpr size_t kOps = kMaxBatchOps / 2 + 1;  // two do not fit in one request
  auto ops = [](char tag, size_t n) {
    std::vector<Op> v;
    for (size_t i = 0; i < n; ++i) v.push_back(GetOp(tag + std::to_string(i)));
    return v;
  };
  {
    AsyncCaller caller(send.fn());
    send.gate().Hold();
    caller.Submit({GetOp("first")}, milliseconds(5000), outcomes.Record());
    ASSERT_TRUE(send.gate().WaitForPassed(1));
    caller.Submit(ops('a', kOps), milliseconds(5000), outcomes.Record());
    caller.Submit(ops('b', kOps), milliseconds(5000), outcomes.Record());
    caller.Submit(ops('c', 2 * kMaxBatchOps), milliseconds(5000), outcomes.Record());
    send.gate().Release();
  }
  const auto requests = send.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[1].size(), kOps);
  EXPECT_EQ(requests[2].size(), kOps);
  EXPECT_EQ(requests[3].size(), 2 * kMaxBatchOps);
  MutexLock l(&outcomes.mu);
  ASSERT_EQ(outcomes.replies.size(), 4u);
  EXPECT_EQ(outcomes.replies[3].size(), 2 * kMaxBatchOps);
}

TEST(AsyncCallerTest, ARequestGetsTheTimeLeftOfItsMostImpatientCall) {
  RecordingSend send;
  Outcomes outcomes;
  {
    AsyncCaller caller(send.fn());
    send.gate().Hold();
    caller.Submit({GetOp("a")}, milliseconds(60000), outcomes.Record());
    ASSERT_TRUE(send.gate().WaitForPassed(1));
    caller.Submit({GetOp("b")}, milliseconds(60000), outcomes.Record());
    caller.Submit({GetOp("c")}, milliseconds(3000), outcomes.Record());
    send.gate().Release();
  }
  const auto timeouts = send.timeouts();
  ASSERT_EQ(timeouts.size(), 2u);
  EXPECT_GT(timeouts[0], milliseconds(50000));
  EXPECT_LE(timeouts[1], milliseconds(3000));
  EXPECT_GT(timeouts[1], milliseconds(0));
}

TEST(AsyncCallerTest, DoneRunsOnTheCallersOwnThreadAndMayStartMoreCallsWhichTheDestructorAwaits) {
  RecordingSend send;
  std::atomic<int> finished{0};
  std::atomic<bool> on_submitting_thread{false};
  const std::thread::id test_thread = std::this_thread::get_id();
  // A chain: each call's done starts the next, 100 in all. (`start` outlives the caller.)
  std::function<void(int)> start;
  {
    AsyncCaller caller(send.fn());
    start = [&](int n) {
      caller.Submit({GetOp("k" + std::to_string(n))}, milliseconds(5000),
                    [&, n](Status s, const std::vector<Op>&, std::vector<Reply>) {
                      EXPECT_TRUE(s.ok());
                      if (std::this_thread::get_id() == test_thread) on_submitting_thread = true;
                      ++finished;
                      if (n + 1 < 100) start(n + 1);
                    });
    };
    start(0);
  }
  EXPECT_EQ(finished.load(), 100);
  EXPECT_FALSE(on_submitting_thread.load());
  EXPECT_EQ(send.requests().size(), 100u);
}

}  // namespace
}  // namespace dkv::client
