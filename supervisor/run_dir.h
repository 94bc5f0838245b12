// RunDir: the supervisor's run directory and what lives in it.
//
//   <run-dir>/supervisor.pid   the running supervisor's pid; flock'ed while it runs, so two
//                              supervisors never share a run dir and a stale file is harmless
//   <run-dir>/supervisor.sock  the status socket (status_socket.h)
//   <run-dir>/<child>.log      each child's stdout+stderr, appended (unless its log_file says else)
//
// Thread-compatible. The lock is held from Lock() until the object is destroyed.
#pragma once

#include <sys/types.h>

#include <string>

#include "dkv/result.h"

namespace dkv::supervisor {

class RunDir {
 public:
  explicit RunDir(std::string path) : path_(std::move(path)) {}
  ~RunDir();  // releases the lock and removes the pid file if Lock() succeeded
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;

  const std::string& path() const { return path_; }
  std::string pid_file() const { return path_ + "/supervisor.pid"; }
  std::string socket_path() const { return path_ + "/supervisor.sock"; }

  // Creates the directory (and its parents) if needed, takes the pid-file lock and writes our pid.
  // AlreadyExists naming the other supervisor's pid if one holds the lock; IoError otherwise.
  Status Lock();

  // The pid of the supervisor that holds the lock on `path`'s pid file. NotFound if no supervisor
  // runs there (no file, or nobody holds its lock).
  static Result<pid_t> RunningSupervisorPid(const std::string& path);

 private:
  std::string path_;
  int lock_fd_ = -1;
};

}  // namespace dkv::supervisor
