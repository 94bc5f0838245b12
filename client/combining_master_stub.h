// CombiningMasterStub: a MasterStub that sends the Execute calls many threads make at the same
// time as one Dkv.execute (common/call_combiner.h); the client's single-key calls are one-op
// Executes. Client::Connect puts it in front of the Thrift stub, so an application that shares
// one Client among its threads (as dkv-bench does) pays one round trip to the master, and one per
// data node behind it, for a whole group of calls instead of one each (docs/performance.md).
//
// Whole calls are combined, up to kMaxBatchOps ops or kMaxBatchBytes of keys and values a batch
// (a bigger call goes alone), at most two batches in flight; a lone call goes at once as its own
// Dkv.execute (the master then combines it with other clients' calls to the same data node, see
// server/combining_data_channel.h). Each call keeps its own outcome: a per-op error is that op's
// reply; a failure of the whole batch (NOT_MASTER with its hint, UNAVAILABLE, a timeout) is every
// member's, and the RetryingCaller above retries each call as it would have alone. A call's
// timeout runs from when it is made, time queued included, and a batch's socket timeout is what
// is left of its most impatient member's, so no call waits much longer than it asked. A call's
// ops stay together and in their order; the calls of one batch are independent, concurrent calls,
// which the master may execute in any order relative to each other, as it could have before.
//
// UnsafePut, status, drain and rebalance go straight through. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/master_stub.h"
#include "common/call_combiner.h"

namespace dkv::client {

class CombiningMasterStub : public MasterStub {
 public:
  explicit CombiningMasterStub(std::unique_ptr<MasterStub> inner, int max_in_flight = 2);
  CombiningMasterStub(const CombiningMasterStub&) = delete;
  CombiningMasterStub& operator=(const CombiningMasterStub&) = delete;

  const HostPort& address() const override { return inner_->address(); }

  // Calls waiting to be sent.
  size_t QueuedForTests() { return combiner_.QueuedForTests(); }

  Status Execute(const std::vector<Op>& ops, std::vector<Reply>* replies,
                 std::chrono::milliseconds timeout, std::string* master_hint) override;

  Status UnsafePut(std::string_view key, std::string_view value,
                   std::chrono::milliseconds timeout) override {
    return inner_->UnsafePut(key, value, timeout);
  }
  Status GetStatus(ClusterStatus* status, std::chrono::milliseconds timeout,
                   std::string* master_hint) override {
    return inner_->GetStatus(status, timeout, master_hint);
  }
  Status Drain(std::string_view id, bool leave_when_done, int32_t* slots_to_move,
               std::chrono::milliseconds timeout, std::string* master_hint) override {
    return inner_->Drain(id, leave_when_done, slots_to_move, timeout, master_hint);
  }
  Status Rebalance(int32_t* slots_to_move, std::chrono::milliseconds timeout,
                   std::string* master_hint) override {
    return inner_->Rebalance(slots_to_move, timeout, master_hint);
  }
  Status SetReplicationFactor(int32_t replication_factor, ReplicationFactorChange* change,
                              std::chrono::milliseconds timeout,
                              std::string* master_hint) override {
    return inner_->SetReplicationFactor(replication_factor, change, timeout, master_hint);
  }

 private:
  struct Call : CallCombiner::Call {
    // The caller's ops, which outlive the call: copied only into a batch with other calls.
    const std::vector<Op>* ops = nullptr;
    // Now + the call's timeout when it was made: time spent queued counts against it.
    std::chrono::steady_clock::time_point deadline;
    size_t bytes = 0;  // of the ops' keys and values
    // Stored by the batch's sender.
    Status status;
    std::vector<Reply> replies;
    std::string master_hint;
  };

  // The combiner's send: a lone call as its own Dkv.execute, more as one together.
  void Send(const CallCombiner::Batch& batch);

  const std::unique_ptr<MasterStub> inner_;
  CallCombiner combiner_;
};

}  // namespace dkv::client
