// Master: what the elected server does with ZooKeeper before and while it serves (DESIGN.md,
// "Election and fencing"): raise the epoch with a versioned write, write the `master` znode,
// reconcile the slot map with the live data nodes, install the routing table; and afterwards
// rebalance whenever data/ or draining/ changes, or an operator asks (Rebalance, Drain).
//
// Rebalancing keeps keys: a chain member that is live is replaced, and a chain that is short of R
// members is extended, by migration (the MigrationDriver, a worker of the Master, copies the
// slot's keys and then has the Master change its chain in the slot map, CommitMove); dead members
// are spliced out and slots without a live member are reassigned at once (MovePlanner). Draining
// data nodes (draining/<id>) get no slots, give theirs away, and are told to leave once they own
// none; their draining/ znode is deleted once they are gone from data/.
//
// A data node that leaves data/ keeps its slots for a grace period (`data_grace`): if it comes
// back in time (a process that lost its ZooKeeper session but not its memory), it keeps its slots
// and their keys. Calls to those slots meanwhile fail with UNAVAILABLE, which clients retry. When
// the grace period ends, its slots go to the live nodes, empty: their keys are lost, and the master
// logs them and keeps their list (lost_slots(), shown by `dkv status`). A data node that registers
// again as a new process (another pid or host) kept its slots but not their keys: counted lost too.
//
// Threads: TakeOver/StepDown/Reconcile are called by the Server from the election listener and
// the coordinator's event thread; the data/ and draining/ watches re-run Reconcile on that thread,
// and the Master's own expiry thread runs it when a grace period ends; Drain/Rebalance come from
// request threads; the driver's workers call the MigrationDriver::Host methods. mu_ serializes
// them all. Watches set under an old term (before a StepDown) do nothing when they fire. Lock
// order: mu_, then the driver's own lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/metadata.h"
#include "common/mutex.h"
#include "common/slot_map.h"
#include "server/data_node_prober.h"
#include "server/migration_driver.h"
#include "server/move_planner.h"
#include "server/router.h"

namespace dkv::server {

struct MasterConfig {
  std::string address;               // advertised, published in the master znode
  Limits limits;                     // published in the master znode
  int32_t new_cluster_slots = 1024;  // slot count used only when the cluster has no slot map yet
  std::chrono::milliseconds data_grace{0};  // how long a departed data node keeps its slots
  std::string resp_address = {};  // advertised RESP address, published in the master znode
  MigrationDriverOptions migration = {};
  DataNodeProberOptions prober = {};
  int32_t replication_factor = 1;  // R of the slot map, used only when the cluster has none yet
};

class Master : public MigrationDriver::Host {
 public:
  // `coord` and `router` must outlive the Master.
  Master(coord::Coordinator* coord, const coord::ClusterPaths& paths, MasterConfig config,
         Router* router);
  ~Master() override;  // joins the expiry thread and the driver's workers
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
  // The slots reassigned empty (their keys lost) since this master took over, ascending.
  std::vector<Slot> lost_slots() const EXCLUDES(mu_);

  // Data nodes gone from data/ that still own slots, waiting out their grace period; sorted.
  std::vector<std::string> departed() const EXCLUDES(mu_);

  // Marks live data node `id` draining (draining/<id>): its slots move to the other nodes, and
  // once it is in no chain it is told to leave if `leave_when_done`. Returns the slots whose chains
  // it is in now.
  // NOT_FOUND when no live data node has that id; NOT_MASTER when not master; UNAVAILABLE when
  // ZooKeeper cannot be written.
  Result<int32_t> Drain(const std::string& id, bool leave_when_done) EXCLUDES(mu_);

  // Re-reads the membership and starts the moves the balanced map needs; returns how many slots
  // are to move. NOT_MASTER when not master.
  Result<int32_t> Rebalance() EXCLUDES(mu_);

  // Sets the cluster's replication factor R (kept in the slot map): chains longer than R shrink
  // at once, shorter ones grow by copies in the background. Returns the live data nodes that are
  // not draining (when fewer than R, chains are as long as they allow). INVALID_ARGUMENT for R
  // outside 1..kMaxReplicationFactor; NOT_MASTER when not master; UNAVAILABLE when ZooKeeper
  // cannot be written.
  Result<int32_t> SetReplicationFactor(int32_t replication_factor) EXCLUDES(mu_);
  static constexpr int32_t kMaxReplicationFactor = 16;

  // The slot map as this master last read or wrote it (chains, R); empty before its first takeover.
  SlotMap slot_map() const EXCLUDES(mu_);

  // Slot moves in progress.
  std::vector<MoveStatus> moves() const;
  // Live data nodes that are draining; sorted.
  std::vector<std::string> draining() const EXCLUDES(mu_);
  // Slots whose move completed since this server became master.
  int64_t moved_slots() const EXCLUDES(mu_);

  // MigrationDriver::Host (called by the driver's workers).
  Result<Plan> PlanMoves() override EXCLUDES(mu_);
  Result<Node> DataNode(const std::string& id) override;
  Fence CurrentFence() override EXCLUDES(mu_);
  int64_t NewMigrationId() override EXCLUDES(mu_);
  Status CommitMove(const MoveBatch& batch, const Fence& fence) override EXCLUDES(mu_);

 private:
  Status TakeOverLocked(const std::string& server_id) REQUIRES(mu_);
  Status RaiseEpoch() REQUIRES(mu_);
  Status WriteMasterNode(const std::string& server_id) REQUIRES(mu_);
  Status ReconcileLocked() REQUIRES(mu_);
  // Children of `path`, arming a watch that re-runs Reconcile unless one is armed (*armed).
  Result<std::vector<std::string>> WatchChildren(const std::string& path, bool* armed)
      REQUIRES(mu_);
  Result<std::vector<MemberInfo>> LiveDataNodes() REQUIRES(mu_);
  // Reads draining/: the drain requests of live nodes into draining_; deletes those of nodes gone
  // from data/.
  Status ReadDraining(const std::set<std::string>& live) REQUIRES(mu_);
  PlanMembers Members() const REQUIRES(mu_);
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
  bool draining_watch_armed_ GUARDED_BY(mu_) = false;
  uint64_t term_ GUARDED_BY(mu_) = 0;  // raised by TakeOver and StepDown; tags watches
  int64_t epoch_ GUARDED_BY(mu_) = 0;
  SlotMap map_ GUARDED_BY(mu_);
  int32_t map_znode_version_ GUARDED_BY(mu_) = -1;  // -1: the slotmap znode does not exist
  // Owners in map_ missing from data/, with when they were first seen missing.
  std::map<std::string, Clock::time_point> departed_ GUARDED_BY(mu_);
  // The process last seen behind each data node id (live or departed), to notice restarts.
  std::map<std::string, MemberInfo> known_ GUARDED_BY(mu_);
  std::set<Slot> lost_slots_ GUARDED_BY(mu_);
  // Live data nodes that restarted (lost their memory) and are still to be spliced out of the
  // chains that have other members; and those that are to be treated as unreachable in plans.
  std::set<std::string> restarted_ GUARDED_BY(mu_);
  std::set<std::string> unreachable_ GUARDED_BY(mu_);
  // Live data nodes' chain memberships whose table they lack (the prober's Stale()).
  std::map<std::string, std::vector<Slot>> stale_ GUARDED_BY(mu_);
  std::vector<MemberInfo> live_ GUARDED_BY(mu_);               // data/ at the last Reconcile
  std::map<std::string, DrainInfo> draining_ GUARDED_BY(mu_);  // live nodes in draining/
  std::vector<std::string> waiting_ GUARDED_BY(mu_);           // departed within their grace
  int64_t moved_slots_ GUARDED_BY(mu_) = 0;
  int64_t migrations_started_ GUARDED_BY(mu_) = 0;

  CondVar wakeup_cv_{&mu_};
  std::optional<Clock::time_point> next_wakeup_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread expiry_thread_;  // started by the constructor, joined by the destructor
  // Created by the constructor, destroyed first by the destructor (its workers call this Master).
  std::unique_ptr<MigrationDriver> driver_;
  // Created by the constructor after the driver, destroyed before it (its callback reconciles).
  std::unique_ptr<DataNodeProber> prober_;
};

}  // namespace dkv::server
