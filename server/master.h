// Master: what the elected server does with ZooKeeper before and while it serves (DESIGN.md,
// "Election and fencing"): raise the epoch with a versioned write, write the `master` znode,
// reconcile the slot map with the live data nodes, install the routing table; and afterwards
// rebalance whenever data/ changes.
//
// A data node that leaves data/ keeps its slots for a grace period (`data_grace`): if it comes
// back in time (a process that lost its ZooKeeper session but not its memory), it keeps its slots
// and their keys. Calls to those slots meanwhile fail with UNAVAILABLE, which clients retry. When
// the grace period ends, its slots go to the live nodes, empty: their keys are lost, and the master
// logs it and counts them (lost_slots(), shown by `dkv status`). A data node that registers again
// as a new process (another pid or host) kept its slots but not their keys: counted lost too.
//
// Threads: TakeOver/StepDown/Reconcile are called by the Server from the election listener and
// the coordinator's event thread; the data/ watch re-runs Reconcile on that thread, and the
// Master's own expiry thread runs it when a grace period ends. mu_ serializes them all. Watches set
// under an old term (before a StepDown) do nothing when they fire.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/metadata.h"
#include "common/mutex.h"
#include "common/slot_map.h"
#include "server/router.h"

namespace dkv::server {

struct MasterConfig {
  std::string address;               // advertised, published in the master znode
  Limits limits;                     // published in the master znode
  int32_t new_cluster_slots = 1024;  // slot count used only when the cluster has no slot map yet
  std::chrono::milliseconds data_grace{0};  // how long a departed data node keeps its slots
  std::string resp_address = {};  // advertised RESP address, published in the master znode
};

class Master {
 public:
  // `coord` and `router` must outlive the Master.
  Master(coord::Coordinator* coord, const coord::ClusterPaths& paths, MasterConfig config,
         Router* router);
  ~Master();  // joins the expiry thread
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Becomes master as `server_id`: epoch, master znode, slot map, routing. On failure it retries
  // by itself every second until it succeeds or StepDown is called; serving() tells when it is
  // done.
  Status TakeOver(const std::string& server_id) EXCLUDES(mu_);

  // Stops routing; later watch firings of this term are ignored.
  void StepDown() EXCLUDES(mu_);

  // Re-reads data/ and rebalances the slot map if the live set changed. No-op when not master.
  Status Reconcile() EXCLUDES(mu_);

  // The epoch this master holds, 0 when not master.
  int64_t epoch() const EXCLUDES(mu_);

  // True from a completed takeover until StepDown: the routing table is installed. Lock-free (the
  // request path reads it).
  bool serving() const { return serving_.load(std::memory_order_acquire); }

  // Slots reassigned empty because their data node did not come back within the grace period,
  // since this server became master.
  int64_t lost_slots() const EXCLUDES(mu_);

  // Data nodes gone from data/ that still own slots, waiting out their grace period; sorted.
  std::vector<std::string> departed() const EXCLUDES(mu_);

 private:
  Status TakeOverLocked(const std::string& server_id) REQUIRES(mu_);
  Status RaiseEpoch() REQUIRES(mu_);
  Status WriteMasterNode(const std::string& server_id) REQUIRES(mu_);
  Status ReconcileLocked() REQUIRES(mu_);
  Result<std::vector<MemberInfo>> LiveDataNodes() REQUIRES(mu_);
  Status LoadSlotMap() REQUIRES(mu_);
  Status WriteSlotMap(SlotMap map) REQUIRES(mu_);
  // Until the Master is destroyed: retries a failed takeover, and runs ReconcileLocked when the
  // earliest grace period ends.
  void ExpiryLoop() EXCLUDES(mu_);

  using Clock = std::chrono::steady_clock;

  coord::Coordinator* const coord_;
  const coord::ClusterPaths paths_;
  const MasterConfig config_;
  Router* const router_;

  mutable Mutex mu_;
  bool active_ GUARDED_BY(mu_) = false;           // taking over or master: reconciling makes sense
  std::atomic<bool> serving_{false};              // see serving()
  std::string pending_takeover_ GUARDED_BY(mu_);  // server id of a takeover to retry
  bool children_watch_armed_ GUARDED_BY(mu_) = false;
  uint64_t term_ GUARDED_BY(mu_) = 0;  // raised by TakeOver and StepDown; tags watches
  int64_t epoch_ GUARDED_BY(mu_) = 0;
  SlotMap map_ GUARDED_BY(mu_);
  int32_t map_znode_version_ GUARDED_BY(mu_) = -1;  // -1: the slotmap znode does not exist
  // Owners in map_ missing from data/, with when they were first seen missing.
  std::map<std::string, Clock::time_point> departed_ GUARDED_BY(mu_);
  // The process last seen behind each data node id (live or departed), to notice restarts.
  std::map<std::string, MemberInfo> known_ GUARDED_BY(mu_);
  int64_t lost_slots_ GUARDED_BY(mu_) = 0;

  CondVar wakeup_cv_{&mu_};
  std::optional<Clock::time_point> next_wakeup_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread expiry_thread_;  // started by the constructor, joined by the destructor
};

}  // namespace dkv::server
