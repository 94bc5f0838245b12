// The dkv-supervisor subcommands, one function each: they print what the user sees and return the
// process exit code. supervisor_main.cc parses options and calls one of them.
//
// Exit codes: 0 success; 1 runtime failure (cannot lock the run dir, no supervisor answers, ...);
// 2 invalid config or usage; 3 the supervisor stopped because it gave up on a child
// (--exit-on-give-up).
#pragma once

#include <string>

#include "supervisor/supervisor.h"

namespace dkv::supervisor {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadConfig = 2;
constexpr int kExitGaveUp = 3;

// Runs the daemon in the foreground until SIGTERM/SIGINT.
int RunSupervisor(const SupervisorOptions& options);
// Validates the config; prints every error with its line (stderr) or a one-line summary (stdout).
int CheckConfig(const std::string& config_path);
// Prints the running supervisor's view of its children.
int PrintStatus(const std::string& run_dir, bool json);
// SIGTERMs the supervisor of run_dir and waits up to timeout_ms for it to exit.
int StopSupervisor(const std::string& run_dir, int timeout_ms);
// SIGHUPs the supervisor of run_dir (re-read the config).
int ReloadSupervisor(const std::string& run_dir);

}  // namespace dkv::supervisor
