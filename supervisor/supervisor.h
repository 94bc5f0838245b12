// Supervisor: the dkv-supervisor daemon. Owns the run dir, the status socket, the signal fd and the
// ChildSet, and runs the event loop that connects them.
//
// Single-threaded by design: everything happens on the thread that calls Start/Run/Shutdown, which
// must be the process's main thread (children's PR_SET_PDEATHSIG is tied to the forking thread) and
// the only thread (SIGTERM, SIGINT, SIGHUP and SIGCHLD are blocked and read from a signalfd, which
// works only if no other thread leaves them unblocked). No work happens in a signal handler.
//
// Lifecycle: Start() once; Run() until a stop is requested; Shutdown() (also run by the destructor)
// stops whatever is left and releases the run dir.
#pragma once

#include <memory>
#include <string>

#include "dkv/status.h"
#include "supervisor/child_set.h"
#include "supervisor/process_launcher.h"
#include "supervisor/run_dir.h"
#include "supervisor/status_socket.h"

namespace dkv::supervisor {

struct SupervisorOptions {
  std::string config_path;
  std::string run_dir = ".dkv-supervisor";
  bool exit_on_give_up = false;  // stop everything and exit when a child is given up on
};

class Supervisor {
 public:
  Supervisor(SupervisorOptions options, std::unique_ptr<ProcessLauncher> launcher);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Loads the config (InvalidArgument listing every error if it is bad: nothing is started), locks
  // the run dir (AlreadyExists if another supervisor uses it), opens the status socket, blocks the
  // signals and starts the children in config order.
  Status Start();

  // Serves signals, exits, restarts and status requests until SIGTERM/SIGINT (or, with
  // exit_on_give_up, a child given up on) and every child has stopped. OK after a requested stop;
  // Aborted-style Internal status naming the child if it stopped because of a give-up.
  Status Run();

  // Stops any child still running, in reverse order, and releases the run dir. Idempotent.
  void Shutdown();

 private:
  void Loop();
  void HandleSignals(SteadyTime now);
  void Reload(SteadyTime now);
  std::string RenderStatus(bool json);

  const SupervisorOptions options_;
  std::unique_ptr<ProcessLauncher> launcher_;
  std::unique_ptr<RunDir> run_dir_;
  std::unique_ptr<StatusServer> status_server_;
  std::unique_ptr<ChildSet> children_;
  int signal_fd_ = -1;
  bool started_ = false;
  std::string given_up_;  // the first child given up on, if any
};

}  // namespace dkv::supervisor
