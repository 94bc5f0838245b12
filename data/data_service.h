// DataService: the Thrift handler of the DataNode service (common/rpc/dkv.thrift), called by the
// master. Thin: each call is fenced by SlotOwnership (epoch, map version, slot owned), then served
// by the Store (get/put/remove) or the OpExecutor (execute); a failed Status is thrown as the IDL's
// DkvError at this edge and nowhere else.
//
// Thread-safety: called from every RpcServer connection thread at once; it keeps no state of its
// own beyond constant pointers.
#pragma once

#include <string>
#include <vector>

#include "common/limits.h"
#include "data/op_executor.h"
#include "data/slot_ownership.h"
#include "data/store.h"
#include "gen-cpp/DataNode.h"

namespace dkv::data {

class DataService : public rpc::DataNodeIf {
 public:
  // `ownership` and `store` are not owned and must outlive the service (and the RpcServer using
  // it). Keys and values above `limits` are refused (the master checks first; this is a backstop).
  DataService(SlotOwnership* ownership, Store* store, Limits limits)
      : ownership_(ownership), store_(store), limits_(limits), executor_(store, limits) {}

  void get(rpc::GetReply& reply, const rpc::Fence& fence, const std::string& key) override;
  void put(const rpc::Fence& fence, const std::string& key, const std::string& value) override;
  bool remove(const rpc::Fence& fence, const std::string& key) override;
  // Oneway: nothing goes back to the caller; refusals are logged at debug level only.
  void unsafe_put(const rpc::Fence& fence, const std::string& key,
                  const std::string& value) override;
  void stats(rpc::DataNodeStats& stats) override;

  // Fenced once for the batch (STALE_EPOCH or UNAVAILABLE fail the whole call); then each op's
  // slot is checked (WRONG_NODE in its Reply, the others still execute) and the op executed.
  // Once an op is refused with MOVING, every later op of the batch on its slots is refused with
  // MOVING too, so that the master, which sends them again, keeps their order.
  void execute(std::vector<rpc::Reply>& replies, const rpc::Fence& fence,
               const std::vector<rpc::Op>& ops) override;

  // Not implemented yet (issues #4, #5): INTERNAL.
  void migrate_slots(const rpc::Fence&, int64_t, const std::vector<int32_t>&, const std::string&,
                     const std::string&) override;
  void migration_status(rpc::MigrationStatus&, const rpc::Fence&, int64_t) override;
  void finish_migration(rpc::MigrationStatus&, const rpc::Fence&, int64_t) override;
  void abort_migration(const rpc::Fence&, int64_t) override;
  void import_begin(const rpc::Fence&, int64_t, const std::vector<int32_t>&) override;
  void import_chunk(const rpc::Fence&, int64_t, const std::vector<rpc::MigrationEntry>&) override;
  void import_commit(const rpc::Fence&, int64_t) override;
  void import_abort(const rpc::Fence&, int64_t) override;
  void leave() override;

 private:
  // The slots `op` touches (see OpExecutor::Execute), each checked against the batch's fence.
  static Status SlotsOf(const SlotOwnership::Batch& batch, const Op& op, std::vector<Slot>* slots);
  // Fence and store, shared by put and unsafe_put.
  Status Put(const rpc::Fence& fence, const std::string& key, const std::string& value);

  SlotOwnership* const ownership_;
  Store* const store_;
  const Limits limits_;
  OpExecutor executor_;
};

}  // namespace dkv::data
