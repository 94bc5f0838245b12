#include "common/call_combiner.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "common/logging.h"

namespace dkv {

CallCombiner::Call::Call() { DKV_CHECK(::sem_init(&wake_, 0, 0) == 0); }

CallCombiner::Call::~Call() { ::sem_destroy(&wake_); }

void CallCombiner::Call::Post(State next) {
  state_ = next;
  DKV_CHECK(::sem_post(&wake_) == 0);
}

void CallCombiner::Call::Wait() {
  while (::sem_wait(&wake_) != 0) DKV_CHECK(errno == EINTR);
}

CallCombiner::CallCombiner(SendFn send, JoinFn join, int max_in_flight)
    : send_(std::move(send)), join_(std::move(join)), max_in_flight_(std::max(1, max_in_flight)) {}

void CallCombiner::Run(Call* call) {
  bool lead = false;
  {
    MutexLock l(&mu_);
    if (in_flight_ < max_in_flight_) {
      ++in_flight_;  // the queue is empty (the invariant): send alone, now
      lead = true;
    } else {
      queue_.push_back(call);
    }
  }
  if (lead) {
    Lead({call}, call);
    return;
  }
  call->Wait();
  // Woken to send the next batch: this call is in it, so it is done after.
  if (call->state_ == Call::State::kLead) Lead(std::move(call->batch_), call);
}

void CallCombiner::Lead(Batch batch, Call* self) {
  send_(batch);
  Batch next;
  {
    MutexLock l(&mu_);
    if (queue_.empty()) {
      --in_flight_;
    } else {
      next = TakeBatch();  // this batch's place in flight passes to the next
    }
  }
  if (!next.empty()) {
    // The first member sends it (its thread has nothing else to do), while this one delivers.
    Call* leader = next.front();
    leader->batch_ = std::move(next);
    leader->Post(Call::State::kLead);
  }
  for (Call* member : batch) {
    if (member == self) {
      member->state_ = Call::State::kDone;
    } else {
      member->Post(Call::State::kDone);  // from here on the member may be gone
    }
  }
}

CallCombiner::Batch CallCombiner::TakeBatch() {
  Batch batch;
  Load load;
  while (!queue_.empty()) {
    Call* next = queue_.front();
    const bool joins = join_(batch.empty() ? *next : *batch.front(), *next, &load);
    if (!joins && !batch.empty()) break;
    batch.push_back(next);
    queue_.pop_front();
  }
  return batch;
}

size_t CallCombiner::QueuedForTests() {
  MutexLock l(&mu_);
  return queue_.size();
}

}  // namespace dkv
