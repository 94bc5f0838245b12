// Subprocess: a child program started and owned by a test (ZooKeeper, dkv-server, dkv-data, ...).
//
// The child runs in its own process group (setpgid, never setsid: a new session lands in another
// kernel autogroup and is CPU-starved against a loaded test, see TOOLCHAIN.md), with stdin from
// /dev/null, stdout and stderr appended to a log file, and PR_SET_PDEATHSIG(SIGKILL) so it never
// outlives the test process. Kill() and the destructor SIGKILL the whole group while the child is
// still unreaped, so nothing the child started leaks either; every child is reaped (no zombies).
//
// Caveat: PR_SET_PDEATHSIG fires when the *thread* that forked exits, so start children from a
// thread that outlives them (the test's main thread, SetUpTestSuite, a fixture).
//
// Thread-safety: all methods are thread-safe. Nothing else in the process may reap this child
// (no SIGCHLD = SIG_IGN, no waitpid(-1)).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/deadline.h"
#include "common/mutex.h"
#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::test {

// How a child ended.
struct ExitStatus {
  bool exited = false;  // true: exit(code); false: killed by `signal`
  int code = 0;
  int signal = 0;

  bool success() const { return exited && code == 0; }
  std::string ToString() const;  // "exit 0", "killed by signal 9 (Killed)"
};

struct SubprocessOptions {
  std::vector<std::string> argv;           // argv[0] is a path or a name looked up in $PATH
  std::map<std::string, std::string> env;  // added to (or replacing in) this process's environment
  std::string log_path;                    // stdout+stderr appended here; empty: /dev/null
  std::string working_dir;                 // empty: this process's
};

class Subprocess {
 public:
  // Forks and execs. Fails with IO_ERROR (naming the program) if the program cannot be executed.
  static Result<std::unique_ptr<Subprocess>> Start(SubprocessOptions options);

  // Kills the process group with SIGKILL if the child still runs, and reaps it.
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }  // basename of argv[0], for messages
  const std::string& log_path() const { return log_path_; }

  // Sends `sig` to the child only (not its group). IO_ERROR if it has already been reaped.
  Status Signal(int sig);

  // SIGKILLs the child's whole process group and reaps the child.
  Status Kill();

  // SIGTERM to the child; waits up to `grace` for it to exit, then SIGKILLs the group. Reaps.
  Result<ExitStatus> Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // Waits until the child exits (and reaps it) or `deadline` passes: TIMED_OUT.
  // After the child has been reaped, returns its status again at once.
  Result<ExitStatus> Wait(Deadline deadline);

  // Whether the child is still running (reaps it if it has exited).
  bool IsRunning();

  // The exit status once reaped.
  std::optional<ExitStatus> exit_status();

 private:
  Subprocess(pid_t pid, std::string name, std::string log_path);

  // Reaps the child if it has exited; never blocks.
  void TryReapLocked() REQUIRES(mu_);
  void KillGroupLocked() REQUIRES(mu_);

  const pid_t pid_;
  const std::string name_;
  const std::string log_path_;

  Mutex mu_;
  std::optional<ExitStatus> exit_status_ GUARDED_BY(mu_);  // set once reaped
};

}  // namespace dkv::test
