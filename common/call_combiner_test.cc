#include "common/call_combiner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/harness/gate.h"

namespace dkv {
namespace {

// A call of `weight` items; the send stores the id of the batch it went in.
struct NumberCall : CallCombiner::Call {
  int number = 0;
  size_t weight = 1;
  int batch_id = -1;
  std::thread::id sent_by;
};

// An owner whose send records each batch and passes its gate (held: blocks until released).
class Recorder {
 public:
  explicit Recorder(int max_in_flight, size_t max_items = 100)
      : combiner_([this](const CallCombiner::Batch& b) { Send(b); },
                  [max_items](const CallCombiner::Call&, const CallCombiner::Call& next,
                              CallCombiner::Load* load) {
                    load->items += static_cast<const NumberCall&>(next).weight;
                    return load->items <= max_items;
                  },
                  max_in_flight) {}

  void Run(NumberCall* call) { combiner_.Run(call); }
  CallCombiner& combiner() { return combiner_; }

  test::Gate& gate() { return gate_; }
  bool WaitForQueued(size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (combiner_.QueuedForTests() != n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  std::vector<std::vector<int>> batches() {
    MutexLock l(&mu_);
    return batches_;
  }

 private:
  void Send(const CallCombiner::Batch& batch) {
    {
      MutexLock l(&mu_);
      const int id = static_cast<int>(batches_.size());
      batches_.emplace_back();
      for (CallCombiner::Call* c : batch) {
        auto* call = static_cast<NumberCall*>(c);
        batches_.back().push_back(call->number);
        call->batch_id = id;
        call->sent_by = std::this_thread::get_id();
      }
    }
    gate_.Pass();
  }

  test::Gate gate_;
  Mutex mu_;
  std::vector<std::vector<int>> batches_ GUARDED_BY(mu_);
  CallCombiner combiner_;
};

TEST(CallCombinerTest, ALoneCallIsSentAtOnceOnItsCallersThread) {
  Recorder recorder(/*max_in_flight=*/1);
  NumberCall call;
  call.number = 7;
  recorder.Run(&call);
  EXPECT_EQ(call.batch_id, 0);
  EXPECT_EQ(call.sent_by, std::this_thread::get_id());
  EXPECT_EQ(recorder.batches(), (std::vector<std::vector<int>>{{7}}));
}

TEST(CallCombinerTest, CallsQueuedBehindABatchInFlightGoAsOneBatchAndAllReturn) {
  Recorder recorder(/*max_in_flight=*/1);
  recorder.gate().Hold();
  std::vector<NumberCall> calls(11);
  std::vector<std::thread> threads;
  calls[0].number = 0;
  threads.emplace_back([&] { recorder.Run(&calls[0]); });
  ASSERT_TRUE(recorder.gate().WaitForPassed(1));
  for (int i = 1; i <= 10; ++i) {
    calls[i].number = i;
    threads.emplace_back([&, i] { recorder.Run(&calls[i]); });
  }
  ASSERT_TRUE(recorder.WaitForQueued(10));
  std::vector<std::thread::id> ids;
  for (auto& t : threads) ids.push_back(t.get_id());
  recorder.gate().Release();
  for (auto& t : threads) t.join();
  const auto batches = recorder.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].size(), 10u);
  // Every caller came back with its outcome stored; the second batch went out from the thread of
  // one of its own members.
  bool sent_by_a_member = false;
  for (int i = 1; i <= 10; ++i) {
    EXPECT_EQ(calls[i].batch_id, 1);
    if (calls[i].sent_by == ids[i]) sent_by_a_member = true;
  }
  EXPECT_TRUE(sent_by_a_member);
}

TEST(CallCombinerTest, ABatchStopsWhereTheNextCallWouldNotJoinAndABigCallGoesAlone) {
  Recorder recorder(/*max_in_flight=*/1, /*max_items=*/10);
  recorder.gate().Hold();
  std::vector<NumberCall> calls(4);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { recorder.Run(&calls[0]); });
  ASSERT_TRUE(recorder.gate().WaitForPassed(1));
  // Queued in this order: 6, 6 (over 10 together), 50 (over on its own).
  const size_t weights[] = {6, 6, 50};
  for (int i = 1; i <= 3; ++i) {
    calls[i].number = i;
    calls[i].weight = weights[i - 1];
    threads.emplace_back([&, i] { recorder.Run(&calls[i]); });
    ASSERT_TRUE(recorder.WaitForQueued(static_cast<size_t>(i)));
  }
  recorder.gate().Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(recorder.batches(), (std::vector<std::vector<int>>{{0}, {1}, {2}, {3}}));
}

TEST(CallCombinerTest, AtMostMaxInFlightBatchesAreSentAtOnce) {
  Recorder recorder(/*max_in_flight=*/2);
  recorder.gate().Hold();
  std::vector<NumberCall> calls(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&, i] { recorder.Run(&calls[i]); });
  ASSERT_TRUE(recorder.gate().WaitForPassed(2));
  threads.emplace_back([&] { recorder.Run(&calls[2]); });
  ASSERT_TRUE(recorder.WaitForQueued(1));  // the third waits for a place
  recorder.gate().Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(recorder.gate().max_inside(), 2);
  EXPECT_EQ(recorder.batches().size(), 3u);
}

}  // namespace
}  // namespace dkv
