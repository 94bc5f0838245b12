// DataChannel: how the master reaches one data node, in dkv's own types. Router talks to data
// nodes only through it, so its tests can use in-process fakes; the real one speaks Thrift over
// pooled persistent connections (NewThriftDataChannel).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/host_port.h"
#include "common/op.h"
#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::server {

// What fences a master->data call: the caller's epoch and the slot map version it routed with.
struct Fence {
  int64_t epoch = 0;
  int64_t map_version = 0;
};

struct DataNodeStats {
  int32_t slots = 0;
  int64_t keys = 0;
};

// A DataNode.execute call sent and not yet answered; several may be in flight at once (one per
// data node), which is how the router calls the nodes of one batch in parallel without threads.
// Not thread-safe; owned by the caller. Destroying it unanswered gives up the call.
class PendingExecute {
 public:
  virtual ~PendingExecute() = default;
  // Waits for the replies (replies[i] answers ops[i]), or the call's failure as
  // DataChannel::Get's. Call it once.
  virtual Result<std::vector<Reply>> Wait() = 0;
};

// Thread-safe: many request threads call one channel at once.
class DataChannel {
 public:
  virtual ~DataChannel() = default;
  virtual const HostPort& address() const = 0;
  // The data node's answer, or WRONG_NODE / STALE_EPOCH from its fence, UNAVAILABLE when it cannot
  // be reached within the call timeout.
  virtual Result<std::optional<std::string>> Get(const Fence& fence, const std::string& key) = 0;
  virtual Status Put(const Fence& fence, const std::string& key, const std::string& value) = 0;
  virtual Result<bool> Remove(const Fence& fence, const std::string& key) = 0;
  // Sends `ops` (copied before it returns) on a connection of their own; Wait() for the answer.
  virtual std::unique_ptr<PendingExecute> StartExecute(const Fence& fence,
                                                       const std::vector<Op>& ops) = 0;
  // Oneway: sent if a connection can be had, no answer awaited.
  virtual void UnsafePut(const Fence& fence, const std::string& key, const std::string& value) = 0;
  // Bounded by `timeout` rather than the channel's call timeout: status must answer promptly even
  // while a dead node is still registered.
  virtual Result<DataNodeStats> Stats(std::chrono::milliseconds timeout) = 0;
};

using DataChannelFactory = std::function<std::shared_ptr<DataChannel>(const HostPort&)>;

// Thrift over RpcPool; `call_timeout` bounds each call.
std::shared_ptr<DataChannel> NewThriftDataChannel(const HostPort& address,
                                                  std::chrono::milliseconds call_timeout);

}  // namespace dkv::server
