// CombiningMasterStub: a MasterStub that sends the data calls many threads make at the same time
// as one Dkv.execute. Client::Connect puts it in front of the Thrift stub, so an application that
// shares one Client among its threads (as dkv-bench does) pays one round trip to the master, and
// one per data node behind it, for a whole group of calls instead of one each
// (docs/performance.md: the wake-ups per request are what a call costs on a small machine).
//
// Get, Put, Remove and Execute calls are combined. A caller finding fewer than `max_in_flight`
// batches under way sends its call at once, alone and as it is (so a lone caller waits for
// nothing); otherwise it queues. When a batch is answered, its sender takes the calls queued
// meanwhile (whole calls, up to kMaxBatchOps ops or kMaxBatchBytes of keys and values, but at
// least one call) as the next batch, wakes the first of them to send it as one Dkv.execute on the
// inner stub, and then hands each member of its own batch its replies.
//
// Each call keeps its own outcome: a per-op error is that op's reply (and, for Get/Put/Remove, the
// call's Status); a failure of the whole batch (NOT_MASTER with its hint, UNAVAILABLE, a timeout)
// is every member's, and the RetryingCaller above retries each call as it would have alone. A
// batch's socket timeout is the smallest of its members' timeouts, so no call waits longer than it
// asked. A call's ops stay together and in their order; calls of one batch are independent,
// concurrent calls, which the master may execute in any order relative to each other, as it could
// have before.
//
// UnsafePut, status, drain and rebalance go straight through. Thread-safe.
#pragma once

#include <semaphore.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/master_stub.h"
#include "common/mutex.h"

namespace dkv::client {

class CombiningMasterStub : public MasterStub {
 public:
  static constexpr size_t kMaxBatchOps = 1024;
  static constexpr size_t kMaxBatchBytes = 1 << 20;

  explicit CombiningMasterStub(std::unique_ptr<MasterStub> inner, int max_in_flight = 2);
  CombiningMasterStub(const CombiningMasterStub&) = delete;
  CombiningMasterStub& operator=(const CombiningMasterStub&) = delete;

  const HostPort& address() const override { return inner_->address(); }

  // Calls waiting to be sent.
  size_t QueuedForTests() EXCLUDES(mu_);

  Status Get(std::string_view key, std::optional<std::string>* value,
             std::chrono::milliseconds timeout, std::string* master_hint) override;
  Status Put(std::string_view key, std::string_view value, std::chrono::milliseconds timeout,
             std::string* master_hint) override;
  Status Remove(std::string_view key, bool* existed, std::chrono::milliseconds timeout,
                std::string* master_hint) override;
  Status Execute(const std::vector<Op>& ops, std::vector<Reply>* replies,
                 std::chrono::milliseconds timeout, std::string* master_hint) override;

  Status UnsafePut(std::string_view key, std::string_view value,
                   std::chrono::milliseconds timeout) override {
    return inner_->UnsafePut(key, value, timeout);
  }
  Status GetStatus(ClusterStatus* status, std::chrono::milliseconds timeout,
                   std::string* master_hint) override {
    return inner_->GetStatus(status, timeout, master_hint);
  }
  Status Drain(std::string_view id, bool leave_when_done, int32_t* slots_to_move,
               std::chrono::milliseconds timeout, std::string* master_hint) override {
    return inner_->Drain(id, leave_when_done, slots_to_move, timeout, master_hint);
  }
  Status Rebalance(int32_t* slots_to_move, std::chrono::milliseconds timeout,
                   std::string* master_hint) override {
    return inner_->Rebalance(slots_to_move, timeout, master_hint);
  }

 private:
  // One call, on its caller's stack until the call returns. A queued call's thread sleeps on the
  // call's own semaphore, posted once: when the call is done, or when its thread is to send the
  // next batch. A semaphore rather than a mutex and condition variable: a thread woken while the
  // waker still held the mutex would sleep a second time on it, and a condition variable cannot
  // be signalled after the unlock because the woken caller may return and free it at once;
  // sem_post may be followed by sem_destroy as soon as sem_wait returns (glibc guarantees it).
  // The post and the wait order the writes of the fields below before their reads.
  struct Call {
    enum class State { kWaiting, kLead, kDone };
    Call();
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    void Post(State next);  // sets `state` and wakes the call's thread
    void Wait();            // until posted

    std::vector<Op> ops;
    std::chrono::milliseconds timeout{0};
    // Filled by the sender of the call's batch before the state becomes kDone.
    Status status;
    std::vector<Reply> replies;
    std::string master_hint;
    State state = State::kWaiting;
    std::vector<Call*> batch;  // with kLead: the batch this call's thread sends
    sem_t wake;
  };

  // Sends `ops` in a batch, maybe with other callers' ops, and waits for it: as Execute.
  Status Combine(std::vector<Op> ops, std::chrono::milliseconds timeout, std::string* master_hint,
                 std::vector<Reply>* replies) EXCLUDES(mu_);
  // One op in db 0 through Combine; its per-op error as the Status.
  Result<Reply> CombineOne(OpCode code, std::string_view key, std::string_view value,
                           std::chrono::milliseconds timeout, std::string* master_hint)
      EXCLUDES(mu_);
  // Sends `batch`, passes the lead on to the next batch queued (or frees the place) and wakes the
  // members of `batch` other than `self`; no lock held.
  void Lead(std::vector<Call*> batch, Call* self) EXCLUDES(mu_);
  // Takes the calls at the front of the queue for one batch.
  std::vector<Call*> TakeBatch() REQUIRES(mu_);
  // Sends `batch` and fills in each member's outcome; no lock held.
  void Send(const std::vector<Call*>& batch);

  const std::unique_ptr<MasterStub> inner_;
  const int max_in_flight_;

  // Invariant: calls are queued only while max_in_flight_
  // batches are in flight (a batch that finishes with calls queued passes its place on).
  Mutex mu_;
  std::deque<Call*> queue_ GUARDED_BY(mu_);
  int in_flight_ GUARDED_BY(mu_) = 0;
};

}  // namespace dkv::client
