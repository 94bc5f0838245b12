// CombiningDataChannel: a DataChannel that sends the Get, Put and Remove calls many request threads
// of the master make at the same time to one data node as one DataNode.execute
// (common/call_combiner.h), instead of one call each. Server puts it in front of every Thrift
// channel, so clients that do not combine their own calls (many processes, one thread each) still
// cost the data node one request per group of calls (docs/performance.md).
//
// Calls combine only with calls of the same fence (epoch and slot-map version), up to
// kMaxBatchOps ops or kMaxBatchBytes of keys and values a batch, at most two batches in flight; a
// lone call goes at once as its own RPC. Each call keeps its outcome: the op's refusal
// (WRONG_NODE, MOVING, ...) is its Status, as the RPC's would have been, and a failure of the
// whole request (STALE_EPOCH, UNAVAILABLE) is every member's; the Router re-routes each call as it
// would have alone. One difference: in a batch, an op that follows a write refused MOVING on the
// same slot is refused MOVING too (DataNode.execute keeps a batch's ops in order), so a read may
// wait for a move's final step that it would not have waited for alone (bounded: the Router's
// stale-route wait). A queued call first waits for a batch in flight, so against a data node that
// does not answer it fails after up to twice the channel's call timeout.
//
// StartExecute (already a batch), UnsafePut and the slot-move and admin calls go straight through.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
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
  Result<std::optional<std::string>> Get(const Fence& fence, const std::string& key) override;
  Status Put(const Fence& fence, const std::string& key, const std::string& value) override;
  Result<bool> Remove(const Fence& fence, const std::string& key) override;

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
    // kGet, kSet or kDel in db 0, on the caller's strings (which outlive the call: copied only
    // into a batch with other calls).
    OpCode code = OpCode::kGet;
    const std::string* key = nullptr;
    const std::string* value = nullptr;
    Reply reply;  // stored by the batch's sender; a refusal in reply.error, a failure in `failed`
    Status failed;
  };

  // Runs `op` through the combiner; its reply, or the refusal or failure as the Status.
  Result<Reply> Combine(const Fence& fence, OpCode code, const std::string& key,
                        const std::string& value);
  // The combiner's send: a lone call as its own RPC, more as one DataNode.execute.
  void Send(const CallCombiner::Batch& batch);
  void SendAlone(Call* call);

  const std::shared_ptr<DataChannel> inner_;
  CallCombiner combiner_;
};

}  // namespace dkv::server
