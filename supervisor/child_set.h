// ChildSet: the supervisor's children and their state machine (start, restart with backoff, give
// up, stop with a grace period, reload a new config), with no I/O of its own.
//
// Event-driven: the daemon feeds it reaped exits (OnExit), the passage of time (Tick, at the latest
// at NextDeadline) and commands (Start, Reload, BeginShutdown); it acts through a ProcessLauncher.
// Every time point is passed in, so unit tests drive it with a fake launcher and a fake clock.
//
//   Running --exit--> BackingOff --backoff elapsed--> Running     (restart type asks for it)
//           --exit--> GivenUp                                     (intensity exceeded; loud)
//           --exit--> Stopped                                     (type says no restart)
//   Running --stop--> Stopping --exit--> Stopped / removed / restarted with a new spec
//   Stopping --grace elapsed--> SIGKILL to the group, still Stopping until reaped
//   any launch failure (exec, chdir, log file) --> GivenUp        (never looped)
//
// Not thread-safe: owned and used by the supervisor's single loop thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/child_spec.h"
#include "supervisor/child_status.h"
#include "supervisor/process_launcher.h"
#include "supervisor/restart_policy.h"

namespace dkv::supervisor {

class ChildSet {
 public:
  // `launcher` must outlive the set. Log files go to `run_dir`/<name>.log unless a spec says
  // otherwise (a relative log_file is taken relative to run_dir).
  ChildSet(ProcessLauncher* launcher, std::string run_dir);
  ChildSet(const ChildSet&) = delete;
  ChildSet& operator=(const ChildSet&) = delete;

  // Called with the child's name whenever a child is given up on.
  void SetGiveUpCallback(std::function<void(const std::string&)> callback) {
    on_give_up_ = std::move(callback);
  }

  // Starts `specs` in order. Must be called once, first.
  void Start(std::vector<ChildSpec> specs, SteadyTime now);

  // Moves to a new config: children whose name is new start; those no longer listed stop and are
  // forgotten; those whose spec changed stop and start again with the new one; unchanged ones keep
  // running untouched. An unchanged child that was given up on gets a fresh start. The new order is
  // the stop/start order from now on. Ignored once shutting down.
  void Reload(std::vector<ChildSpec> specs, SteadyTime now);

  // A child process exited (from ProcessLauncher::ReapOne). Unknown pids are ignored.
  void OnExit(pid_t pid, int wait_status, SteadyTime now);

  // Does what is due at `now`: restarts after backoff, SIGKILL after a grace period, the next step
  // of a shutdown.
  void Tick(SteadyTime now);

  // The earliest time Tick has something to do, if any.
  std::optional<SteadyTime> NextDeadline() const;

  // Stops every child, one at a time in reverse order (SIGTERM, SIGKILL after its grace); pending
  // restarts are cancelled. Progress happens in OnExit and Tick.
  void BeginShutdown(SteadyTime now);
  bool shutting_down() const { return shutting_down_; }
  // True once shutting down and no child process is left.
  bool ShutdownComplete() const;

  std::vector<ChildStatus> Snapshot(SteadyTime now) const;

 private:
  // What to do when a child asked to stop has exited.
  enum class AfterStop { kStay, kRemove, kRestart };

  struct Child {
    explicit Child(ChildSpec s) : spec(std::move(s)), policy(spec.limits()) {}
    ChildSpec spec;
    RestartPolicy policy;
    ChildState state = ChildState::kStopped;
    pid_t pid = 0;
    SteadyTime started{};
    int restarts = 0;
    std::string last_exit;
    SteadyTime restart_at{};  // kBackingOff
    SteadyTime kill_at{};     // kStopping: when SIGKILL is due
    bool killed = false;      // kStopping: SIGKILL already sent
    AfterStop after_stop = AfterStop::kStay;
    std::optional<ChildSpec> next_spec;  // after_stop == kRestart
  };

  std::string LogPath(const ChildSpec& spec) const;
  void Launch(Child* child, SteadyTime now);
  void GiveUp(Child* child, const std::string& why);
  void Stop(Child* child, AfterStop after, SteadyTime now);
  void AfterExit(size_t index, SteadyTime now);
  void StopNextForShutdown(SteadyTime now);
  Child* Find(const std::string& name);

  ProcessLauncher* const launcher_;
  const std::string run_dir_;
  std::function<void(const std::string&)> on_give_up_;
  std::vector<Child> children_;  // config order; children being removed are at the end
  bool shutting_down_ = false;
};

}  // namespace dkv::supervisor
