// Subprocess: fork/exec with everything prepared before fork, so the child calls only
// async-signal-safe functions (the test process has threads: gtest, ZooKeeper clients, ...).
#include "tests/harness/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

extern char** environ;

namespace dkv::test {
namespace {

std::string Errno(int err) { return strerror(err); }

// Resolves argv[0] against $PATH in the parent (execvp is not async-signal-safe).
std::string ResolveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return program;  // execve fails with ENOENT, reported through the error pipe
}

std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& additions) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (additions.count(key) == 0) env.push_back(std::move(entry));
  }
  for (const auto& [key, value] : additions) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The child's side of fork(): async-signal-safe calls only. Reports a failing step's errno
// through `error_fd` (close-on-exec, so a successful exec closes it and the parent reads EOF).
[[noreturn]] void RunChild(pid_t parent, int stdin_fd, int log_fd, int error_fd, const char* dir,
                           const char* program, char* const* argv, char* const* envp) {
  auto fail = [error_fd](int step) {
    int payload[2] = {step, errno};
    ssize_t ignored = write(error_fd, payload, sizeof(payload));
    (void)ignored;
    _exit(127);
  };
  // Own process group, so Kill() can take down whatever the child starts. Not setsid().
  if (setpgid(0, 0) != 0) fail(1);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(2);
  // The parent may have died before prctl took effect.
  if (getppid() != parent) _exit(127);
  // Signals ignored or blocked by the test process would otherwise be inherited.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) signal(sig, SIG_DFL);
  if (dup2(stdin_fd, STDIN_FILENO) < 0) fail(3);
  if (dup2(log_fd, STDOUT_FILENO) < 0) fail(4);
  if (dup2(log_fd, STDERR_FILENO) < 0) fail(5);
  if (dir != nullptr && chdir(dir) != 0) fail(6);
  execve(program, argv, envp);
  fail(7);
  _exit(127);  // not reached
}

const char* StepName(int step) {
  switch (step) {
    case 1:
      return "setpgid";
    case 2:
      return "prctl(PR_SET_PDEATHSIG)";
    case 3:
    case 4:
    case 5:
      return "dup2";
    case 6:
      return "chdir";
    default:
      return "execve";
  }
}

ExitStatus DecodeWaitStatus(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (exited) return "exit " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

Result<std::unique_ptr<Subprocess>> Subprocess::Start(SubprocessOptions options) {
  if (options.argv.empty()) return Status::InvalidArgument("Subprocess::Start: empty argv");
  std::string program = ResolveProgram(options.argv[0]);
  std::string name = Basename(options.argv[0]);
  std::vector<std::string> args = options.argv;
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);

  int stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (stdin_fd < 0) return Status::IoError("open /dev/null: " + Errno(errno));
  const std::string& log = options.log_path.empty() ? std::string("/dev/null") : options.log_path;
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    int err = errno;
    close(stdin_fd);
    return Status::IoError("open " + log + ": " + Errno(err));
  }
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    close(stdin_fd);
    close(log_fd);
    return Status::IoError("pipe2: " + Errno(err));
  }

  pid_t parent = getpid();
  const char* dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  pid_t pid = fork();
  if (pid == 0) {
    close(error_pipe[0]);
    RunChild(parent, stdin_fd, log_fd, error_pipe[1], dir, program.c_str(), argv.data(),
             envp.data());
  }
  int fork_errno = errno;
  close(stdin_fd);
  close(log_fd);
  close(error_pipe[1]);
  if (pid < 0) {
    close(error_pipe[0]);
    return Status::IoError("fork for " + name + ": " + Errno(fork_errno));
  }
  // Also from the parent, so the group exists before we might signal it (either call may win).
  setpgid(pid, pid);

  std::unique_ptr<Subprocess> child(new Subprocess(pid, name, options.log_path));
  int payload[2];
  ssize_t n;
  do {
    n = read(error_pipe[0], payload, sizeof(payload));
  } while (n < 0 && errno == EINTR);
  close(error_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(payload))) {
    // The child failed before exec; the destructor reaps it.
    return Status::IoError("cannot start " + program + ": " + StepName(payload[0]) + ": " +
                           Errno(payload[1]));
  }
  return child;
}

Subprocess::Subprocess(pid_t pid, std::string name, std::string log_path)
    : pid_(pid), name_(std::move(name)), log_path_(std::move(log_path)) {}

Subprocess::~Subprocess() {
  MutexLock lock(&mu_);
  if (exit_status_) return;
  KillGroupLocked();
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) exit_status_ = DecodeWaitStatus(status);
}

void Subprocess::TryReapLocked() {
  if (exit_status_) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_status_ = DecodeWaitStatus(status);
  } else if (r < 0 && errno == ECHILD) {
    // Someone else reaped it (a bug in the test); do not signal a pid that may be reused.
    exit_status_ = ExitStatus{};
  }
}

void Subprocess::KillGroupLocked() {
  // Only while the child is unreaped: its pid (= the group id) cannot be reused until then.
  if (exit_status_) return;
  if (kill(-pid_, SIGKILL) != 0) kill(pid_, SIGKILL);
}

Status Subprocess::Signal(int sig) {
  MutexLock lock(&mu_);
  TryReapLocked();
  if (exit_status_) {
    return Status::IoError(name_ + " (pid " + std::to_string(pid_) +
                           ") has already exited: " + exit_status_->ToString());
  }
  if (kill(pid_, sig) != 0) {
    return Status::IoError("kill " + name_ + " (pid " + std::to_string(pid_) +
                           "): " + Errno(errno));
  }
  return Status::OK();
}

Status Subprocess::Kill() {
  {
    MutexLock lock(&mu_);
    KillGroupLocked();
  }
  Result<ExitStatus> r = Wait(Deadline::After(std::chrono::seconds(10)));
  return r.ok() ? Status::OK() : r.status();
}

Result<ExitStatus> Subprocess::Stop(std::chrono::milliseconds grace) {
  {
    MutexLock lock(&mu_);
    TryReapLocked();
    if (exit_status_) return *exit_status_;
    kill(pid_, SIGTERM);
  }
  Result<ExitStatus> r = Wait(Deadline::After(grace));
  if (r.ok()) return r;
  {
    MutexLock lock(&mu_);
    KillGroupLocked();
  }
  return Wait(Deadline::After(std::chrono::seconds(10)));
}

Result<ExitStatus> Subprocess::Wait(Deadline deadline) {
  auto poll = std::chrono::milliseconds(1);
  while (true) {
    {
      MutexLock lock(&mu_);
      TryReapLocked();
      if (exit_status_) return *exit_status_;
    }
    if (deadline.Expired()) {
      return Status::TimedOut(name_ + " (pid " + std::to_string(pid_) + ") still running");
    }
    std::this_thread::sleep_for(
        std::min(poll, std::max(deadline.Remaining(), std::chrono::milliseconds(1))));
    poll = std::min(poll * 2, std::chrono::milliseconds(20));
  }
}

bool Subprocess::IsRunning() {
  MutexLock lock(&mu_);
  TryReapLocked();
  return !exit_status_.has_value();
}

std::optional<ExitStatus> Subprocess::exit_status() {
  MutexLock lock(&mu_);
  TryReapLocked();
  return exit_status_;
}

}  // namespace dkv::test
