// RpcConnection and RpcPool: the one Thrift client wrapper. Every dkv caller of a Thrift service
// (master -> data node, client -> master) goes through it, so connecting, reconnecting after a
// failure, timeouts and the mapping of Thrift's exceptions onto Status live here and nowhere else.
//
// Wire: TSocket (TCP_NODELAY) + BufferedTransport + TBinaryProtocol, matching RpcServer.
// Retries: none at this level. A caller that knows its operation is idempotent, or that follows a
// new master, retries with its own deadline (client/master_finder, server/router).
#pragma once

#include <poll.h>
#include <thrift/TApplicationException.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>
#include <thrift/transport/TTransportException.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/host_port.h"
#include "common/mutex.h"
#include "common/rpc/buffered_transport.h"
#include "common/rpc/error_mapping.h"
#include "common/rpc/thrift_logging.h"
#include "dkv/status.h"

namespace dkv::rpc {

struct RpcOptions {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds call_timeout{5000};  // each send and each receive
};

// One connection to one address, opened on first use and reopened after a failure.
// Not thread-safe: used by one thread at a time (RpcPool hands connections out).
template <typename ClientT>
class RpcConnection {
 public:
  RpcConnection(HostPort address, RpcOptions options)
      : address_(std::move(address)), options_(options) {}
  RpcConnection(const RpcConnection&) = delete;
  RpcConnection& operator=(const RpcConnection&) = delete;
  ~RpcConnection() { Close(); }

  const HostPort& address() const { return address_; }

  // Runs fn(ClientT&) on an open connection, bounding each send/receive by `timeout` (zero: the
  // options' call_timeout). Returns OK; the far side's DkvError as its Status; UNAVAILABLE naming
  // the address when connecting or the transport fails (the connection is then closed, and the next
  // Call reconnects); INTERNAL for a protocol or application error.
  template <typename Fn>
  Status Call(Fn&& fn, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    if (timeout.count() <= 0) timeout = options_.call_timeout;
    try {
      if (!client_) Open();
      SetTimeout(timeout);
      fn(*client_);
      return Status::OK();
    } catch (const DkvError& e) {
      return FromThrift(e);
    } catch (const apache::thrift::transport::TTransportException& e) {
      Close();
      return Status::Unavailable("connection to " + address_.ToString() + " failed: " + e.what());
    } catch (const apache::thrift::TException& e) {
      // The stream may be out of step after a protocol error: start afresh next time.
      Close();
      return Status::Internal("call to " + address_.ToString() + " failed: " + e.what());
    } catch (const std::exception& e) {
      // E.g. bad_alloc on a corrupt reply length: nothing may escape to the caller's thread.
      Close();
      return Status::Internal("call to " + address_.ToString() + " failed: " + e.what());
    }
  }

  // True when an idle connection is known to be unusable: the peer closed it (or sent bytes no
  // request asked for). One poll(2), no blocking.
  bool IsBroken() const {
    if (!client_) return false;
    pollfd p{socket_->getSocketFD(), POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  void Close() {
    client_.reset();
    if (transport_) {
      try {
        transport_->close();
      } catch (const apache::thrift::TException&) {
        // Closing a broken socket: nothing left to do.
      }
    }
    transport_.reset();
    socket_.reset();
    timeout_ms_ = -1;
  }

 private:
  void Open() {
    RouteThriftLogging();
    socket_ = std::make_shared<apache::thrift::transport::TSocket>(address_.host, address_.port);
    socket_->setConnTimeout(static_cast<int>(options_.connect_timeout.count()));
    socket_->setNoDelay(true);
    transport_ = std::make_shared<BufferedTransport>(socket_);
    transport_->open();
    client_ = std::make_unique<ClientT>(
        std::make_shared<apache::thrift::protocol::TBinaryProtocol>(transport_));
  }

  void SetTimeout(std::chrono::milliseconds timeout) {
    const int ms = static_cast<int>(timeout.count());
    if (ms == timeout_ms_) return;  // setsockopt only when it changes
    socket_->setRecvTimeout(ms);
    socket_->setSendTimeout(ms);
    timeout_ms_ = ms;
  }

  const HostPort address_;
  const RpcOptions options_;
  std::shared_ptr<apache::thrift::transport::TSocket> socket_;
  std::shared_ptr<apache::thrift::transport::TTransport> transport_;
  std::unique_ptr<ClientT> client_;
  int timeout_ms_ = -1;
};

// A pool of connections to one address. Thread-safe: each call borrows an idle connection (or
// makes one), runs on it, and gives it back; so concurrent callers use distinct connections, and
// connections persist across calls (never one connect per request).
template <typename ClientT>
class RpcPool {
 public:
  RpcPool(HostPort address, RpcOptions options, size_t max_idle = 64)
      : address_(std::move(address)), options_(options), max_idle_(max_idle) {}
  RpcPool(const RpcPool&) = delete;
  RpcPool& operator=(const RpcPool&) = delete;

  const HostPort& address() const { return address_; }

  // As RpcConnection::Call, on a connection of the pool.
  template <typename Fn>
  Status Call(Fn&& fn, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    std::unique_ptr<RpcConnection<ClientT>> conn = Borrow();
    Status s = conn->Call(std::forward<Fn>(fn), timeout);
    Return(std::move(conn));
    return s;
  }

  // For a call split into a send and a later receive (several calls in flight at once): an idle
  // connection (or a new one, unopened) that the caller alone uses until it gives it back. Give it
  // back only between calls; Close() it first when a sent request's reply was not read.
  std::unique_ptr<RpcConnection<ClientT>> Borrow() EXCLUDES(mu_) {
    while (true) {
      std::unique_ptr<RpcConnection<ClientT>> conn;
      {
        MutexLock l(&mu_);
        if (idle_.empty()) break;
        conn = std::move(idle_.back());
        idle_.pop_back();
      }
      // A peer that restarted closed our idle connections; drop them rather than fail a call.
      // Checked outside the lock: the poll(2) must not hold up the other callers.
      if (!conn->IsBroken()) return conn;
    }
    return std::make_unique<RpcConnection<ClientT>>(address_, options_);
  }

  void Return(std::unique_ptr<RpcConnection<ClientT>> conn) EXCLUDES(mu_) {
    MutexLock l(&mu_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(conn));
  }

 private:
  const HostPort address_;
  const RpcOptions options_;
  const size_t max_idle_;
  Mutex mu_;
  std::vector<std::unique_ptr<RpcConnection<ClientT>>> idle_ GUARDED_BY(mu_);
};

}  // namespace dkv::rpc
