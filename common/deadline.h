// Deadline: a point on the steady clock that every wait in dkv is bounded by.
#pragma once

#include <algorithm>
#include <chrono>

namespace dkv {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  static Deadline After(std::chrono::milliseconds timeout) {
    return Deadline(Clock::now() + timeout);
  }
  explicit Deadline(Clock::time_point when) : when_(when) {}

  Clock::time_point when() const { return when_; }
  bool Expired() const { return Clock::now() >= when_; }
  // Time left, never negative.
  std::chrono::milliseconds Remaining() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(when_ - Clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }
  // Time left, rounded up, and at least 1 ms: the timeout of a call sent now. A call whose time is
  // up is still sent, and fails at once as a timeout, rather than never going out.
  std::chrono::milliseconds RemainingForCall() const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(when_ - Clock::now());
    return std::max(left, std::chrono::milliseconds(1));
  }

 private:
  Clock::time_point when_;
};

}  // namespace dkv
