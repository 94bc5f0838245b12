// SlotMoves: every slot move this data node takes part in, as source (one MigrationSource per
// migration id) and as target (the node's MigrationTarget), and what the slot map and the master
// epoch do to them. DataService hands it the migration RPCs; SlotOwnership calls it as its
// Listener while it applies a slot map or sees a higher epoch (docs/migration.md).
//
// Thread-safety: every method is thread-safe. Lock order: SlotOwnership's map lock, then mu_, then
// a MigrationSource's or the MigrationTarget's locks, then the Store's. Nothing here calls
// SlotOwnership, and no call into a MigrationSource that may block (Finish, Abort) is made with
// mu_ held.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/host_port.h"
#include "common/limits.h"
#include "common/mutex.h"
#include "common/slot.h"
#include "data/import_channel.h"
#include "data/migration_source.h"
#include "data/migration_target.h"
#include "data/slot_ownership.h"
#include "data/store.h"
#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::data {

// Opens the channel a source sends its keys through, to the target's advertised address.
using ImportChannelFactory = std::function<std::unique_ptr<ImportChannel>(const HostPort&)>;

class SlotMoves : public SlotOwnership::Listener {
 public:
  // `store` is not owned and must outlive this object.
  SlotMoves(Store* store, Limits limits, ImportChannelFactory channels,
            MigrationSourceOptions source_options = {});
  ~SlotMoves() override;  // aborts the moves still running (without calling their targets)
  SlotMoves(const SlotMoves&) = delete;
  SlotMoves& operator=(const SlotMoves&) = delete;

  // migrate_slots: starts moving `slots` (owned by this node under the fence, which the caller
  // checked) to `target_id` at `target_address`. Repeating the call of a running move is a no-op.
  // INVALID_ARGUMENT for no slots, a repeated slot, a slot of another running move, a bad
  // address; ALREADY_EXISTS for a running move of that id with other slots or target;
  // STALE_EPOCH when a higher epoch than the fence's was seen meanwhile (EpochRaised).
  Status StartMove(const Fence& fence, int64_t migration_id, const std::vector<Slot>& slots,
                   const std::string& target_id, const std::string& target_address) EXCLUDES(mu_);

  // migration_status / finish_migration (MigrationSource::Finish). NOT_FOUND for an unknown id.
  Result<MigrationProgress> Progress(int64_t migration_id) const EXCLUDES(mu_);
  Result<MigrationProgress> Finish(int64_t migration_id) EXCLUDES(mu_);

  // abort_migration: aborts the move of that id on either side (source: writes resume and the
  // target is told; target: the import is dropped). Unknown ids are fine.
  void Abort(int64_t migration_id) EXCLUDES(mu_);

  MigrationTarget* target() { return &target_; }

  // SlotOwnership::Listener.
  bool AdoptSlot(Slot slot, const SlotMap& map, int64_t member_since) override;
  void MapApplied(const SlotMap& map, const std::vector<Slot>& lost) override EXCLUDES(mu_);
  void EpochRaised(int64_t epoch) override EXCLUDES(mu_);

 private:
  std::shared_ptr<MigrationSource> Find(int64_t migration_id) const EXCLUDES(mu_);
  // Forgets ended moves beyond the newest kKeptEnded (migration_status still reports those), and
  // hands them to `pruned` to be destroyed outside mu_.
  void PruneLocked(std::vector<std::shared_ptr<MigrationSource>>* pruned) REQUIRES(mu_);

  Store* const store_;
  const ImportChannelFactory channels_;
  const MigrationSourceOptions source_options_;
  MigrationTarget target_;

  mutable Mutex mu_;
  std::map<int64_t, std::shared_ptr<MigrationSource>> sources_ GUARDED_BY(mu_);
  int64_t highest_epoch_ GUARDED_BY(mu_) = 0;  // as EpochRaised reported it
};

}  // namespace dkv::data
