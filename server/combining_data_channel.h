// CombiningDataChannel: a DataChannel that sends the Execute calls many request threads of the
// master make at the same time to one data node as one DataNode.execute
// (common/call_combiner.h), instead of one call each. A request thread calls Execute when its
// batch has ops for this one node only: every single-key call (get, set, remove, a one-op
// Dkv.execute) and every small batch that lands on one node. Server puts it in front of every
// Thrift channel, so clients that do not combine their own calls (many processes, one thread
// each) still cost the data node one request per group of calls (docs/performance.md).
//
// Calls combine only with calls of the same fence (epoch and slot-map version), whole calls up to
// kMaxBatchOps ops or kMaxBatchBytes of keys and values a batch (a bigger call goes alone), at
// most two batches in flight; a lone call goes at once as its own RPC. Each call gets its own
// replies, in its order, its refusals (WRONG_NODE, MOVING, ...) among them as they would have
// been; a failure of the whole request (STALE_EPOCH, UNAVAILABLE) is every member's, and the
// Router re-routes each call as it would have alone. One difference: in a batch, an op that
// follows a write refused MOVING on the same slot is refused MOVING too (DataNode.execute keeps
// a batch's ops in order), so a read may wait for a move's final step that it would not have
// waited for alone (bounded: the Router's stale-route wait). A queued call first waits for a
// batch in flight, so against a data node that does not answer it fails after up to twice the
// channel's call timeout.
//
// StartExecute (the calls of a batch for several nodes, which must go out together), UnsafePut
// and the slot-move and admin calls go straight through. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/call_combiner.h"
#include "server/data_channel.h"

namespace dkv::server {

class CombiningDataChannel : public DataChannel {
 public:
  explicit CombiningDataChannel(std::shared_ptr<DataChannel> inner, int max_in_flight = 2);
  CombiningDataChannel(const CombiningDataChannel&) = delete;
  CombiningDataChannel& operator=(const CombiningDataChannel&) = delete;

  // Calls waiting to be sent.
  size_t QueuedForTests() { return combiner_.QueuedForTests(); }

  const HostPort& address() const override { return inner_->address(); }
  Result<std::vector<Reply>> Execute(const Fence& fence, const std::vector<Op>& ops) override;

  std::unique_ptr<PendingExecute> StartExecute(const Fence& fence,
                                               const std::vector<Op>& ops) override {
    return inner_->StartExecute(fence, ops);
  }
  void UnsafePut(const Fence& fence, const std::string& key, const std::string& value) override {
    inner_->UnsafePut(fence, key, value);
  }
  Result<DataNodeStats> Stats(std::chrono::milliseconds timeout) override {
    return inner_->Stats(timeout);
  }
  Status MigrateSlots(const Fence& fence, int64_t migration_id, const std::vector<Slot>& slots,
                      const std::string& target_id, const std::string& target_address) override {
    return inner_->MigrateSlots(fence, migration_id, slots, target_id, target_address);
  }
  Result<MigrationProgress> MigrationStatus(const Fence& fence, int64_t migration_id) override {
    return inner_->MigrationStatus(fence, migration_id);
  }
  Result<MigrationProgress> FinishMigration(const Fence& fence, int64_t migration_id) override {
    return inner_->FinishMigration(fence, migration_id);
  }
  Status AbortMigration(const Fence& fence, int64_t migration_id) override {
    return inner_->AbortMigration(fence, migration_id);
  }
  Status Leave() override { return inner_->Leave(); }

 private:
  struct Call : CallCombiner::Call {
    Fence fence;
    // The caller's ops, which outlive the call: copied only into a batch with other calls.
    const std::vector<Op>* ops = nullptr;
    size_t bytes = 0;  // of the ops' keys and values
    // Stored by the batch's sender: the call's replies, or the whole request's failure.
    Result<std::vector<Reply>> replies = std::vector<Reply>();
  };

  // The combiner's send: a lone call as its own RPC, more as one DataNode.execute.
  void Send(const CallCombiner::Batch& batch);

  const std::shared_ptr<DataChannel> inner_;
  CallCombiner combiner_;
};

}  // namespace dkv::server
