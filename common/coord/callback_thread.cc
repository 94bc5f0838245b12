#include "common/coord/callback_thread.h"

#include <utility>

#include "common/logging.h"

namespace dkv::coord {

CallbackThread::CallbackThread() : thread_([this] { Run(); }) {}

CallbackThread::~CallbackThread() { Shutdown(); }

void CallbackThread::Post(std::function<void()> callback) {
  MutexLock lock(&mu_);
  if (stopping_) return;
  queue_.push_back(std::move(callback));
  ++posted_;
  cv_.SignalAll();
}

void CallbackThread::Flush() {
  DKV_CHECK(!IsCurrentThread()) << "CallbackThread::Flush from one of its callbacks";
  MutexLock lock(&mu_);
  uint64_t target = posted_;
  while (finished_ < target && !stopping_) cv_.Wait();
}

void CallbackThread::Shutdown() {
  DKV_CHECK(!IsCurrentThread()) << "CallbackThread::Shutdown from one of its callbacks";
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    finished_ += queue_.size();
    queue_.clear();
    cv_.SignalAll();
  }
  if (!joined_) {
    thread_.join();
    joined_ = true;
  }
}

bool CallbackThread::IsCurrentThread() {
  MutexLock lock(&mu_);
  return thread_id_ == std::this_thread::get_id();
}

void CallbackThread::Run() {
  MutexLock lock(&mu_);
  thread_id_ = std::this_thread::get_id();
  while (true) {
    while (queue_.empty() && !stopping_) cv_.Wait();
    if (stopping_) return;
    std::function<void()> callback = std::move(queue_.front());
    queue_.pop_front();
    mu_.Unlock();
    callback();
    callback = nullptr;  // destroy captured state outside the lock as well
    mu_.Lock();
    ++finished_;
    cv_.SignalAll();
  }
}

}  // namespace dkv::coord
