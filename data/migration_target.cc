#include "data/migration_target.h"

#include <algorithm>
#include <unordered_set>

#include "common/logging.h"
#include "common/op.h"

namespace dkv::data {

MigrationTarget::~MigrationTarget() {
  MutexLock l(&mu_);
  while (!imports_.empty()) DropLocked(imports_.begin()->first);
}

Status MigrationTarget::Begin(const Fence& fence, int64_t migration_id,
                              const std::vector<Slot>& slots, int32_t slot_count) {
  if (slots.empty()) return Status::InvalidArgument("import_begin: no slots");
  std::unordered_set<Slot> seen;
  for (Slot s : slots) {
    if (s < 0 || s >= slot_count) {
      return Status::InvalidArgument("import_begin: slot " + std::to_string(s) +
                                     " is out of range [0, " + std::to_string(slot_count) + ")");
    }
    if (!seen.insert(s).second) {
      return Status::InvalidArgument("import_begin: slot " + std::to_string(s) + " is repeated");
    }
  }
  MutexLock l(&mu_);
  if (fence.epoch < highest_epoch_) {
    return Status::StaleEpoch("import_begin: master epoch " + std::to_string(fence.epoch) +
                              " is older than epoch " + std::to_string(highest_epoch_) +
                              " already seen by this data node");
  }
  DropLocked(migration_id);
  for (Slot s : slots) {
    auto it = import_of_slot_.find(s);
    if (it != import_of_slot_.end()) {
      DKV_LOG(INFO) << "import of migration " << migration_id << " replaces migration "
                    << it->second << " for slot " << s;
      DropLocked(it->second);
    }
  }
  Import& import = imports_[migration_id];
  import.fence = fence;
  import.slots = slots;
  import.slot_count = slot_count;
  for (Slot s : slots) {
    store_->BeginImport(s);
    import_of_slot_[s] = migration_id;
  }
  DKV_LOG(INFO) << "importing " << slots.size() << " slots for migration " << migration_id
                << " (epoch " << fence.epoch << ")";
  return Status::OK();
}

Status MigrationTarget::Apply(Import* import, MigrationEntry&& e) {
  if (e.db < 0 || e.db >= kDatabases) {
    return Status::InvalidArgument("import_chunk: db " + std::to_string(e.db) +
                                   " is out of range [0, " + std::to_string(kDatabases) + ")");
  }
  DKV_RETURN_NOT_OK(CheckKey(e.key, limits_));
  const Slot slot = SlotOf(e.key, import->slot_count);
  if (std::find(import->slots.begin(), import->slots.end(), slot) == import->slots.end()) {
    return Status::InvalidArgument("import_chunk: a key of slot " + std::to_string(slot) +
                                   ", which this move does not stage");
  }
  auto id = std::make_pair(e.db, std::move(e.key));
  auto partial = import->partial.find(id);
  if (e.deleted) {
    if (partial != import->partial.end()) import->partial.erase(partial);
    return store_->ImportPart(slot, id.first, id.second, {}, 0, 0, 0, /*deleted=*/true);
  }
  const int64_t size = static_cast<int64_t>(e.value.size());
  if (e.offset < 0 || e.total_size < 0 || e.offset + size > e.total_size) {
    return Status::InvalidArgument("import_chunk: part [" + std::to_string(e.offset) + ", " +
                                   std::to_string(e.offset + size) + ") of a " +
                                   std::to_string(e.total_size) + "-byte value");
  }
  if (static_cast<uint64_t>(e.total_size) > limits_.max_value_bytes) {
    return Status::ValueTooLarge("import_chunk: value of " + std::to_string(e.total_size) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(limits_.max_value_bytes));
  }
  if (e.offset > 0) {
    const int64_t expected = partial == import->partial.end() ? 0 : partial->second;
    if (e.offset != expected) {
      return Status::InvalidArgument("import_chunk: a part at offset " + std::to_string(e.offset) +
                                     " where offset " + std::to_string(expected) + " was expected");
    }
  }
  // A part at offset 0 (re)starts the value: the key was written again since its last copy.
  DKV_RETURN_NOT_OK(store_->ImportPart(slot, id.first, id.second, e.value,
                                       static_cast<uint64_t>(e.offset),
                                       static_cast<uint64_t>(e.total_size), e.expire_at_ms,
                                       /*deleted=*/false));
  const int64_t end = e.offset + size;
  if (end == e.total_size) {
    if (partial != import->partial.end()) import->partial.erase(partial);
  } else if (partial != import->partial.end()) {
    partial->second = end;
  } else {
    import->partial.emplace(std::move(id), end);
  }
  return Status::OK();
}

Status MigrationTarget::Chunk(int64_t migration_id, std::vector<MigrationEntry>&& entries) {
  MutexLock l(&mu_);
  auto it = imports_.find(migration_id);
  if (it == imports_.end()) {
    return Status::NotFound("no import of migration " + std::to_string(migration_id));
  }
  Import& import = it->second;
  if (import.committed) {
    return Status::InvalidArgument("import of migration " + std::to_string(migration_id) +
                                   " is committed");
  }
  for (MigrationEntry& e : entries) DKV_RETURN_NOT_OK(Apply(&import, std::move(e)));
  return Status::OK();
}

Status MigrationTarget::Commit(const Fence& fence, int64_t migration_id,
                               const std::vector<SlotSeq>& seqs) {
  MutexLock l(&mu_);
  auto it = imports_.find(migration_id);
  if (it == imports_.end()) {
    return Status::NotFound("no import of migration " + std::to_string(migration_id));
  }
  Import& import = it->second;
  if (import.committed) return Status::OK();
  if (!import.partial.empty()) {
    return Status::InvalidArgument("import of migration " + std::to_string(migration_id) +
                                   " cannot commit: " + std::to_string(import.partial.size()) +
                                   " values are incomplete");
  }
  import.committed = true;
  import.commit_map_version = fence.map_version;
  for (const SlotSeq& s : seqs) import.seqs[s.slot] = s.seq;
  DKV_LOG(INFO) << "import of migration " << migration_id << " committed (" << import.slots.size()
                << " slots, epoch " << import.fence.epoch << ", map version " << fence.map_version
                << ")";
  return Status::OK();
}

void MigrationTarget::Abort(int64_t migration_id) {
  MutexLock l(&mu_);
  if (imports_.count(migration_id) != 0) {
    DKV_LOG(INFO) << "import of migration " << migration_id << " aborted";
    DropLocked(migration_id);
  }
}

bool MigrationTarget::Adopt(Slot slot, int64_t map_epoch, int64_t owner_since) {
  MutexLock l(&mu_);
  auto by_slot = import_of_slot_.find(slot);
  if (by_slot == import_of_slot_.end()) return false;
  const int64_t migration_id = by_slot->second;
  Import& import = imports_.at(migration_id);
  // Granted before the commit: this grant is not the flip of this move (the keys written on the
  // old owner meanwhile are not here).
  if (!import.committed || import.fence.epoch > map_epoch ||
      owner_since <= import.commit_map_version) {
    return false;
  }
  auto seq = import.seqs.find(slot);
  const bool adopted = store_->AdoptImport(slot, seq == import.seqs.end() ? 0 : seq->second);
  DKV_CHECK(adopted) << "import of slot " << slot << " vanished from the store";
  import_of_slot_.erase(by_slot);
  import.slots.erase(std::find(import.slots.begin(), import.slots.end(), slot));
  if (import.slots.empty()) imports_.erase(migration_id);
  return true;
}

void MigrationTarget::DropOlderThanMap(int64_t map_epoch) {
  MutexLock l(&mu_);
  std::vector<int64_t> old;
  for (const auto& [id, import] : imports_) {
    if (import.fence.epoch < map_epoch) old.push_back(id);
  }
  for (int64_t id : old) {
    DKV_LOG(INFO) << "import of migration " << id << " dropped: a slot map of epoch " << map_epoch
                  << " did not adopt it";
    DropLocked(id);
  }
}

void MigrationTarget::DropStagedOlderThan(int64_t epoch) {
  MutexLock l(&mu_);
  highest_epoch_ = std::max(highest_epoch_, epoch);
  std::vector<int64_t> old;
  for (const auto& [id, import] : imports_) {
    if (!import.committed && import.fence.epoch < epoch) old.push_back(id);
  }
  for (int64_t id : old) {
    DKV_LOG(INFO) << "import of migration " << id << " dropped: master epoch " << epoch
                  << " supersedes it";
    DropLocked(id);
  }
}

bool MigrationTarget::IsImporting(Slot slot) const {
  MutexLock l(&mu_);
  return import_of_slot_.count(slot) != 0;
}

void MigrationTarget::DropLocked(int64_t migration_id) {
  auto it = imports_.find(migration_id);
  if (it == imports_.end()) return;
  for (Slot s : it->second.slots) {
    store_->DropImport(s);
    import_of_slot_.erase(s);
  }
  imports_.erase(it);
}

}  // namespace dkv::data
