// The fork/exec ProcessLauncher. Everything the child needs (argv, envp, fds) is prepared before
// fork, so the child runs only async-signal-safe calls between fork and exec.
#include "supervisor/process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <map>

extern char** environ;

namespace dkv::supervisor {
namespace {

// What the child writes to the pipe when a step before or at exec fails.
struct ExecFailure {
  int step;  // kStep*
  int error;
};
constexpr int kStepChdir = 1;
constexpr int kStepExec = 2;
constexpr int kStepSetup = 3;

std::string Errno(int e) { return std::string(strerror(e)); }

std::vector<std::string> BuildEnv(const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> vars;
  std::vector<std::string> order;
  auto put = [&](const std::string& entry) {
    size_t eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    if (vars.count(name) == 0) order.push_back(name);
    vars[name] = entry;
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) put(*e);
  for (const std::string& e : overrides) put(e);
  std::vector<std::string> out;
  for (const std::string& name : order) out.push_back(vars[name]);
  return out;
}

[[noreturn]] void ChildFail(int fd, int step, int error) {
  ExecFailure f{step, error};
  ssize_t ignored = write(fd, &f, sizeof(f));
  (void)ignored;
  _exit(127);
}

class PosixProcessLauncher : public ProcessLauncher {
 public:
  Result<pid_t> Launch(const ChildSpec& spec, const std::string& log_path) override {
    int out_fd = -1;
    if (!log_path.empty()) {
      out_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (out_fd < 0) return Status::IoError("open log " + log_path + ": " + Errno(errno));
    }
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int pipe_fds[2];
    if (null_fd < 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) {
      int e = errno;
      if (out_fd >= 0) close(out_fd);
      if (null_fd >= 0) close(null_fd);
      return Status::IoError("launch setup: " + Errno(e));
    }

    std::vector<std::string> argv_s;
    argv_s.push_back(spec.command);
    argv_s.insert(argv_s.end(), spec.args.begin(), spec.args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s = BuildEnv(spec.env);
    std::vector<char*> envp;
    for (std::string& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    const char* dir = spec.working_dir.empty() ? nullptr : spec.working_dir.c_str();
    const char* exe = spec.executable.c_str();
    pid_t parent = getpid();

    pid_t pid = fork();
    if (pid < 0) {
      int e = errno;
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      close(null_fd);
      if (out_fd >= 0) close(out_fd);
      return Status::IoError("fork: " + Errno(e));
    }
    if (pid == 0) {
      // Child: async-signal-safe calls only.
      int wfd = pipe_fds[1];
      setpgid(0, 0);
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(wfd, kStepSetup, errno);
      // The supervisor may have died before prctl took effect: then nobody would kill us later.
      if (getppid() != parent) _exit(127);
      struct sigaction dfl;
      memset(&dfl, 0, sizeof(dfl));
      dfl.sa_handler = SIG_DFL;
      for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);  // EINVAL for some: fine
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      if (dup2(null_fd, STDIN_FILENO) < 0) ChildFail(wfd, kStepSetup, errno);
      if (out_fd >= 0) {
        if (dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0) {
          ChildFail(wfd, kStepSetup, errno);
        }
      }
      if (dir != nullptr && chdir(dir) != 0) ChildFail(wfd, kStepChdir, errno);
      execve(exe, argv.data(), envp.data());
      ChildFail(wfd, kStepExec, errno);
    }

    // Parent. Set the group here too, so it exists before anyone signals it whoever runs first
    // (EACCES once the child has exec'd, which means the child already did it).
    setpgid(pid, pid);
    close(pipe_fds[1]);
    close(null_fd);
    if (out_fd >= 0) close(out_fd);
    ExecFailure failure{0, 0};
    ssize_t n;
    do {
      n = read(pipe_fds[0], &failure, sizeof(failure));
    } while (n < 0 && errno == EINTR);
    close(pipe_fds[0]);
    if (n == 0) return pid;  // the pipe closed on exec: the program runs

    int ignored_status;
    while (waitpid(pid, &ignored_status, 0) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof(failure))) {
      return Status::IoError("child died before exec");
    }
    switch (failure.step) {
      case kStepChdir:
        return Status::IoError("chdir " + spec.working_dir + ": " + Errno(failure.error));
      case kStepExec:
        return Status::IoError("exec " + spec.executable + ": " + Errno(failure.error));
      default:
        return Status::IoError("child setup before exec: " + Errno(failure.error));
    }
  }

  void SignalGroup(pid_t pid, int sig) override {
    if (pid > 0) kill(-pid, sig);
  }

  std::optional<ExitedChild> ReapOne() override {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
      return std::nullopt;
    }
    pid_t pid = info.si_pid;
    // The zombie still holds the group id, so this cannot hit an unrelated group.
    kill(-pid, SIGKILL);
    ExitedChild exited;
    exited.pid = pid;
    while (waitpid(pid, &exited.wait_status, 0) < 0) {
      if (errno != EINTR) return std::nullopt;
    }
    return exited;
  }
};

}  // namespace

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* abbrev = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + " (SIG" + (abbrev ? abbrev : "?") + ")" +
           (WCOREDUMP(wait_status) ? ", core dumped" : "");
  }
  return "wait status " + std::to_string(wait_status);
}

bool IsNormalExit(int wait_status) {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::unique_ptr<ProcessLauncher> NewPosixProcessLauncher() {
  return std::make_unique<PosixProcessLauncher>();
}

}  // namespace dkv::supervisor
