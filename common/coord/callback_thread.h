// CallbackThread: one thread that runs posted callbacks in order. Both Coordinator implementations
// deliver watches and session events on one of these, so callbacks never run on ZooKeeper's own
// thread or under a coordinator lock, and may call back into the coordinator.
//
// Lifecycle: the thread starts in the constructor; Shutdown() (or the destructor) drops what is
// still queued, waits for the running callback and joins. Thread-safe, except that Shutdown and
// Flush must not be called from a callback (they would wait for themselves).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <thread>

#include "common/mutex.h"

namespace dkv::coord {

class CallbackThread {
 public:
  CallbackThread();
  ~CallbackThread();  // Shutdown()
  CallbackThread(const CallbackThread&) = delete;
  CallbackThread& operator=(const CallbackThread&) = delete;

  // Queues `callback`; it runs after everything posted before it. Dropped after Shutdown.
  void Post(std::function<void()> callback);

  // Returns once every callback posted before the call has run (or was dropped by Shutdown).
  void Flush();

  // Drops queued callbacks, waits for the running one and joins the thread. Idempotent.
  void Shutdown();

  // Whether the caller is this thread (i.e. runs inside a callback).
  bool IsCurrentThread();

 private:
  void Run();

  Mutex mu_;
  CondVar cv_{&mu_};
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
  uint64_t posted_ GUARDED_BY(mu_) = 0;    // callbacks ever posted
  uint64_t finished_ GUARDED_BY(mu_) = 0;  // callbacks run or dropped
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread::id thread_id_ GUARDED_BY(mu_);
  std::thread thread_;   // started last in the constructor; joined by Shutdown
  bool joined_ = false;  // touched only by Shutdown's caller
};

}  // namespace dkv::coord
