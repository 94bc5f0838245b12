// Master: what the elected server does with ZooKeeper before and while it serves (DESIGN.md,
// "Election and fencing"): raise the epoch with a versioned write, write the `master` znode,
// reconcile the slot map with the live data nodes, install the routing table; and afterwards
// rebalance whenever data/ changes.
//
// Threads: TakeOver/StepDown/Reconcile are called by the Server from the election listener and
// the coordinator's event thread; the data/ watch re-runs Reconcile on that thread. mu_ serializes
// them. Watches set under an old term (before a StepDown) do nothing when they fire.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/metadata.h"
#include "common/mutex.h"
#include "common/slot_map.h"
#include "server/router.h"

namespace dkv::server {

class Master {
 public:
  // `coord` and `router` must outlive the Master. `new_cluster_slots` is the slot count used only
  // when the cluster has no slot map yet.
  Master(coord::Coordinator* coord, const coord::ClusterPaths& paths, std::string address,
         Limits limits, int32_t new_cluster_slots, Router* router);
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Becomes master as `server_id`: epoch, master znode, slot map, routing. On failure the caller
  // should not serve (and retries when the session allows).
  Status TakeOver(const std::string& server_id) EXCLUDES(mu_);

  // Stops routing; later watch firings of this term are ignored.
  void StepDown() EXCLUDES(mu_);

  // Re-reads data/ and rebalances the slot map if the live set changed. No-op when not master.
  Status Reconcile() EXCLUDES(mu_);

  // The epoch this master holds, 0 when not master.
  int64_t epoch() const EXCLUDES(mu_);

 private:
  Status RaiseEpoch() REQUIRES(mu_);
  Status WriteMasterNode(const std::string& server_id) REQUIRES(mu_);
  Status ReconcileLocked() REQUIRES(mu_);
  Result<std::vector<MemberInfo>> LiveDataNodes() REQUIRES(mu_);
  Status LoadSlotMap() REQUIRES(mu_);
  Status WriteSlotMap(SlotMap map) REQUIRES(mu_);

  coord::Coordinator* const coord_;
  const coord::ClusterPaths paths_;
  const std::string address_;
  const Limits limits_;  // published in the master znode
  const int32_t new_cluster_slots_;
  Router* const router_;

  mutable Mutex mu_;
  bool active_ GUARDED_BY(mu_) = false;
  uint64_t term_ GUARDED_BY(mu_) = 0;  // raised by TakeOver and StepDown; tags watches
  int64_t epoch_ GUARDED_BY(mu_) = 0;
  SlotMap map_ GUARDED_BY(mu_);
  int32_t map_znode_version_ GUARDED_BY(mu_) = -1;  // -1: the slotmap znode does not exist
};

}  // namespace dkv::server
