#include "supervisor/status_socket.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dkv::supervisor {
namespace {

Result<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return Status::InvalidArgument("socket path too long (" + std::to_string(path.size()) +
                                   " bytes, at most " + std::to_string(sizeof(addr.sun_path) - 1) +
                                   "): " + path + "; use a shorter --run-dir");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

void SetTimeouts(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace

Result<std::unique_ptr<StatusServer>> StatusServer::Listen(const std::string& path) {
  DKV_ASSIGN_OR_RETURN(sockaddr_un addr, Address(path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 16) != 0) {
    int e = errno;
    close(fd);
    return Status::IoError("listen on " + path + ": " + std::strerror(e));
  }
  return std::unique_ptr<StatusServer>(new StatusServer(path, fd));
}

StatusServer::~StatusServer() {
  close(fd_);
  unlink(path_.c_str());
}

void StatusServer::ServeOne(const std::function<std::string(bool json)>& render) {
  int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  SetTimeouts(client, 200);
  std::string request;
  char buf[64];
  while (request.find('\n') == std::string::npos && request.size() < 256) {
    ssize_t n = recv(client, buf, sizeof(buf), 0);
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  if (request.find('\n') != std::string::npos) {
    bool json = request.rfind("status json", 0) == 0;
    std::string answer = render(json);
    size_t off = 0;
    while (off < answer.size()) {
      ssize_t n = send(client, answer.data() + off, answer.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  close(client);
}

Result<std::string> QueryStatus(const std::string& socket_path, bool json) {
  DKV_ASSIGN_OR_RETURN(sockaddr_un addr, Address(socket_path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  SetTimeouts(fd, 5000);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    close(fd);
    return Status::Unavailable("no dkv-supervisor answers on " + socket_path + ": " +
                               std::strerror(e));
  }
  std::string request = json ? "status json\n" : "status\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return Status::Unavailable("cannot send to " + socket_path);
  }
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  close(fd);
  if (answer.empty()) return Status::Unavailable("empty answer from " + socket_path);
  return answer;
}

}  // namespace dkv::supervisor
