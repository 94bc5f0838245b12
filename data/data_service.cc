#include "data/data_service.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_set>

#include "common/logging.h"
#include "common/rpc/effect_codec.h"
#include "common/rpc/error_mapping.h"
#include "common/rpc/fence_codec.h"
#include "common/rpc/op_codec.h"

namespace dkv::data {

namespace {

void ThrowIfError(const Status& status) {
  if (!status.ok()) throw rpc::ToThrift(status);
}

}  // namespace

void DataService::unsafe_put(const rpc::Fence& fence, const std::string& key,
                             const std::string& value) {
  // A plain SET: no condition, and any TTL the key had is gone.
  Result<std::vector<Reply>> replies =
      Execute(rpc::FromThrift(fence), {KeyOp(OpCode::kSet, key, value)}, /*await_chain=*/false);
  const Status s = replies.ok() ? replies->front().ToStatus() : replies.status();
  if (!s.ok()) DKV_LOG(DEBUG) << "unsafe_put refused: " << s.ToString();
}

void DataService::stats(rpc::DataNodeStats& stats) {
  SlotOwnership::Summary summary = ownership_->GetSummary();
  stats.id = summary.node_id;
  stats.slots = summary.owned_slots;
  stats.keys = store_->KeyCount();
  stats.map_version = summary.map_version;
  stats.epoch = summary.highest_epoch;
  stats.pid = static_cast<int32_t>(getpid());
  const std::vector<Slot> stale = ownership_->StaleSlots();
  stats.stale_slots.assign(stale.begin(), stale.end());
}

void DataService::execute(std::vector<rpc::Reply>& replies, const rpc::Fence& fence,
                          const std::vector<rpc::Op>& ops) {
  std::vector<Op> batch;
  batch.reserve(ops.size());
  // Copies: Thrift hands the request over as a const reference.
  for (const rpc::Op& wire : ops) batch.push_back(rpc::FromThrift(rpc::Op(wire)));
  Result<std::vector<Reply>> executed = Execute(rpc::FromThrift(fence), batch);
  ThrowIfError(executed.status());
  replies = rpc::ToThrift(std::move(*executed));
}

Result<std::vector<Reply>> DataService::Execute(const Fence& fence, const std::vector<Op>& ops,
                                                bool await_chain) {
  DKV_ASSIGN_OR_RETURN(SlotOwnership::Batch batch, ownership_->FenceBatch(fence));
  std::vector<Reply> replies;
  replies.reserve(ops.size());
  std::vector<Slot> slots;
  // Slots an op of this batch was refused on with MOVING. The master sends such an op again later,
  // so every later op on those slots is refused too: none may run before it (a pipelined SET then
  // GET would read the old value; a write let through after the pause ended would be overwritten).
  std::unordered_set<Slot> moving;
  // What each reply waits for: waits[wait_begin[i], wait_begin[i + 1]) are op i's.
  std::vector<SlotSeq> waits;
  std::vector<size_t> wait_begin;
  wait_begin.reserve(ops.size() + 1);
  for (const Op& op : ops) {
    Status owned = SlotsOf(batch, op, &slots);
    for (Slot slot : slots) {
      if (owned.ok() && moving.count(slot) != 0) {
        owned = Status::Moving("slot " + std::to_string(slot) +
                               " is being moved: an earlier op of this batch was refused, retry");
      }
    }
    wait_begin.push_back(waits.size());
    Reply reply = owned.ok() ? executor_.Execute(op, slots, &waits) : Reply::Failed(owned);
    if (reply.error == Status::Code::kMoving) moving.insert(slots.begin(), slots.end());
    replies.push_back(std::move(reply));
  }
  wait_begin.push_back(waits.size());
  if (await_chain && !waits.empty()) {
    // Chain replication: a reply is given once the chain after this node has what the op wrote
    // (or, for a read, what the op saw): acknowledged by the tail.
    const std::vector<bool> acked =
        replicator_->Wait(waits, std::chrono::steady_clock::now() + kChainWait);
    for (size_t i = 0; i < replies.size(); ++i) {
      for (size_t w = wait_begin[i]; w < wait_begin[i + 1]; ++w) {
        if (acked[w]) continue;
        replies[i] = Reply::Failed(Status::Unavailable(
            "slot " + std::to_string(waits[w].slot) + ": the chain after data node " +
            ownership_->GetSummary().node_id + " did not acknowledge effect " +
            std::to_string(waits[w].seq) + " in time; the op may or may not have taken effect"));
        break;
      }
    }
  }
  return replies;
}

Status DataService::SlotsOf(const SlotOwnership::Batch& batch, const Op& op,
                            std::vector<Slot>* slots) {
  slots->clear();
  Slot slot = 0;
  switch (RoutingOf(op.code)) {
    case OpRouting::kEveryNode:
      return Status::OK();
    case OpRouting::kBySlot:
      if (op.arg1 < 0 || op.arg1 > std::numeric_limits<Slot>::max()) {
        return Status::InvalidArgument("slot " + std::to_string(op.arg1) + " is out of range");
      }
      slots->push_back(static_cast<Slot>(op.arg1));
      return batch.CheckSlot(slots->back(), /*write=*/false);
    case OpRouting::kByKey:
      break;
  }
  // Writes enter a chain at its head; any member serves reads.
  const bool write = IsWrite(op.code);
  if (op.code != OpCode::kMSetNx) {
    slots->push_back(0);
    return batch.CheckKey(op.key, write, &slots->back());
  }
  // Every key of an MSETNX must be owned here: it is atomic on one node.
  for (size_t i = 0; i < op.args.size(); i += 2) {
    DKV_RETURN_NOT_OK(batch.CheckKey(op.args[i], write, &slot));
    slots->push_back(slot);
  }
  return Status::OK();
}

namespace {

void ToThrift(const MigrationProgress& p, rpc::MigrationStatus* status) {
  status->migration_id = p.migration_id;
  status->phase = p.phase;
  status->keys_copied = p.keys_copied;
  status->keys_total = p.keys_total;
  status->bytes_copied = p.bytes_copied;
  status->error = p.error;
}

}  // namespace

void DataService::migrate_slots(const rpc::Fence& fence, int64_t migration_id,
                                const std::vector<int32_t>& slots, const std::string& target_id,
                                const std::string& target_address) {
  Result<SlotOwnership::Batch> batch = ownership_->FenceBatch(rpc::FromThrift(fence));
  ThrowIfError(batch.status());
  for (int32_t slot : slots) ThrowIfError(batch->CheckSlot(slot, /*write=*/false));
  if (target_id == ownership_->GetSummary().node_id) {
    ThrowIfError(
        Status::InvalidArgument("migrate_slots: the target " + target_id + " is this node"));
  }
  ThrowIfError(moves_->StartMove(rpc::FromThrift(fence), migration_id,
                                 std::vector<Slot>(slots.begin(), slots.end()), target_id,
                                 target_address));
}

void DataService::migration_status(rpc::MigrationStatus& status, const rpc::Fence& fence,
                                   int64_t migration_id) {
  ThrowIfError(ownership_->CheckEpoch(fence.epoch));
  Result<MigrationProgress> progress = moves_->Progress(migration_id);
  ThrowIfError(progress.status());
  ToThrift(*progress, &status);
}

void DataService::finish_migration(rpc::MigrationStatus& status, const rpc::Fence& fence,
                                   int64_t migration_id) {
  ThrowIfError(ownership_->CheckEpoch(fence.epoch));
  Result<MigrationProgress> progress = moves_->Finish(migration_id);
  ThrowIfError(progress.status());
  ToThrift(*progress, &status);
}

void DataService::abort_migration(const rpc::Fence& fence, int64_t migration_id) {
  ThrowIfError(ownership_->CheckEpoch(fence.epoch));
  moves_->Abort(migration_id);
}

void DataService::import_begin(const rpc::Fence& fence, int64_t migration_id,
                               const std::vector<int32_t>& slots) {
  ThrowIfError(ownership_->CheckEpoch(fence.epoch));
  const SlotOwnership::Summary summary = ownership_->GetSummary();
  if (summary.slot_count == 0) {
    ThrowIfError(Status::WrongNode("data node " + summary.node_id + " has no slot map yet"));
  }
  for (int32_t slot : slots) {
    if (ownership_->Owns(slot)) {
      ThrowIfError(Status::InvalidArgument("import_begin: data node " + summary.node_id +
                                           " already owns slot " + std::to_string(slot)));
    }
  }
  ThrowIfError(moves_->target()->Begin(rpc::FromThrift(fence), migration_id,
                                       std::vector<Slot>(slots.begin(), slots.end()),
                                       summary.slot_count));
}

void DataService::import_chunk(const rpc::Fence& fence, int64_t migration_id,
                               const std::vector<rpc::MigrationEntry>& entries) {
  ThrowIfError(ownership_->CheckEpoch(fence.epoch));
  std::vector<MigrationEntry> converted(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const rpc::MigrationEntry& t = entries[i];
    MigrationEntry& e = converted[i];
    e.db = t.db;
    e.key = t.key;
    e.value = t.value;
    e.expire_at_ms = t.expire_at_ms;
    e.offset = t.offset;
    e.total_size = t.total_size;
    e.deleted = t.deleted;
  }
  ThrowIfError(moves_->target()->Chunk(migration_id, std::move(converted)));
}

void DataService::import_commit(const rpc::Fence& fence, int64_t migration_id,
                                const std::vector<rpc::SlotSeq>& seqs) {
  ThrowIfError(ownership_->CheckEpoch(fence.epoch));
  ThrowIfError(
      moves_->target()->Commit(rpc::FromThrift(fence), migration_id, rpc::FromThrift(seqs)));
}

void DataService::import_abort(const rpc::Fence& fence, int64_t migration_id) {
  ThrowIfError(ownership_->CheckEpoch(fence.epoch));
  moves_->target()->Abort(migration_id);
}

void DataService::replicate(std::vector<rpc::SlotSeq>& reply, const rpc::Fence& fence,
                            const std::string& from, const std::vector<rpc::Effect>& wire) {
  Result<SlotOwnership::Batch> batch = ownership_->FenceBatch(rpc::FromThrift(fence));
  ThrowIfError(batch.status());
  // No node applies an effect of another map version than its own: the sender routes again.
  ThrowIfError(batch->route());
  std::vector<Effect> effects;
  ThrowIfError(rpc::FromThrift(wire, &effects));

  // The effects per slot, in the order they came (ascending seq per slot).
  std::map<Slot, std::vector<Effect>> by_slot;
  for (Effect& e : effects) by_slot[e.slot].push_back(std::move(e));
  std::vector<SlotSeq> applied;
  std::vector<SlotSeq> waits;
  for (auto& [slot, slot_effects] : by_slot) {
    Status member = batch->CheckPredecessor(slot, from);
    if (!member.ok()) {
      DKV_LOG(WARNING) << "replicate from " << from << " refused: " << member.ToString();
      applied.push_back(SlotSeq{slot, 0});
      continue;
    }
    bool missed = false;
    Result<uint64_t> seq = store_->ApplyEffects(slot, slot_effects, &waits, &missed);
    if (missed) {
      // This member's copy of the slot lacks effects its chain has: it must never serve it. The
      // table goes; stats() reports the slot stale and the master replaces this member by copy.
      DKV_LOG(ERROR) << "replicate from " << from << ": " << seq.status().ToString()
                     << "; dropping slot " << slot << "'s table until the master replaces it";
      store_->DropSlot(slot);
      replicator_->Restart(slot, 0);
    }
    if (!seq.ok()) {
      if (!seq.status().IsMoving() && !missed) {
        DKV_LOG(WARNING) << "replicate from " << from << ": " << seq.status().ToString();
      }
      applied.push_back(SlotSeq{slot, missed ? 0 : store_->Seq(slot)});
      continue;
    }
    applied.push_back(SlotSeq{slot, *seq});
  }
  // A member with a successor acknowledges only what the chain after it applied.
  if (!waits.empty()) {
    replicator_->Wait(waits, std::chrono::steady_clock::now() + kRelayWait);
    std::unordered_set<Slot> relayed;
    for (const SlotSeq& wait : waits) relayed.insert(wait.slot);
    for (SlotSeq& a : applied) {
      if (relayed.count(a.slot)) a.seq = std::min(a.seq, replicator_->AckedSeq(a.slot));
    }
  }
  reply = rpc::ToThrift(applied);
}

void DataService::leave() {
  const SlotOwnership::Summary summary = ownership_->GetSummary();
  if (summary.owned_slots > 0) {
    ThrowIfError(Status::InvalidArgument("data node " + summary.node_id + " still owns " +
                                         std::to_string(summary.owned_slots) +
                                         " slots; drain it first"));
  }
  DKV_LOG(INFO) << "the master asked data node " << summary.node_id << " to leave";
  on_leave_();
}

}  // namespace dkv::data
