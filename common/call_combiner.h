// CallCombiner: sends the calls that many threads make at the same time to one peer as batches,
// one request each, instead of one request per call. Where a request costs more in wake-ups and
// syscalls than in work (docs/performance.md: dkv's calls on a small machine), this is what lets
// one round trip carry many calls. Used by the client (CombiningMasterStub: calls to the master)
// and by the master (CombiningDataChannel: calls to a data node).
//
// A caller finding fewer than `max_in_flight` batches under way sends its call at once, alone, on
// its own thread (so a lone caller waits for nothing); otherwise the call queues. When a batch is
// answered, its sender takes the calls queued meanwhile as the next batch (from the front, while
// `join` accepts them; at least one), wakes the first of them to send it, and then wakes the other
// members of its own batch. The owner's `send` does the request and stores each call's outcome in
// the call; it runs with no lock held, on the thread of a member of the batch.
//
// Thread-safe. A Call lives on its caller's stack during Run.
#pragma once

#include <semaphore.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <vector>

#include "common/mutex.h"

namespace dkv {

class CallCombiner {
 public:
  // What the owner's calls derive from. The combiner's part is private to it.
  class Call {
   public:
    Call();
    virtual ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

   private:
    friend class CallCombiner;
    enum class State { kWaiting, kLead, kDone };
    // A queued call's thread sleeps on the call's own semaphore, posted once: when the call is
    // done, or when its thread is to send the next batch. Not a mutex and condition variable: a
    // thread woken while the waker still holds the mutex sleeps a second time on it, and a
    // condition variable cannot be signalled after the unlock, because the woken caller may return
    // and free it at once; sem_post may be followed by sem_destroy as soon as sem_wait returns
    // (glibc guarantees it). The post and the wait order the writes before them (the outcome,
    // `state`, `batch`) before the reads after.
    void Post(State next);
    void Wait();
    State state_ = State::kWaiting;
    std::vector<Call*> batch_;  // with kLead: the batch this call's thread sends
    sem_t wake_;
  };

  using Batch = std::vector<Call*>;
  // Sends `batch` as one request and stores every member's outcome in it.
  using SendFn = std::function<void(const Batch& batch)>;
  // What the owner counts of a batch as it forms, to bound it.
  struct Load {
    size_t items = 0;
    size_t bytes = 0;
  };
  // Whether `next` may join the batch that `first` starts, given what the batch holds so far in
  // *load (zero before `first`), which it updates when `next` joins. Asked for `first` too
  // (next == first), which joins whatever the answer.
  using JoinFn = std::function<bool(const Call& first, const Call& next, Load* load)>;

  CallCombiner(SendFn send, JoinFn join, int max_in_flight = 2);
  CallCombiner(const CallCombiner&) = delete;
  CallCombiner& operator=(const CallCombiner&) = delete;

  // Returns once `call` was sent in a batch and its outcome stored.
  void Run(Call* call) EXCLUDES(mu_);

  // Calls waiting to be sent.
  size_t QueuedForTests() EXCLUDES(mu_);

 private:
  // Sends `batch`, passes the lead on to the next batch queued (or frees the place) and wakes the
  // members of `batch` other than `self`.
  void Lead(Batch batch, Call* self) EXCLUDES(mu_);
  Batch TakeBatch() REQUIRES(mu_);

  const SendFn send_;
  const JoinFn join_;
  const int max_in_flight_;

  // Invariant: calls are queued only while max_in_flight_ batches are in flight (a batch that
  // finishes with calls queued passes its place on).
  Mutex mu_;
  std::deque<Call*> queue_ GUARDED_BY(mu_);
  int in_flight_ GUARDED_BY(mu_) = 0;
};

}  // namespace dkv
