// RespServer: the RESP2 listener of dkv-server (issue #5; commands in docs/resp.md).
//
// Event-driven: a fixed number of I/O threads, each with its own epoll set of nonblocking
// connections; the first one also accepts and deals new connections out round-robin. One round of
// an I/O thread: wait for ready connections, read and plan every complete command on each of them
// into ONE batch of dkv::Ops, execute that batch through the RespBackend (so the commands of all
// the connections ready at once travel to each data node in one call), then write every
// connection's replies in the order its commands came. A connection is only in one round at a
// time, so a slow data node delays replies but never reorders them. A connection whose replies
// the socket does not take is not read again until they are sent (backpressure). Out of file
// descriptors, the listener rests 100 ms at a time; waiting clients stay in the backlog.
//
// Lifecycle: Start() binds and starts the threads; Stop() (or the destructor) joins them and
// closes every connection. The backend must outlive the RespServer.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "common/host_port.h"
#include "common/mutex.h"
#include "dkv/result.h"
#include "server/resp/request_parser.h"
#include "server/resp_commands.h"

namespace dkv::server {

struct RespServerOptions {
  HostPort listen{"0.0.0.0", 0};
  // One thread makes the largest batches; measured on 2 cores it served redis-benchmark -c 50 at
  // about twice the rate of four, at half the CPU per command (docs/performance.md).
  int io_threads = 1;
  resp::RequestLimits limits;
};

class RespServer {
 public:
  // Binds `options.listen` (port 0: a free one) and starts serving. IO_ERROR when the address
  // cannot be bound.
  static Result<std::unique_ptr<RespServer>> Start(const RespServerOptions& options,
                                                   RespBackend* backend);
  ~RespServer();
  RespServer(const RespServer&) = delete;
  RespServer& operator=(const RespServer&) = delete;

  // The bound port.
  int port() const { return port_; }
  // Stops the threads and closes every connection. Idempotent.
  void Stop();

 private:
  struct IoThread;

  RespServer(const RespServerOptions& options, RespBackend* backend, int listen_fd, int port);
  void Run(IoThread* io);
  void AcceptAll(IoThread* io);
  // Registers a new connection with `io` (its own thread).
  void Adopt(IoThread* io, int fd);

  const RespServerOptions options_;
  RespBackend* const backend_;
  const int listen_fd_;
  const int port_;
  RespStats stats_;
  RespCommands commands_;
  std::vector<std::unique_ptr<IoThread>> io_threads_;
  std::atomic<size_t> next_io_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace dkv::server
