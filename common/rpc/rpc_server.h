// RpcServer: serves one Thrift service on a TCP address with a thread per connection
// (TThreadedServer + BufferedTransport + TBinaryProtocol: the fastest choice measured on this kind
// of machine, see ../shared/TOOLCHAIN.md). A connection's thread waits for its next request in
// recv(2) itself, one syscall per request (not Thrift's interruptable poll-then-recv; Stop ends
// connections by shutting their sockets down instead; docs/performance.md). The processor's
// handler is called from many threads at once and must be thread-safe.
#pragma once

#include <thrift/TProcessor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/host_port.h"
#include "dkv/result.h"

namespace apache::thrift::server {
class TThreadedServer;
}

namespace dkv::rpc {

class RpcServer {
 public:
  // A connection that sends nothing (or takes no reply) for this long is closed (Thrift notices
  // within about a second more), so idle or stalled peers cannot pin the threads for good; pooled
  // clients notice the close and reconnect.
  static constexpr std::chrono::milliseconds kDefaultIdleTimeout{5 * 60 * 1000};

  // Binds `listen` (port 0: the kernel picks a free port) and serves on a thread of its own.
  // A request carrying a string (key, value) longer than `max_string_bytes` is a protocol error:
  // the connection is closed before anything that size is allocated. IO_ERROR naming the address
  // when it cannot bind.
  static Result<std::unique_ptr<RpcServer>> Start(
      const HostPort& listen, std::shared_ptr<apache::thrift::TProcessor> processor,
      int32_t max_string_bytes, std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout);

  ~RpcServer();  // Stop()
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // The bound port.
  uint16_t port() const { return port_; }

  // Stops accepting, closes every connection and joins the serving threads. Idempotent.
  void Stop();

 private:
  class Impl;
  explicit RpcServer(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
};

}  // namespace dkv::rpc
