// MasterStub: the calls a client makes on one dkv-server, in plain C++ types. NewRpcMasterStub is
// the real one (Thrift over an RpcPool, the only client file that sees generated code); tests give
// the client fakes through MasterStubFactory.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/host_port.h"
#include "common/op.h"
#include "dkv/client.h"
#include "dkv/status.h"

namespace dkv::client {

// Thread-safe: many threads call one stub at once. Every method bounds each socket send and
// receive by `timeout` (> 0). On NOT_MASTER, *master_hint receives the master address the server
// named (empty when it knows none); it is left alone otherwise. A broken or refused connection is
// UNAVAILABLE naming the address.
class MasterStub {
 public:
  virtual ~MasterStub() = default;

  virtual const HostPort& address() const = 0;

  // Oneway: OK once sent. An error only if sending failed; the server never answers.
  virtual Status UnsafePut(std::string_view key, std::string_view value,
                           std::chrono::milliseconds timeout) = 0;
  virtual Status GetStatus(ClusterStatus* status, std::chrono::milliseconds timeout,
                           std::string* master_hint) = 0;
  // Dkv.execute: *replies gets one Reply per op, in order (INTERNAL if the count differs).
  virtual Status Execute(const std::vector<Op>& ops, std::vector<Reply>* replies,
                         std::chrono::milliseconds timeout, std::string* master_hint) = 0;
  // *slots_to_move: what the master answered.
  virtual Status Drain(std::string_view id, bool leave_when_done, int32_t* slots_to_move,
                       std::chrono::milliseconds timeout, std::string* master_hint) = 0;
  virtual Status Rebalance(int32_t* slots_to_move, std::chrono::milliseconds timeout,
                           std::string* master_hint) = 0;
  // Dkv.replicas; *change: what the master answered.
  virtual Status SetReplicationFactor(int32_t replication_factor, ReplicationFactorChange* change,
                                      std::chrono::milliseconds timeout,
                                      std::string* master_hint) = 0;
};

// Makes the stub for a master address. Called with no lock held; may be called concurrently.
using MasterStubFactory = std::function<std::unique_ptr<MasterStub>(const HostPort& address)>;

// A stub on pooled, persistent Thrift connections to `address`. A connect attempt is bounded by
// `connect_timeout` (not by the call's timeout: RpcPool fixes it per pool).
std::unique_ptr<MasterStub> NewRpcMasterStub(const HostPort& address,
                                             std::chrono::milliseconds connect_timeout);

}  // namespace dkv::client
