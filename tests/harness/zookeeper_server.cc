#include "tests/harness/zookeeper_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "common/deadline.h"
#include "tests/harness/test_util.h"

namespace dkv::test {
namespace {

int RemainingMs(const Deadline& deadline) { return static_cast<int>(deadline.Remaining().count()); }

}  // namespace

Result<std::unique_ptr<ZooKeeperServer>> ZooKeeperServer::Start(
    const std::string& dir, int port, int tick_ms, std::chrono::milliseconds ready_timeout) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("create " + dir + ": " + ec.message());
  std::string abs_dir = std::filesystem::absolute(dir).string();
  if (port == 0) port = PickFreePort();
  std::unique_ptr<ZooKeeperServer> server(
      new ZooKeeperServer(abs_dir, port, tick_ms, ready_timeout));
  DKV_RETURN_NOT_OK(server->Launch());
  return server;
}

ZooKeeperServer::ZooKeeperServer(std::string dir, int port, int tick_ms,
                                 std::chrono::milliseconds ready_timeout)
    : dir_(std::move(dir)),
      port_(port),
      tick_ms_(tick_ms),
      ready_timeout_(ready_timeout),
      connect_string_("127.0.0.1:" + std::to_string(port)) {}

ZooKeeperServer::~ZooKeeperServer() { (void)Stop(); }

Status ZooKeeperServer::Launch() {
  SubprocessOptions options;
  options.argv = {SourcePath("scripts/zk-server"), dir_, std::to_string(port_),
                  std::to_string(tick_ms_)};
  options.env["DKV_ZK_ADDRESS"] = "127.0.0.1";
  // zk-server redirects java's output itself; this log only catches the script's own errors.
  options.log_path = dir_ + "/zk-server.out";
  DKV_ASSIGN_OR_RETURN(process_, Subprocess::Start(std::move(options)));

  Deadline deadline = Deadline::After(ready_timeout_);
  Status exited;
  Status ready = WaitFor(
      [&] {
        if (!process_->IsRunning()) {
          exited = Status::IoError("ZooKeeper exited: " + process_->exit_status()->ToString());
          return true;
        }
        Result<std::string> reply = FourLetterWord("ruok", std::chrono::milliseconds(500));
        if (!reply.ok() || *reply != "imok") return false;
        // Make sure it is our server that answers, not another one holding the port.
        Result<std::string> conf = FourLetterWord("conf", std::chrono::milliseconds(500));
        return conf.ok() && conf->find("dataDir=" + dir_ + "/data/") != std::string::npos;
      },
      deadline, std::chrono::milliseconds(25), "ZooKeeper to answer ruok");
  if (!exited.ok()) ready = exited;
  if (!ready.ok()) {
    (void)process_->Kill();
    process_.reset();
    return DiagnosticsFor(ready);
  }
  return Status::OK();
}

Status ZooKeeperServer::DiagnosticsFor(Status failure) const {
  std::string message =
      "ZooKeeper on " + connect_string_ + " (dir " + dir_ + "): " + failure.message();
  for (const char* file : {"/zk-server.out", "/zookeeper.out", "/zookeeper.log"}) {
    std::string tail = ReadFileTail(dir_ + file, 2048);
    if (!tail.empty()) message += "\n--- tail of " + dir_ + file + " ---\n" + tail;
  }
  return Status(failure.code(), message);
}

bool ZooKeeperServer::IsRunning() const { return process_ != nullptr && process_->IsRunning(); }

pid_t ZooKeeperServer::pid() const { return IsRunning() ? process_->pid() : -1; }

Status ZooKeeperServer::Stop() {
  if (process_ == nullptr) return Status::OK();
  Result<ExitStatus> r = process_->Stop(std::chrono::seconds(5));
  process_.reset();
  return r.ok() ? Status::OK() : r.status();
}

Status ZooKeeperServer::Kill() {
  if (process_ == nullptr) return Status::OK();
  Status s = process_->Kill();
  process_.reset();
  return s;
}

Status ZooKeeperServer::Pause() {
  if (process_ == nullptr) return Status::IoError("ZooKeeper is not running");
  return process_->Signal(SIGSTOP);
}

Status ZooKeeperServer::Resume() {
  if (process_ == nullptr) return Status::IoError("ZooKeeper is not running");
  return process_->Signal(SIGCONT);
}

Status ZooKeeperServer::Restart() {
  DKV_RETURN_NOT_OK(Stop());
  return Launch();
}

Result<std::string> ZooKeeperServer::FourLetterWord(const std::string& command,
                                                    std::chrono::milliseconds timeout) {
  Deadline deadline = Deadline::After(timeout);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno != EINPROGRESS) {
    return Status::Unavailable("connect " + connect_string_ + ": " + strerror(errno));
  }
  pollfd pfd{fd, POLLOUT, 0};
  if (poll(&pfd, 1, RemainingMs(deadline)) != 1) {
    return Status::TimedOut("connect " + connect_string_);
  }
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return Status::Unavailable("connect " + connect_string_ + ": " + strerror(err));
  if (send(fd, command.data(), command.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(command.size())) {
    return Status::Unavailable("send to " + connect_string_ + ": " + strerror(errno));
  }
  std::string reply;
  char buf[4096];
  while (true) {
    pfd = pollfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, RemainingMs(deadline));
    if (ready != 1) return Status::TimedOut(command + " on " + connect_string_);
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) break;  // the server closes after its reply
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Status::Unavailable("recv from " + connect_string_ + ": " + strerror(errno));
    }
    reply.append(buf, static_cast<size_t>(n));
  }
  return reply;
}

}  // namespace dkv::test
