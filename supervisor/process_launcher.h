// ProcessLauncher: starts, signals and reaps child processes for the supervisor.
//
// An interface so that ChildSet's state machine is unit-tested with a fake; the real implementation
// (NewPosixProcessLauncher) uses fork/exec:
//   - each child leads a process group of its own (setpgid; never setsid, which starved ZooKeeper
//   of
//     CPU under kernel autogroup scheduling, see /work/shared/TOOLCHAIN.md), so a signal reaches
//     everything it started;
//   - PR_SET_PDEATHSIG(SIGKILL): if the supervisor dies, even by SIGKILL, the child is killed too.
//     The kernel sends it when the *thread* that forked exits, so fork only from a thread that
//     lives as long as the supervisor (its main thread);
//   - the signal mask and every disposition are reset, stdin is /dev/null, stdout and stderr append
//     to the child's log file;
//   - a failed chdir or exec is written to a close-on-exec pipe, so Launch reports "No such file or
//     directory" synchronously instead of seeing a child that exits with 127.
//
// Not thread-safe; the supervisor's loop thread is the only user.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "dkv/result.h"
#include "supervisor/child_spec.h"

namespace dkv::supervisor {

struct ExitedChild {
  pid_t pid = 0;
  int wait_status = 0;  // as from waitpid
};

// "exited with code 3", "killed by signal 9 (SIGKILL)".
std::string DescribeWaitStatus(int wait_status);
// Exit code 0. Anything else (a non-zero code, a signal) is abnormal, for the transient policy.
bool IsNormalExit(int wait_status);

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;

  // Starts spec.executable with spec.args and spec.env in spec.working_dir, its output appended to
  // `log_path` (empty: inherit the supervisor's stdout/stderr). Returns the pid, which is also the
  // child's process group id, once the exec succeeded. On failure returns an error naming the step
  // (open log, fork, chdir, exec) and errno; a forked child that failed is already reaped.
  virtual Result<pid_t> Launch(const ChildSpec& spec, const std::string& log_path) = 0;

  // Sends `sig` to the process group led by `pid`. A group that is already gone is not an error.
  virtual void SignalGroup(pid_t pid, int sig) = 0;

  // Without blocking, collects one child that exited: first SIGKILLs what is left of its process
  // group (while the zombie leader still reserves the group id), then reaps it. nullopt if none.
  virtual std::optional<ExitedChild> ReapOne() = 0;
};

std::unique_ptr<ProcessLauncher> NewPosixProcessLauncher();

}  // namespace dkv::supervisor
