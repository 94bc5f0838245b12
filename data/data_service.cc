#include "data/data_service.h"

#include <limits>
#include <unordered_set>

#include "common/logging.h"
#include "common/rpc/error_mapping.h"
#include "common/rpc/op_codec.h"

namespace dkv::data {

namespace {

void ThrowIfError(const Status& status) {
  if (!status.ok()) throw rpc::ToThrift(status);
}

}  // namespace

void DataService::get(rpc::GetReply& reply, const rpc::Fence& fence, const std::string& key) {
  ThrowIfError(CheckKey(key, limits_));
  Slot slot = 0;
  ThrowIfError(ownership_->CheckKey(fence.epoch, fence.map_version, key, &slot));
  ThrowIfError(store_->Get(slot, key, &reply.found, &reply.value));
}

Status DataService::Put(const rpc::Fence& fence, const std::string& key, const std::string& value) {
  DKV_RETURN_NOT_OK(CheckKey(key, limits_));
  DKV_RETURN_NOT_OK(CheckValue(value, limits_));
  Slot slot = 0;
  DKV_RETURN_NOT_OK(ownership_->CheckKey(fence.epoch, fence.map_version, key, &slot));
  // One copy: Thrift hands the value over as a const reference to its own request object.
  return store_->Set(slot, key, value);
}

void DataService::put(const rpc::Fence& fence, const std::string& key, const std::string& value) {
  ThrowIfError(Put(fence, key, value));
}

bool DataService::remove(const rpc::Fence& fence, const std::string& key) {
  ThrowIfError(CheckKey(key, limits_));
  Slot slot = 0;
  ThrowIfError(ownership_->CheckKey(fence.epoch, fence.map_version, key, &slot));
  bool existed = false;
  ThrowIfError(store_->Remove(slot, key, &existed));
  return existed;
}

void DataService::unsafe_put(const rpc::Fence& fence, const std::string& key,
                             const std::string& value) {
  Status s = Put(fence, key, value);
  if (!s.ok()) DKV_LOG(DEBUG) << "unsafe_put refused: " << s.ToString();
}

void DataService::stats(rpc::DataNodeStats& stats) {
  SlotOwnership::Summary summary = ownership_->GetSummary();
  stats.id = summary.node_id;
  stats.slots = summary.owned_slots;
  stats.keys = store_->KeyCount();
  stats.map_version = summary.map_version;
  stats.epoch = summary.highest_epoch;
}

void DataService::execute(std::vector<rpc::Reply>& replies, const rpc::Fence& fence,
                          const std::vector<rpc::Op>& ops) {
  Result<SlotOwnership::Batch> batch = ownership_->FenceBatch(fence.epoch, fence.map_version);
  ThrowIfError(batch.status());
  replies.clear();
  replies.reserve(ops.size());
  std::vector<Slot> slots;
  // Slots an op of this batch was refused on with MOVING. The master sends such an op again later,
  // so every later op on those slots is refused too: none may run before it (a pipelined SET then
  // GET would read the old value; a write let through after the pause ended would be overwritten).
  std::unordered_set<Slot> moving;
  for (const rpc::Op& wire : ops) {
    // A copy: Thrift hands the request over as a const reference.
    const Op op = rpc::FromThrift(rpc::Op(wire));
    Status owned = SlotsOf(*batch, op, &slots);
    for (Slot slot : slots) {
      if (owned.ok() && moving.count(slot) != 0) {
        owned = Status::Moving("slot " + std::to_string(slot) +
                               " is being moved: an earlier op of this batch was refused, retry");
      }
    }
    Reply reply = owned.ok() ? executor_.Execute(op, slots) : Reply::Failed(owned);
    if (reply.error == Status::Code::kMoving) moving.insert(slots.begin(), slots.end());
    replies.push_back(rpc::ToThrift(std::move(reply)));
  }
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
      return batch.CheckSlot(slots->back());
    case OpRouting::kByKey:
      break;
  }
  if (op.code != OpCode::kMSetNx) {
    slots->push_back(0);
    return batch.CheckKey(op.key, &slots->back());
  }
  // Every key of an MSETNX must be owned here: it is atomic on one node.
  for (size_t i = 0; i < op.args.size(); i += 2) {
    DKV_RETURN_NOT_OK(batch.CheckKey(op.args[i], &slot));
    slots->push_back(slot);
  }
  return Status::OK();
}

namespace {
[[noreturn]] void NotImplemented(const char* what) {
  throw rpc::ToThrift(Status::Internal(std::string(what) + " is not implemented yet"));
}
}  // namespace

void DataService::migrate_slots(const rpc::Fence&, int64_t, const std::vector<int32_t>&,
                                const std::string&, const std::string&) {
  NotImplemented("migrate_slots");
}
void DataService::migration_status(rpc::MigrationStatus&, const rpc::Fence&, int64_t) {
  NotImplemented("migration_status");
}
void DataService::finish_migration(rpc::MigrationStatus&, const rpc::Fence&, int64_t) {
  NotImplemented("finish_migration");
}
void DataService::abort_migration(const rpc::Fence&, int64_t) { NotImplemented("abort_migration"); }
void DataService::import_begin(const rpc::Fence&, int64_t, const std::vector<int32_t>&) {
  NotImplemented("import_begin");
}
void DataService::import_chunk(const rpc::Fence&, int64_t,
                               const std::vector<rpc::MigrationEntry>&) {
  NotImplemented("import_chunk");
}
void DataService::import_commit(const rpc::Fence&, int64_t) { NotImplemented("import_commit"); }
void DataService::import_abort(const rpc::Fence&, int64_t) { NotImplemented("import_abort"); }
void DataService::leave() { NotImplemented("leave"); }

}  // namespace dkv::data
