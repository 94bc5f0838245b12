// ZooKeeperServer: a real standalone ZooKeeper for integration tests, run through scripts/zk-server
// (the one way dkv starts ZooKeeper) under a Subprocess.
//
//   auto zk = ZooKeeperServer::Start(dir.Sub("zk"));          // free port, tickTime 100 ms
//   ASSERT_TRUE(zk.ok()) << zk.status().ToString();
//   options.connect_string = (*zk)->connect_string();         // "127.0.0.1:<port>"
//   (*zk)->Stop(); ... (*zk)->Restart();                      // same port, same data
//
// With tickTime T the server clamps session timeouts to [2T, 300T] (scripts/zk-server).
// Lifecycle: Start returns a running, ready server; the destructor stops it. Not thread-safe: one
// owner (a fixture or SetUpTestSuite) drives it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

#include "dkv/result.h"
#include "dkv/status.h"
#include "tests/harness/subprocess.h"

namespace dkv::test {

class ZooKeeperServer {
 public:
  // Starts ZooKeeper with its config, data and logs in `dir` (created if missing) on
  // 127.0.0.1:`port` (0: a free port) and waits until it answers `ruok` with `imok`. On failure
  // (TIMED_OUT, IO_ERROR) the message carries the tail of dir/zookeeper.out and zookeeper.log.
  static Result<std::unique_ptr<ZooKeeperServer>> Start(
      const std::string& dir, int port = 0, int tick_ms = 100,
      std::chrono::milliseconds ready_timeout = std::chrono::seconds(20));

  ~ZooKeeperServer();  // Stop()
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  const std::string& connect_string() const { return connect_string_; }  // "127.0.0.1:<port>"
  int port() const { return port_; }
  int tick_ms() const { return tick_ms_; }
  const std::string& dir() const { return dir_; }
  bool IsRunning() const;
  pid_t pid() const;  // -1 when not running

  // SIGTERM, then SIGKILL after a grace period; OK if not running. Clients see the connection
  // drop (their sessions survive on disk and resume if it comes back in time).
  Status Stop();
  // SIGKILL; OK if not running.
  Status Kill();
  // SIGSTOP / SIGCONT: a server that accepts connections but never answers.
  Status Pause();
  Status Resume();
  // Stops the server if running, starts it again on the same port and data dir, waits for ready.
  Status Restart();

  // Sends a four-letter command ("ruok", "stat", "mntr", ...) and returns the reply.
  Result<std::string> FourLetterWord(const std::string& command,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(2));

 private:
  ZooKeeperServer(std::string dir, int port, int tick_ms, std::chrono::milliseconds ready_timeout);
  Status Launch();
  Status DiagnosticsFor(Status failure) const;

  const std::string dir_;
  const int port_;
  const int tick_ms_;
  const std::chrono::milliseconds ready_timeout_;
  const std::string connect_string_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace dkv::test
