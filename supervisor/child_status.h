// ChildStatus: one row of `dkv-supervisor status`, and its text and JSON renderings.
//
// Value types and pure functions; thread-compatible.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dkv::supervisor {

enum class ChildState {
  kRunning,     // has a live pid
  kBackingOff,  // exited, restart scheduled after its backoff
  kStopping,    // asked to stop (SIGTERM sent), waiting for the exit (SIGKILL after the grace)
  kStopped,     // not running and not to be restarted (normal exit, temporary, or stopped)
  kGivenUp,     // exceeded its restart intensity, or could not be executed at all
};

// "running", "backing_off", "stopping", "stopped", "given_up".
const char* ChildStateName(ChildState state);

struct ChildStatus {
  std::string name;
  pid_t pid = 0;  // 0 when not running
  ChildState state = ChildState::kStopped;
  int restarts = 0;         // restarts since the child was (re)configured
  double uptime_s = 0;      // time since the current process started; 0 when not running
  double restart_in_s = 0;  // kBackingOff: time until the restart
  std::string last_exit;    // "exited with code 3", "exec ...: No such file or directory", ""
};

// One header line and one line per child, columns separated by blanks; LAST_EXIT is last and may
// contain blanks. Ends with a newline.
std::string FormatStatusText(const std::vector<ChildStatus>& children);

// {"supervisor_pid":N,"children":[{"name":..,"pid":..,"state":..,"restarts":..,"uptime_s":..,
//  "restart_in_s":..,"last_exit":..}, ...]}, followed by a newline.
std::string FormatStatusJson(pid_t supervisor_pid, const std::vector<ChildStatus>& children);

}  // namespace dkv::supervisor
