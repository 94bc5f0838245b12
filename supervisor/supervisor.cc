#include "supervisor/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"

namespace dkv::supervisor {
namespace {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGCHLD);
  return set;
}

SteadyTime Now() { return std::chrono::steady_clock::now(); }

}  // namespace

Supervisor::Supervisor(SupervisorOptions options, std::unique_ptr<ProcessLauncher> launcher)
    : options_(std::move(options)), launcher_(std::move(launcher)) {}

Supervisor::~Supervisor() { Shutdown(); }

Status Supervisor::Start() {
  DKV_CHECK(!started_) << "Start called twice";
  DKV_ASSIGN_OR_RETURN(SupervisorConfig config, LoadSupervisorConfig(options_.config_path));
  run_dir_ = std::make_unique<RunDir>(options_.run_dir);
  DKV_RETURN_NOT_OK(run_dir_->Lock());
  DKV_ASSIGN_OR_RETURN(status_server_, StatusServer::Listen(run_dir_->socket_path()));

  // Blocked before the first fork, so no SIGCHLD is lost: a blocked signal stays pending for the
  // fd.
  sigset_t set = HandledSignals();
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    return Status::IoError(std::string("sigprocmask: ") + std::strerror(errno));
  }
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return Status::IoError(std::string("signalfd: ") + std::strerror(errno));

  children_ = std::make_unique<ChildSet>(launcher_.get(), options_.run_dir);
  children_->SetGiveUpCallback([this](const std::string& name) {
    if (given_up_.empty()) given_up_ = name;
  });
  started_ = true;
  DKV_LOG(INFO) << "dkv-supervisor pid " << getpid() << " starting " << config.children.size()
                << " child(ren) from " << options_.config_path << ", run dir " << options_.run_dir;
  if (config.children.empty()) DKV_LOG(WARNING) << "the config lists no children";
  children_->Start(std::move(config.children), Now());
  return Status::OK();
}

Status Supervisor::Run() {
  DKV_CHECK(started_) << "Run before Start";
  Loop();
  if (options_.exit_on_give_up && !given_up_.empty()) {
    return Status::Internal("gave up on child '" + given_up_ + "' (--exit-on-give-up)");
  }
  return Status::OK();
}

void Supervisor::Loop() {
  while (!children_->ShutdownComplete()) {
    SteadyTime now = Now();
    int timeout_ms = -1;
    if (auto next = children_->NextDeadline()) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
      timeout_ms = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(wait, 60000)));
    }
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {status_server_->fd(), POLLIN, 0}};
    int n = poll(fds, 2, timeout_ms);
    if (n < 0 && errno != EINTR) {
      DKV_LOG(ERROR) << "poll: " << std::strerror(errno);
    }
    now = Now();
    if (fds[0].revents & POLLIN) HandleSignals(now);
    // Reap on every pass: SIGCHLD coalesces, and reaping is cheap when nothing exited.
    while (auto exited = launcher_->ReapOne()) {
      children_->OnExit(exited->pid, exited->wait_status, now);
    }
    if (fds[1].revents & POLLIN) {
      status_server_->ServeOne([this](bool json) { return RenderStatus(json); });
    }
    children_->Tick(now);
    if (options_.exit_on_give_up && !given_up_.empty() && !children_->shutting_down()) {
      DKV_LOG(ERROR) << "child '" << given_up_ << "' given up and --exit-on-give-up is set: "
                     << "stopping everything";
      children_->BeginShutdown(now);
    }
  }
}

void Supervisor::HandleSignals(SteadyTime now) {
  signalfd_siginfo info;
  while (read(signal_fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    switch (info.ssi_signo) {
      case SIGTERM:
      case SIGINT:
        DKV_LOG(INFO) << "got " << sigabbrev_np(static_cast<int>(info.ssi_signo)) << " from pid "
                      << info.ssi_pid;
        children_->BeginShutdown(now);
        break;
      case SIGHUP:
        Reload(now);
        break;
      default:  // SIGCHLD: the loop reaps after this
        break;
    }
  }
}

void Supervisor::Reload(SteadyTime now) {
  if (children_->shutting_down()) return;
  DKV_LOG(INFO) << "SIGHUP: re-reading " << options_.config_path;
  Result<SupervisorConfig> config = LoadSupervisorConfig(options_.config_path);
  if (!config.ok()) {
    DKV_LOG(ERROR) << "reload rejected, keeping the running children: "
                   << config.status().message();
    return;
  }
  children_->Reload(std::move(config->children), now);
}

std::string Supervisor::RenderStatus(bool json) {
  std::vector<ChildStatus> snapshot = children_->Snapshot(Now());
  if (json) return FormatStatusJson(getpid(), snapshot);
  return "dkv-supervisor pid " + std::to_string(getpid()) + ", config " + options_.config_path +
         (children_->shutting_down() ? ", shutting down" : "") + "\n" + FormatStatusText(snapshot);
}

void Supervisor::Shutdown() {
  if (started_ && !children_->ShutdownComplete()) {
    children_->BeginShutdown(Now());
    Loop();
  }
  status_server_.reset();
  if (signal_fd_ >= 0) {
    close(signal_fd_);
    signal_fd_ = -1;
  }
  run_dir_.reset();
}

}  // namespace dkv::supervisor
