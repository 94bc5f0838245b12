// DataService: the Thrift handler of the DataNode service (common/rpc/dkv.thrift), called by the
// master (and, for import_* and replicate, by other data nodes: a slot move's source, a chain's
// predecessor). Thin: each call is fenced by SlotOwnership (epoch, map version, slot owned), then
// served by the OpExecutor (execute, and unsafe_put as a batch of one SET), SlotMoves (slot
// moves) or the Store and the ChainReplicator (replicate); a failed Status is thrown as the IDL's
// DkvError at this edge and nowhere else.
//
// Thread-safety: called from every RpcServer connection thread at once; it keeps no state of its
// own beyond constant pointers.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/limits.h"
#include "data/chain_replicator.h"
#include "data/op_executor.h"
#include "data/slot_moves.h"
#include "data/slot_ownership.h"
#include "data/store.h"
#include "gen-cpp/DataNode.h"

namespace dkv::data {

class DataService : public rpc::DataNodeIf {
 public:
  // `ownership`, `store` and `moves` are not owned and must outlive the service (and the
  // RpcServer using it). Keys and values above `limits` are refused (the master checks first; this
  // is a backstop). `on_leave` runs when leave() is accepted (the node owns no slot); it must
  // return at once (the reply is sent after it).
  DataService(SlotOwnership* ownership, Store* store, SlotMoves* moves, ChainReplicator* replicator,
              Limits limits, std::function<void()> on_leave)
      : ownership_(ownership),
        store_(store),
        moves_(moves),
        replicator_(replicator),
        on_leave_(std::move(on_leave)),
        executor_(store, limits) {}

  // Oneway: executed as execute's batch of one SET; nothing goes back to the caller, refusals are
  // logged at debug level only.
  void unsafe_put(const rpc::Fence& fence, const std::string& key,
                  const std::string& value) override;
  void stats(rpc::DataNodeStats& stats) override;

  // Fenced once for the batch (STALE_EPOCH or UNAVAILABLE fail the whole call); then each op's
  // slot is checked (WRONG_NODE in its Reply, the others still execute) and the op executed.
  // Once an op is refused with MOVING, every later op of the batch on its slots is refused with
  // MOVING too, so that the master, which sends them again, keeps their order.
  void execute(std::vector<rpc::Reply>& replies, const rpc::Fence& fence,
               const std::vector<rpc::Op>& ops) override;

  // Slot moves (docs/migration.md). migrate_slots is fenced like a write to each slot (the node
  // must own them under the fence's map version); the other calls check the fence's epoch only.
  void migrate_slots(const rpc::Fence& fence, int64_t migration_id,
                     const std::vector<int32_t>& slots, const std::string& target_id,
                     const std::string& target_address) override;
  void migration_status(rpc::MigrationStatus& status, const rpc::Fence& fence,
                        int64_t migration_id) override;
  void finish_migration(rpc::MigrationStatus& status, const rpc::Fence& fence,
                        int64_t migration_id) override;
  void abort_migration(const rpc::Fence& fence, int64_t migration_id) override;
  // INVALID_ARGUMENT when this node owns one of the slots; WRONG_NODE before it has a slot map.
  void import_begin(const rpc::Fence& fence, int64_t migration_id,
                    const std::vector<int32_t>& slots) override;
  void import_chunk(const rpc::Fence& fence, int64_t migration_id,
                    const std::vector<rpc::MigrationEntry>& entries) override;
  void import_commit(const rpc::Fence& fence, int64_t migration_id,
                     const std::vector<rpc::SlotSeq>& seqs) override;
  void import_abort(const rpc::Fence& fence, int64_t migration_id) override;
  // INVALID_ARGUMENT while the node owns a slot; otherwise runs on_leave.
  void leave() override;

  // Chain replication (docs/replication.md): fenced as a batch, whose map version must be this
  // node's; each slot's effects are applied (Store::ApplyEffects) if `from` is this node's
  // predecessor in the slot's chain, and, where this node has a successor, acknowledged only as
  // far as the chain after it acknowledged them (waiting up to kRelayWait).
  void replicate(std::vector<rpc::SlotSeq>& reply, const rpc::Fence& fence, const std::string& from,
                 const std::vector<rpc::Effect>& effects) override;

 private:
  // The slots `op` touches (see OpExecutor::Execute), each checked against the batch's fence.
  static Status SlotsOf(const SlotOwnership::Batch& batch, const Op& op, std::vector<Slot>* slots);
  // execute and unsafe_put: fences the batch, then checks and executes each op.
  // With `await_chain`, each reply waits for the chain's acknowledgement of what its op wrote or
  // saw (kChainWait at most); without it (unsafe_put) the effects go down the chain unawaited.
  Result<std::vector<Reply>> Execute(const Fence& fence, const std::vector<Op>& ops,
                                     bool await_chain = true);

  // How long a reply waits for the chain's acknowledgement before it answers UNAVAILABLE (the
  // head), or acknowledges only what it has (a relaying member, which its predecessor retries).
  static constexpr std::chrono::milliseconds kChainWait{4000};
  static constexpr std::chrono::milliseconds kRelayWait{1500};

  SlotOwnership* const ownership_;
  Store* const store_;
  SlotMoves* const moves_;
  ChainReplicator* const replicator_;
  const std::function<void()> on_leave_;
  OpExecutor executor_;
};

}  // namespace dkv::data
