// DataChannel: how the master reaches one data node, in dkv's own types. Router and the
// MigrationDriver talk to data nodes only through it, so their tests can use in-process fakes; the
// real one speaks Thrift over pooled persistent connections (NewThriftDataChannel).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/fence.h"
#include "common/host_port.h"
#include "common/op.h"
#include "common/slot.h"
#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::server {

struct DataNodeStats {
  int32_t slots = 0;
  int64_t keys = 0;
  int32_t pid = 0;  // of the answering process
  // Slots whose chain lists the node but whose table it lacks (DataNodeStats in dkv.thrift).
  std::vector<Slot> stale_slots = {};
};

// A DataNode.execute call sent and not yet answered; several may be in flight at once (one per
// data node), which is how the router calls the nodes of one batch in parallel without threads.
// Not thread-safe; owned by the caller. Destroying it unanswered gives up the call.
class PendingExecute {
 public:
  virtual ~PendingExecute() = default;
  // Waits for the replies (replies[i] answers ops[i]), or the call's failure as
  // DataChannel::Execute's. Call it once.
  virtual Result<std::vector<Reply>> Wait() = 0;
};

// A slot move as its source data node reports it (MigrationStatus in dkv.thrift).
struct MigrationProgress {
  std::string phase;  // "copying", "delta", "frozen", "committed", "failed", "aborted"
  int64_t keys_copied = 0;
  int64_t keys_total = 0;  // keys in the slots when the copy started
  int64_t bytes_copied = 0;
  std::string error;  // why, when phase is "failed"
};

// Thread-safe: many request threads call one channel at once.
class DataChannel {
 public:
  virtual ~DataChannel() = default;
  virtual const HostPort& address() const = 0;
  // Sends `ops` (copied before it returns) on a connection of their own; Wait() for the answer.
  virtual std::unique_ptr<PendingExecute> StartExecute(const Fence& fence,
                                                       const std::vector<Op>& ops) = 0;
  // DataNode.execute, waited for: the data node's replies (an op it refuses, WRONG_NODE or MOVING,
  // is answered in its Reply), or the failure of the whole call: STALE_EPOCH or UNAVAILABLE from
  // its fence, UNAVAILABLE when it cannot be reached within the call timeout. For a caller with
  // no other call to make meanwhile; this is what a channel may combine with other callers'.
  virtual Result<std::vector<Reply>> Execute(const Fence& fence, const std::vector<Op>& ops) {
    return StartExecute(fence, ops)->Wait();
  }
  // Oneway: sent if a connection can be had, no answer awaited.
  virtual void UnsafePut(const Fence& fence, const std::string& key, const std::string& value) = 0;
  // Bounded by `timeout` rather than the channel's call timeout: status must answer promptly even
  // while a dead node is still registered.
  virtual Result<DataNodeStats> Stats(std::chrono::milliseconds timeout) = 0;

  // Slot moves, called on the source node (docs/migration.md). Starts copying `slots` to
  // `target_id` at `target_address` in the background.
  virtual Status MigrateSlots(const Fence& fence, int64_t migration_id,
                              const std::vector<Slot>& slots, const std::string& target_id,
                              const std::string& target_address) = 0;
  // NOT_FOUND for a move the node does not know (never started, or forgotten after an abort).
  virtual Result<MigrationProgress> MigrationStatus(const Fence& fence, int64_t migration_id) = 0;
  // Pauses the slots' writes, sends the last changes and has the target commit; returns once the
  // target holds everything (phase "committed"), or the move's failure.
  virtual Result<MigrationProgress> FinishMigration(const Fence& fence, int64_t migration_id) = 0;
  // Forgets the move on both sides; idempotent.
  virtual Status AbortMigration(const Fence& fence, int64_t migration_id) = 0;
  // Tells a node that owns no slot to deregister and exit.
  virtual Status Leave() = 0;
};

using DataChannelFactory = std::function<std::shared_ptr<DataChannel>(const HostPort&)>;

// Thrift over RpcPool; `call_timeout` bounds each call.
std::shared_ptr<DataChannel> NewThriftDataChannel(const HostPort& address,
                                                  std::chrono::milliseconds call_timeout);

}  // namespace dkv::server
