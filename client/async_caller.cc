#include "client/async_caller.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "common/deadline.h"

namespace dkv::client {
namespace {

size_t BytesOf(const std::vector<Op>& ops) {
  size_t bytes = 0;
  for (const Op& op : ops) bytes += op.key.size() + op.value.size();
  return bytes;
}

}  // namespace

AsyncCaller::AsyncCaller(SendFn send) : send_(std::move(send)) {}

AsyncCaller::~AsyncCaller() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
    queued_.Signal();
  }
  // Unlocked: once started_ is set, nothing but this writes thread_.
  if (thread_.joinable()) thread_.join();
}

void AsyncCaller::Submit(std::vector<Op> ops, std::chrono::milliseconds timeout, DoneFn done) {
  Call call;
  call.ops = std::move(ops);
  call.deadline = std::chrono::steady_clock::now() + timeout;
  call.done = std::move(done);
  Enqueue(std::move(call));
}

void AsyncCaller::Fail(Status error, DoneFn done) {
  Call call;
  call.error = std::move(error);
  call.done = std::move(done);
  Enqueue(std::move(call));
}

void AsyncCaller::Enqueue(Call call) {
  MutexLock l(&mu_);
  queue_.push_back(std::move(call));
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { Loop(); });
  } else if (idle_) {
    // Only a waiting thread needs the signal: a busy one takes the queue when its batch is done,
    // so calls made from `done` callbacks (the thread's own) cost no wake-up.
    idle_ = false;
    queued_.Signal();
  }
}

void AsyncCaller::Loop() {
  while (true) {
    std::vector<Call> batch;
    {
      MutexLock l(&mu_);
      while (queue_.empty()) {
        if (stopping_) return;
        idle_ = true;
        queued_.Wait();
      }
      idle_ = false;
      batch = TakeBatch();
    }
    Finish(std::move(batch));
  }
}

std::vector<AsyncCaller::Call> AsyncCaller::TakeBatch() {
  std::vector<Call> batch;
  size_t ops = 0;
  size_t bytes = 0;
  while (!queue_.empty()) {
    Call& next = queue_.front();
    ops += next.ops.size();
    bytes += BytesOf(next.ops);
    if (!batch.empty() && (ops > kMaxBatchOps || bytes > kMaxBatchBytes)) break;
    batch.push_back(std::move(next));
    queue_.pop_front();
  }
  return batch;
}

void AsyncCaller::Finish(std::vector<Call> batch) {
  // The calls' ops are moved into the one request and back, never copied.
  std::vector<Op> ops;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  for (Call& call : batch) {
    if (call.error) continue;
    deadline = deadline ? std::min(*deadline, call.deadline) : call.deadline;
    ops.insert(ops.end(), std::make_move_iterator(call.ops.begin()),
               std::make_move_iterator(call.ops.end()));
  }
  std::vector<Reply> replies;
  Status status;
  if (!ops.empty()) {
    status = send_(ops, Deadline(*deadline).RemainingForCall(), &replies);
    if (status.ok() && replies.size() != ops.size()) {
      status = Status::Internal("the master answered " + std::to_string(replies.size()) +
                                " replies to a batch of " + std::to_string(ops.size()));
    }
  }
  size_t next = 0;
  for (Call& call : batch) {
    if (call.error) {
      call.done(std::move(*call.error), call.ops, {});
      continue;
    }
    const size_t count = call.ops.size();
    std::move(ops.begin() + next, ops.begin() + next + count, call.ops.begin());
    std::vector<Reply> mine;
    if (status.ok()) {
      mine.assign(std::make_move_iterator(replies.begin() + next),
                  std::make_move_iterator(replies.begin() + next + count));
    }
    next += count;
    call.done(status, call.ops, std::move(mine));
  }
}

}  // namespace dkv::client
