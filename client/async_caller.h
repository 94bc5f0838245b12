// AsyncCaller: the thread behind Client's asynchronous calls (GetAsync, SetAsync, ...). A call is
// queued and the caller returns at once; one thread of the AsyncCaller's own takes the calls
// queued, in order, and sends as many as fit (kMaxBatchOps ops, kMaxBatchBytes (common/op.h) of
// keys and values) as one request through the owner's `send`, then runs each call's `done` with its
// outcome, in order, and takes the next batch. So one thread can keep any number of calls in flight
// at the cost of one round trip and one wake-up per batch, not per call (docs/client.md), and calls
// on one key execute in the order they were made: a batch is sent only once the one before it has
// finished, retries included.
//
// The thread starts with the first call and is joined by the destructor, which first lets every
// queued call finish (those that the `done` callbacks queue meanwhile too). Thread-safe: any
// thread may Submit, a `done` callback included.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "common/op.h"
#include "dkv/status.h"

namespace dkv::client {

class AsyncCaller {
 public:
  // Runs `ops` (in order) as one request within `timeout` and stores one reply per op in
  // *replies, or returns the error that failed the whole request.
  using SendFn = std::function<Status(const std::vector<Op>& ops, std::chrono::milliseconds timeout,
                                      std::vector<Reply>* replies)>;
  // A call's outcome: OK with one reply per op of the call, or the error of its whole request;
  // `ops` are the call's own, as submitted (empty for a call queued by Fail).
  using DoneFn =
      std::function<void(Status status, const std::vector<Op>& ops, std::vector<Reply> replies)>;

  explicit AsyncCaller(SendFn send);
  ~AsyncCaller();
  AsyncCaller(const AsyncCaller&) = delete;
  AsyncCaller& operator=(const AsyncCaller&) = delete;

  // Queues `ops`, to be sent within `timeout` (> 0) from now; `done` runs once, on this object's
  // thread, with the outcome (at once OK for no ops, in its turn).
  void Submit(std::vector<Op> ops, std::chrono::milliseconds timeout, DoneFn done) EXCLUDES(mu_);
  // Queues a call that fails with `error` (not OK) without being sent, in its turn among the calls.
  void Fail(Status error, DoneFn done) EXCLUDES(mu_);

 private:
  struct Call {
    std::vector<Op> ops;
    std::chrono::steady_clock::time_point deadline;
    std::optional<Status> error;  // set: fails with it, unsent
    DoneFn done;
  };

  void Enqueue(Call call) EXCLUDES(mu_);
  void Loop() EXCLUDES(mu_);
  // The calls from the front of the queue that go in the next request.
  std::vector<Call> TakeBatch() REQUIRES(mu_);
  // Sends `batch` (calls with an error are not sent) and runs every member's `done`, in order.
  void Finish(std::vector<Call> batch);

  const SendFn send_;

  Mutex mu_;
  CondVar queued_{&mu_};
  std::deque<Call> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  bool idle_ GUARDED_BY(mu_) = false;  // the thread waits on queued_
  bool started_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // started under mu_ as started_ is set; joined by the destructor
};

}  // namespace dkv::client
