#include "common/stop_signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>

namespace dkv {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForStopSignal() {
  sigset_t set = StopSignals();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number;
}

int WaitForStopSignal(std::chrono::milliseconds timeout) {
  sigset_t set = StopSignals();
  const auto ms = timeout.count() < 0 ? 0 : timeout.count();
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  for (;;) {
    const int signal_number = sigtimedwait(&set, nullptr, &ts);
    if (signal_number > 0) return signal_number;
    if (errno != EINTR) return 0;  // EAGAIN: the timeout passed
  }
}

}  // namespace dkv
