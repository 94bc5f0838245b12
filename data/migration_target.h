// MigrationTarget: the incoming side of slot moves on a data node (docs/migration.md).
//
// The source node of a move calls import_begin / import_chunk* / import_commit (or import_abort);
// DataService hands them here. Each import stages its slots in the Store (Store::BeginImport),
// applies the entries as they come (Store::ImportPart; a big value arrives as ordered parts), and
// on commit is only marked committed: the keys are not served yet. They become the slot's table
// when a slot map grants the slot to this node (SlotOwnership calls Adopt while it applies the map,
// instead of creating an empty table), if the import is committed and was made under the master
// epoch of that map or an older one whose flip this node never saw (the map's owner_since for the
// slot is newer than the map version of the commit). A staged (uncommitted) import of an older
// epoch is dropped as soon as a higher epoch is seen; any import older than the epoch of an
// applied map that did not adopt it is dropped then.
//
// Thread-safety: every method is thread-safe (one mutex; the Store's locks are taken after it).
// Adopt is called by SlotOwnership with its map lock held, so nothing here calls SlotOwnership.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/limits.h"
#include "common/mutex.h"
#include "common/slot.h"
#include "data/import_channel.h"
#include "data/store.h"
#include "dkv/status.h"

namespace dkv::data {

class MigrationTarget {
 public:
  // `store` is not owned and must outlive this object. Entries above `limits` are refused.
  MigrationTarget(Store* store, Limits limits) : store_(store), limits_(limits) {}
  ~MigrationTarget();  // drops every import it still stages
  MigrationTarget(const MigrationTarget&) = delete;
  MigrationTarget& operator=(const MigrationTarget&) = delete;

  // Starts staging `slots` (of a map with `slot_count` slots) for move `migration_id` under the
  // fence's epoch. An import already staging one of these slots (an earlier attempt) is dropped
  // first; repeating the call for the same move starts it afresh. INVALID_ARGUMENT for an empty
  // or repeated slot list or a slot out of range; STALE_EPOCH when DropStagedOlderThan was told
  // of a higher epoch than the fence's. The caller has checked the fence's epoch and that this
  // node does not own the slots.
  Status Begin(const Fence& fence, int64_t migration_id, const std::vector<Slot>& slots,
               int32_t slot_count);

  // Applies `entries` in order. NOT_FOUND for an unknown (or dropped) move; INVALID_ARGUMENT for
  // a committed move, a key whose slot is not part of the move, a db out of range, a key or value
  // above the limits, or a part that does not continue the value staged for its key.
  Status Chunk(int64_t migration_id, std::vector<MigrationEntry>&& entries);

  // Marks the move committed (the map version of the commit's fence is kept for Adopt).
  // NOT_FOUND for an unknown move; INVALID_ARGUMENT while a value is incomplete. Idempotent.
  // `seqs` gives each slot's effect seq (0 for a slot it leaves out), which Adopt hands the Store.
  Status Commit(const Fence& fence, int64_t migration_id, const std::vector<SlotSeq>& seqs);

  // Drops the move's staged slots, committed or not. Unknown ids are fine (idempotent).
  void Abort(int64_t migration_id);

  // Called by SlotOwnership for a slot that the map of `map_epoch` grants this node, with the
  // slot's owner_since in that map. True when a committed import of the slot qualified (see the
  // file comment) and is now the slot's table; false: the caller creates an empty one.
  bool Adopt(Slot slot, int64_t map_epoch, int64_t owner_since);

  // A map of `map_epoch` was applied: drops every import of an older epoch.
  void DropOlderThanMap(int64_t map_epoch);

  // A higher master epoch was seen: drops the staged (uncommitted) imports of older epochs.
  void DropStagedOlderThan(int64_t epoch);

  // Whether a move stages `slot` (committed or not).
  bool IsImporting(Slot slot) const;

 private:
  struct Import {
    Fence fence;
    std::vector<Slot> slots;  // still staged (not yet adopted)
    int32_t slot_count = 0;
    bool committed = false;
    int64_t commit_map_version = 0;
    std::unordered_map<Slot, uint64_t> seqs;  // from the commit
    // Keys whose value is only partly here: the offset the next part must start at.
    std::map<std::pair<int32_t, std::string>, int64_t> partial;
  };

  Status Apply(Import* import, MigrationEntry&& entry) REQUIRES(mu_);
  void DropLocked(int64_t migration_id) REQUIRES(mu_);

  Store* const store_;
  const Limits limits_;

  mutable Mutex mu_;
  std::map<int64_t, Import> imports_ GUARDED_BY(mu_);
  std::unordered_map<Slot, int64_t> import_of_slot_ GUARDED_BY(mu_);
  int64_t highest_epoch_ GUARDED_BY(mu_) = 0;  // as DropStagedOlderThan was told
};

}  // namespace dkv::data
