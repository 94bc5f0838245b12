#include "supervisor/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace dkv::supervisor {
namespace {

Status MakeDirs(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::IoError("mkdir " + partial + ": " + std::strerror(errno));
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IoError("run dir " + path + " is not a directory");
  }
  return Status::OK();
}

pid_t ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  return n > 0 ? static_cast<pid_t>(std::atol(buf)) : 0;
}

}  // namespace

RunDir::~RunDir() {
  if (lock_fd_ >= 0) {
    unlink(pid_file().c_str());  // still holding the lock: nobody else owns the file
    close(lock_fd_);
  }
}

Status RunDir::Lock() {
  DKV_RETURN_NOT_OK(MakeDirs(path_));
  int fd = open(pid_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("open " + pid_file() + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    pid_t other = ReadPid(fd);
    close(fd);
    if (e == EWOULDBLOCK) {
      return Status::AlreadyExists("another dkv-supervisor (pid " + std::to_string(other) +
                                   ") runs in " + path_);
    }
    return Status::IoError("lock " + pid_file() + ": " + std::strerror(e));
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int e = errno;
    close(fd);
    return Status::IoError("write " + pid_file() + ": " + std::strerror(e));
  }
  lock_fd_ = fd;
  return Status::OK();
}

Result<pid_t> RunDir::RunningSupervisorPid(const std::string& path) {
  RunDir dir(path);
  int fd = open(dir.pid_file().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("no dkv-supervisor runs in " + path);
  // If we can take the lock, nobody holds it: the file is stale.
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    close(fd);
    return Status::NotFound("no dkv-supervisor runs in " + path + " (stale pid file)");
  }
  pid_t pid = ReadPid(fd);
  close(fd);
  if (pid <= 0) return Status::NotFound("no dkv-supervisor pid in " + dir.pid_file());
  return pid;
}

}  // namespace dkv::supervisor
