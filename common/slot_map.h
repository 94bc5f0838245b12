// SlotMap: which data node owns each slot, as stored in the cluster's `slotmap` znode.
//
// The master computes it (Rebalance) and writes it; data nodes read it to know which slots they
// own. A value type, thread-compatible; it knows nothing of ZooKeeper or Thrift (the codec is in
// common/rpc/metadata.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/slot.h"

namespace dkv {

class SlotMap {
 public:
  SlotMap() = default;  // no slots: the map of a cluster that has none yet
  explicit SlotMap(int32_t slot_count) : owners_(slot_count), since_(slot_count) {}

  int32_t slot_count() const { return static_cast<int32_t>(owners_.size()); }
  // Raised by one by every write of the map; 0 for a map never written.
  int64_t version() const { return version_; }
  void set_version(int64_t version) { version_ = version; }
  // Epoch of the master that wrote this version.
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t epoch) { epoch_ = epoch; }

  // The owning node id, or "" when the slot is unassigned. Requires 0 <= slot < slot_count().
  const std::string& Owner(Slot slot) const { return owners_[slot]; }
  void Assign(Slot slot, std::string node) { owners_[slot] = std::move(node); }

  // The map version in which the slot's current owner got it. A data node that owned a slot under
  // an older version and owns it again here knows from this whether the slot was elsewhere in
  // between (and so its old table is stale), even if it never saw the versions in between.
  int64_t OwnerSince(Slot slot) const { return since_[slot]; }
  void SetOwnerSince(Slot slot, int64_t version) { since_[slot] = version; }
  // Stamps this map's version on every slot whose owner differs from `previous`'s, and carries
  // over `previous`'s stamps for the others. Call after set_version, before writing the map.
  void StampChanges(const SlotMap& previous);

  std::vector<Slot> SlotsOf(const std::string& node) const;
  // Slot count per owning node (unassigned slots are not counted).
  std::map<std::string, int32_t> Counts() const;

  // Reassigns slots so that every slot is owned by one of `live_nodes`, owners' counts differ by at
  // most one, and as few slots as possible change owner: slots of live nodes stay put unless their
  // owner holds more than its share. With no live node every slot becomes unassigned.
  // `frozen_nodes` (absent, waiting to come back) keep the slots they own and get no others; the
  // live nodes share the rest as above. Returns the number of slots whose owner changed. Does not
  // touch version, epoch or owner stamps.
  int32_t Rebalance(const std::vector<std::string>& live_nodes,
                    const std::vector<std::string>& frozen_nodes = {});

  bool operator==(const SlotMap& o) const {
    return owners_ == o.owners_ && since_ == o.since_ && version_ == o.version_ &&
           epoch_ == o.epoch_;
  }

 private:
  std::vector<std::string> owners_;
  std::vector<int64_t> since_;  // OwnerSince per slot
  int64_t version_ = 0;
  int64_t epoch_ = 0;
};

}  // namespace dkv
