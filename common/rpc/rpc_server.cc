#include "common/rpc/rpc_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>
#include <thrift/transport/TSocket.h>

#include <thread>
#include <unordered_map>

#include "common/logging.h"
#include "common/mutex.h"
#include "common/rpc/buffered_transport.h"
#include "common/rpc/thrift_logging.h"

namespace dkv::rpc {

using apache::thrift::TException;
using apache::thrift::protocol::TBinaryProtocolFactory;
using apache::thrift::server::TThreadedServer;
using apache::thrift::transport::TServerSocket;
using apache::thrift::transport::TSocket;
using apache::thrift::transport::TTransport;
using apache::thrift::transport::TTransportFactory;

namespace {

// The longest list a request may carry. Dkv.execute and DataNode.execute carry one Op per command
// of a batch: an MGET of a million keys (the RESP front end's argument limit) or a RESP round (see
// RespServer) must fit. The bound stops a corrupt length from allocating more than that many
// elements (Thrift sizes a list before reading it).
constexpr int32_t kMaxContainerSize = 1 << 21;

// The open connections of one server, so that Stop can end them. Thrift's own way (interruptable
// children) makes every read of every connection a poll(2) on the socket and an interrupt pipe
// before the recv(2): a syscall per request. Without it a connection thread sleeps in recv itself,
// and Stop wakes it by shutting its socket down (the read sees end-of-file).
class ConnectionRegistry {
 public:
  void Add(const void* connection, THRIFT_SOCKET fd) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    if (stopping_) ::shutdown(fd, SHUT_RDWR);  // accepted while stopping: ends at its first read
    fds_.emplace(connection, fd);
  }

  // Called before the connection's socket is closed, so ShutdownAll never touches a closed (or
  // reused) descriptor.
  void Remove(const void* connection) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    fds_.erase(connection);
  }

  // Ends every connection, now and accepted from now on.
  void ShutdownAll() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    stopping_ = true;
    for (const auto& [connection, fd] : fds_) ::shutdown(fd, SHUT_RDWR);
  }

 private:
  Mutex mu_;
  std::unordered_map<const void*, THRIFT_SOCKET> fds_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
};

// A served connection that is in the registry from accept until it is closed.
class RegisteredSocket : public TSocket {
 public:
  RegisteredSocket(THRIFT_SOCKET fd, std::shared_ptr<ConnectionRegistry> registry)
      : TSocket(fd), registry_(std::move(registry)) {
    registry_->Add(this, fd);
  }
  ~RegisteredSocket() override { registry_->Remove(this); }  // before ~TSocket closes it

  void close() override {
    registry_->Remove(this);
    TSocket::close();
  }

 private:
  const std::shared_ptr<ConnectionRegistry> registry_;
};

// Serves each connection on a BufferedTransport (not Thrift's TBufferedTransport).
class BufferedTransportFactory : public TTransportFactory {
 public:
  std::shared_ptr<TTransport> getTransport(std::shared_ptr<TTransport> transport) override {
    return std::make_shared<BufferedTransport>(std::move(transport));
  }
};

// A TServerSocket whose connections are RegisteredSockets, not interruptable ones.
class RegisteringServerSocket : public TServerSocket {
 public:
  RegisteringServerSocket(const std::string& host, int port,
                          std::shared_ptr<ConnectionRegistry> registry)
      : TServerSocket(host, port), registry_(std::move(registry)) {
    setInterruptableChildren(false);
  }

 protected:
  std::shared_ptr<TSocket> createSocket(THRIFT_SOCKET client) override {
    return std::make_shared<RegisteredSocket>(client, registry_);
  }

 private:
  const std::shared_ptr<ConnectionRegistry> registry_;
};

}  // namespace

// Owns the TThreadedServer and the thread running serve(). Start() waits until the socket is bound
// (listen callback: port known) or serve() failed (bind error), whichever comes first.
class RpcServer::Impl {
 public:
  Impl(const HostPort& listen, std::shared_ptr<apache::thrift::TProcessor> processor,
       int32_t max_string_bytes, std::chrono::milliseconds idle_timeout)
      : registry_(std::make_shared<ConnectionRegistry>()),
        socket_(std::make_shared<RegisteringServerSocket>(listen.host, listen.port, registry_)),
        server_(processor, socket_, std::make_shared<BufferedTransportFactory>(),
                std::make_shared<TBinaryProtocolFactory>(max_string_bytes, kMaxContainerSize, false,
                                                         true)) {
    // Thrift calls this after bind() but before listen(). We listen here already (Thrift's own
    // listen() on the same socket then only re-sets the backlog), so that once Start() returns
    // the port, connections to it are accepted rather than refused.
    socket_->setRecvTimeout(static_cast<int>(idle_timeout.count()));
    socket_->setSendTimeout(static_cast<int>(idle_timeout.count()));
    socket_->setListenCallback([this](THRIFT_SOCKET fd) {
      ::listen(fd, SOMAXCONN);
      sockaddr_storage addr{};
      socklen_t len = sizeof(addr);
      uint16_t port = 0;
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        port = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
      }
      MutexLock l(&mu_);
      port_ = port;
      cv_.SignalAll();
    });
  }

  Status Run(const HostPort& listen) EXCLUDES(mu_) {
    thread_ = std::thread([this] {
      std::string error;
      try {
        server_.serve();
      } catch (const std::exception& e) {  // TException included
        error = e.what();
      }
      MutexLock l(&mu_);
      done_ = true;
      error_ = error;
      cv_.SignalAll();
    });
    MutexLock l(&mu_);
    while (port_ == 0 && !done_) cv_.Wait();
    if (port_ == 0) {
      return Status::IoError("cannot listen on " + listen.ToString() + ": " +
                             (error_.empty() ? "server stopped" : error_));
    }
    return Status::OK();
  }

  uint16_t port() EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return port_;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    server_.stop();            // no more accepts; serve() returns once every connection has ended
    registry_->ShutdownAll();  // ends them
    thread_.join();
  }

 private:
  const std::shared_ptr<ConnectionRegistry> registry_;
  std::shared_ptr<TServerSocket> socket_;
  TThreadedServer server_;
  std::thread thread_;
  Mutex mu_;
  CondVar cv_{&mu_};
  uint16_t port_ GUARDED_BY(mu_) = 0;
  bool done_ GUARDED_BY(mu_) = false;
  std::string error_ GUARDED_BY(mu_);
};

Result<std::unique_ptr<RpcServer>> RpcServer::Start(
    const HostPort& listen, std::shared_ptr<apache::thrift::TProcessor> processor,
    int32_t max_string_bytes, std::chrono::milliseconds idle_timeout) {
  RouteThriftLogging();
  auto impl = std::make_unique<Impl>(listen, std::move(processor), max_string_bytes, idle_timeout);
  Status s = impl->Run(listen);
  if (!s.ok()) {
    impl->Stop();
    return s;
  }
  uint16_t port = impl->port();
  return std::unique_ptr<RpcServer>(new RpcServer(std::move(impl), port));
}

RpcServer::RpcServer(std::unique_ptr<Impl> impl, uint16_t port)
    : impl_(std::move(impl)), port_(port) {}

RpcServer::~RpcServer() { Stop(); }

void RpcServer::Stop() { impl_->Stop(); }

}  // namespace dkv::rpc
