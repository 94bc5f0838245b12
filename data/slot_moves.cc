#include "data/slot_moves.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "common/logging.h"

namespace dkv::data {

namespace {
// Ended moves kept for migration_status.
constexpr size_t kKeptEnded = 64;
}  // namespace

SlotMoves::SlotMoves(Store* store, Limits limits, ImportChannelFactory channels,
                     MigrationSourceOptions source_options)
    : store_(store),
      channels_(std::move(channels)),
      source_options_(source_options),
      target_(store, limits) {}

SlotMoves::~SlotMoves() {
  std::map<int64_t, std::shared_ptr<MigrationSource>> sources;
  {
    MutexLock l(&mu_);
    sources.swap(sources_);
  }
  // Each destructor ends its move and joins its copy thread.
}

Status SlotMoves::StartMove(const Fence& fence, int64_t migration_id,
                            const std::vector<Slot>& slots, const std::string& target_id,
                            const std::string& target_address) {
  if (slots.empty()) return Status::InvalidArgument("migrate_slots: no slots");
  std::unordered_set<Slot> wanted;
  for (Slot s : slots) {
    if (!wanted.insert(s).second) {
      return Status::InvalidArgument("migrate_slots: slot " + std::to_string(s) + " is repeated");
    }
  }
  Result<HostPort> address = ParseHostPort(target_address);
  if (!address.ok()) {
    return Status::InvalidArgument("migrate_slots: target address '" + target_address +
                                   "': " + address.status().message());
  }
  // Declared before the lock: moves pruned below are destroyed (their threads joined) after it
  // is released.
  std::vector<std::shared_ptr<MigrationSource>> pruned;
  MutexLock l(&mu_);
  // The caller's fence passed, but a newer master may have been seen since: a move it would
  // not supersede must not start.
  if (fence.epoch < highest_epoch_) {
    return Status::StaleEpoch("migrate_slots: master epoch " + std::to_string(fence.epoch) +
                              " is older than epoch " + std::to_string(highest_epoch_) +
                              " already seen by this data node");
  }
  for (const auto& [id, source] : sources_) {
    if (!source->Active()) continue;
    if (id == migration_id) {
      if (source->slots() == slots && source->target_id() == target_id) return Status::OK();
      return Status::AlreadyExists("migration " + std::to_string(migration_id) +
                                   " is already running with other slots or another target");
    }
    for (Slot s : source->slots()) {
      if (wanted.count(s) != 0) {
        return Status::InvalidArgument("migrate_slots: slot " + std::to_string(s) +
                                       " is already moving in migration " + std::to_string(id));
      }
    }
  }
  auto source = std::make_shared<MigrationSource>(store_, fence, migration_id, slots, target_id,
                                                  channels_(*address), source_options_);
  source->Start();
  sources_[migration_id] = std::move(source);
  PruneLocked(&pruned);
  return Status::OK();
}

void SlotMoves::PruneLocked(std::vector<std::shared_ptr<MigrationSource>>* pruned) {
  size_t ended = 0;
  for (const auto& entry : sources_) ended += entry.second->Active() ? 0 : 1;
  for (auto it = sources_.begin(); it != sources_.end() && ended > kKeptEnded;) {
    if (it->second->Active()) {
      ++it;
      continue;
    }
    // Its copy thread has ended or stops at its next chunk; the last reference (the caller's
    // `pruned`, or a caller's of Find) joins it.
    pruned->push_back(std::move(it->second));
    it = sources_.erase(it);
    --ended;
  }
}

std::shared_ptr<MigrationSource> SlotMoves::Find(int64_t migration_id) const {
  MutexLock l(&mu_);
  auto it = sources_.find(migration_id);
  return it == sources_.end() ? nullptr : it->second;
}

Result<MigrationProgress> SlotMoves::Progress(int64_t migration_id) const {
  std::shared_ptr<MigrationSource> source = Find(migration_id);
  if (!source) {
    return Status::NotFound("no migration " + std::to_string(migration_id) + " on this node");
  }
  return source->Progress();
}

Result<MigrationProgress> SlotMoves::Finish(int64_t migration_id) {
  std::shared_ptr<MigrationSource> source = Find(migration_id);
  if (!source) {
    return Status::NotFound("no migration " + std::to_string(migration_id) + " on this node");
  }
  return source->Finish();
}

void SlotMoves::Abort(int64_t migration_id) {
  std::shared_ptr<MigrationSource> source = Find(migration_id);
  if (source) source->Abort("aborted by the master");
  target_.Abort(migration_id);
}

bool SlotMoves::AdoptSlot(Slot slot, const SlotMap& map, int64_t member_since) {
  return target_.Adopt(slot, map.epoch(), member_since);
}

void SlotMoves::MapApplied(const SlotMap& map, const std::vector<Slot>& lost) {
  {
    MutexLock l(&mu_);
    for (const auto& entry : sources_) {
      if (!lost.empty()) entry.second->SlotsDropped(lost);
      // A move that added a member (or replaced another) leaves this node in the chain: once the
      // target is in it, the slots' writes go on here.
      entry.second->SlotsDropped(entry.second->CompletedBy(map));
    }
  }
  target_.DropOlderThanMap(map.epoch());
}

void SlotMoves::EpochRaised(int64_t epoch) {
  {
    MutexLock l(&mu_);
    highest_epoch_ = std::max(highest_epoch_, epoch);
    for (const auto& entry : sources_) entry.second->Supersede(epoch);
  }
  target_.DropStagedOlderThan(epoch);
}

}  // namespace dkv::data
