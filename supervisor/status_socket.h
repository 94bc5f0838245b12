// The status socket: a unix stream socket in the run dir through which `dkv-supervisor status`
// asks the running supervisor for its view of the children.
//
// Protocol: the client connects and sends one line, "status\n" or "status json\n"; the server
// answers with the text or JSON rendering (child_status.h) and closes. Answers are computed live,
// so uptimes are current and a dead supervisor is noticed (connection refused).
//
// StatusServer is used by the supervisor's loop thread only (not thread-safe); QueryStatus is
// thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dkv/result.h"

namespace dkv::supervisor {

class StatusServer {
 public:
  // Binds and listens on `path`, replacing a stale socket file (the caller holds the run dir's
  // lock). InvalidArgument if the path is too long for a unix socket, IoError otherwise.
  static Result<std::unique_ptr<StatusServer>> Listen(const std::string& path);
  ~StatusServer();  // closes and unlinks the socket
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // For poll(): readable when a client is waiting.
  int fd() const { return fd_; }

  // Accepts one waiting client, if any, and answers it with render(json). A client that does not
  // send its request within 200 ms is dropped, so a stuck client cannot stall the supervisor.
  void ServeOne(const std::function<std::string(bool json)>& render);

 private:
  StatusServer(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

// Asks the supervisor listening on `socket_path` for its status. Unavailable if none answers.
Result<std::string> QueryStatus(const std::string& socket_path, bool json);

}  // namespace dkv::supervisor
