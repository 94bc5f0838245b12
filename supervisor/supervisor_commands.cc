#include "supervisor/supervisor_commands.h"

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "common/deadline.h"
#include "common/logging.h"
#include "supervisor/run_dir.h"
#include "supervisor/status_socket.h"

namespace dkv::supervisor {

int RunSupervisor(const SupervisorOptions& options) {
  Supervisor supervisor(options, NewPosixProcessLauncher());
  Status s = supervisor.Start();
  if (!s.ok()) {
    DKV_LOG(ERROR) << "dkv-supervisor refuses to start: " << s.message();
    supervisor.Shutdown();
    if (s.code() == Status::Code::kInvalidArgument) return kExitBadConfig;
    return kExitFailure;
  }
  s = supervisor.Run();
  supervisor.Shutdown();
  if (!s.ok()) {
    DKV_LOG(ERROR) << "dkv-supervisor exits: " << s.message();
    return kExitGaveUp;
  }
  DKV_LOG(INFO) << "dkv-supervisor stopped cleanly";
  return kExitOk;
}

int CheckConfig(const std::string& config_path) {
  Result<SupervisorConfig> config = LoadSupervisorConfig(config_path);
  if (!config.ok()) {
    std::cerr << config.status().message() << std::endl;
    return config.status().code() == Status::Code::kInvalidArgument ? kExitBadConfig : kExitFailure;
  }
  std::cout << config_path << ": OK, " << config->children.size() << " child(ren):";
  for (const ChildSpec& c : config->children) std::cout << ' ' << c.name;
  std::cout << std::endl;
  return kExitOk;
}

int PrintStatus(const std::string& run_dir, bool json) {
  Result<std::string> answer = QueryStatus(RunDir(run_dir).socket_path(), json);
  if (!answer.ok()) {
    std::cerr << "dkv-supervisor status: " << answer.status().message() << std::endl;
    return kExitFailure;
  }
  std::cout << *answer << std::flush;
  return kExitOk;
}

int StopSupervisor(const std::string& run_dir, int timeout_ms) {
  Result<pid_t> pid = RunDir::RunningSupervisorPid(run_dir);
  if (!pid.ok()) {
    std::cerr << "dkv-supervisor stop: " << pid.status().message() << std::endl;
    return kExitFailure;
  }
  if (kill(*pid, SIGTERM) != 0) {
    std::cerr << "dkv-supervisor stop: kill " << *pid << " failed" << std::endl;
    return kExitFailure;
  }
  // The supervisor releases its run-dir lock as the very last thing, after every child is gone.
  Deadline deadline = Deadline::After(std::chrono::milliseconds(timeout_ms));
  while (!deadline.Expired()) {
    if (!RunDir::RunningSupervisorPid(run_dir).ok()) return kExitOk;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::cerr << "dkv-supervisor stop: pid " << *pid << " still running after " << timeout_ms << " ms"
            << std::endl;
  return kExitFailure;
}

int ReloadSupervisor(const std::string& run_dir) {
  Result<pid_t> pid = RunDir::RunningSupervisorPid(run_dir);
  if (!pid.ok()) {
    std::cerr << "dkv-supervisor reload: " << pid.status().message() << std::endl;
    return kExitFailure;
  }
  if (kill(*pid, SIGHUP) != 0) {
    std::cerr << "dkv-supervisor reload: kill " << *pid << " failed" << std::endl;
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace dkv::supervisor
