// SlotOwnership: which slots this data node owns, and the fence every master->data call passes.
// "Owns" means: is a member of the slot's chain (head first, tail last; docs/replication.md). Any
// member serves reads; only the head takes writes (WRONG_NODE elsewhere).
//
// It follows the cluster's `slotmap` and `epoch` znodes through the Coordinator (read with one-shot
// watches, re-read on every firing and after the session comes back), keeps the newest slot map it
// has seen and the highest master epoch, and judges the fence of each call (FenceBatch, then
// Batch::CheckSlot/CheckKey for every slot the call names; CheckEpoch for a call that names none):
//   1. STALE_EPOCH if the caller's epoch is below the highest seen (else that epoch becomes the
//      highest seen: a newer master fences the older ones out at its first call);
//   2. if the caller routed with a newer map version than the local one, the map is re-read from
//      ZooKeeper synchronously first (one read, bounded by the coordinator's session timeout);
//   3. WRONG_NODE if the caller's map version is older than the local one (stale route), or if this
//      node does not own the slot under its map.
// When a new map grants this node a slot, the slot gets its table before the map is published:
// the committed import of a slot move when the Listener adopts one (data/slot_moves.h), an empty
// table otherwise; when the map takes a slot away, the slot's table is dropped after publishing, so
// a call fenced under the old map either lands before the drop (and is dropped with it) or finds no
// table (and is refused by the Store). The Listener then hears of the map (MapApplied) and of every
// rise of the highest epoch (EpochRaised).
//
// Threads: FenceBatch, CheckEpoch and the accessors are called by every RPC thread at once. They
// read an immutable State through a shared_ptr copied under a mutex held for a pointer copy only;
// the epoch is an atomic. Reads of ZooKeeper (watch callbacks on the coordinator's event thread,
// session events, synchronous refreshes) are serialized by read_mu_ and never block a fence except
// one that asked for a refresh.
//
// Lifecycle: construct, Start(node_id), then fence calls from any thread; Stop() (or the
// destructor) before the coordinator or the store go away. The owner of the coordinator's session
// listener forwards session events to OnSessionEvent (the listener slot is single, and the data
// node also re-registers itself on expiry).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/fence.h"
#include "common/mutex.h"
#include "common/slot.h"
#include "common/slot_map.h"
#include "data/chain_replicator.h"
#include "data/store.h"
#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::data {

class SlotOwnership {
  struct State;  // below

 public:
  // What slot moves need to hear (implemented by SlotMoves). Called with the map lock held
  // (AdoptSlot, MapApplied, and EpochRaised when a map or the epoch znode raised it) or on an RPC
  // thread (EpochRaised from a call's fence): must not block and must not call SlotOwnership.
  class Listener {
   public:
    virtual ~Listener() = default;
    // `map` makes this node a member of `slot`'s chain (since map version `member_since`), which
    // it was not under the previous map (or was, with a stale table). True when the listener put
    // the slot's table in place (an adopted import); false: SlotOwnership creates an empty one.
    virtual bool AdoptSlot(Slot slot, const SlotMap& map, int64_t member_since) = 0;
    // `map` is published and the slots it took away (`lost`) were dropped from the Store.
    virtual void MapApplied(const SlotMap& map, const std::vector<Slot>& lost) = 0;
    // The highest master epoch seen rose to `epoch`.
    virtual void EpochRaised(int64_t epoch) = 0;
  };

  // `coordinator` and `store` are not owned and must outlive this object.
  SlotOwnership(coord::Coordinator* coordinator, coord::ClusterPaths paths, Store* store);
  ~SlotOwnership();  // Stop()
  SlotOwnership(const SlotOwnership&) = delete;
  SlotOwnership& operator=(const SlotOwnership&) = delete;

  // Names this node (the owner ids in the slot map are compared with it), reads `slotmap` and
  // `epoch` and arms their watches. Absent znodes are fine (no master has written them yet): their
  // creation fires the watches. UNAVAILABLE (or the coordinator's error) when ZooKeeper cannot be
  // read. Call once.
  Status Start(const std::string& node_id);

  // Stops reacting to watches and waits for a watch callback that is running. Idempotent.
  void Stop();

  // Sets the listener (not owned; it must outlive this object). Call once, before Start and
  // before any other thread uses this object.
  void SetListener(Listener* listener);

  // The node's effect stream (not owned; it must outlive this object), told of every chain
  // change: kicked after each map, restarted for each slot whose table or successor is new. Call
  // once, before Start.
  void SetReplicator(ChainReplicator* replicator);

  // What the ChainReplicator routes by. Thread-safe.
  ChainView View() const;

  // Forwarded from the coordinator's session listener. kExpired: every watch is gone, re-read and
  // re-arm both; kConnected: re-read what a read that failed while disconnected left unwatched.
  void OnSessionEvent(coord::SessionEvent event);

  // The fence of a call (a DataNode.execute batch, migrate_slots), taken once so that every slot
  // it names is judged under the same map: Batch checks each slot (the ownership half of step 3,
  // or the stale-route WRONG_NODE of step 3 for every slot). Valid as long as the caller keeps
  // it; thread-compatible.
  class Batch {
   public:
    // OK, WRONG_NODE (stale route, no map yet, not a member of the slot's chain, or, for a
    // `write`, not its head), INVALID_ARGUMENT (out of range). Before any map has been read the
    // slot count is unknown, and the answer is WRONG_NODE.
    Status CheckSlot(Slot slot, bool write) const;
    // As CheckSlot for the slot of `key` under the batch's map (*slot receives it).
    Status CheckKey(std::string_view key, bool write, Slot* slot) const;
    // OK when this node is a member of `slot`'s chain and `from` its predecessor; WRONG_NODE
    // otherwise (or for a stale route).
    Status CheckPredecessor(Slot slot, const std::string& from) const;
    // The stale-route WRONG_NODE, or OK.
    const Status& route() const { return route_; }

   private:
    friend class SlotOwnership;
    const SlotOwnership* owner_ = nullptr;
    std::shared_ptr<const State> state_;
    Status route_;  // the stale-route WRONG_NODE, or OK
  };

  // Steps 1-3 of the fence for a call: STALE_EPOCH, or UNAVAILABLE (a refresh could not read
  // ZooKeeper, or ZooKeeper does not show the caller's version yet), fail the whole call; a stale
  // route is left for Batch::CheckSlot to answer per slot. Thread-safe.
  Result<Batch> FenceBatch(const Fence& fence);

  // STALE_EPOCH if `epoch` is below the highest seen, else raises the highest seen to it (step 1
  // alone, for calls that name no slot this node owns). Thread-safe.
  Status CheckEpoch(int64_t epoch);

  // Whether this node owns `slot` under its current map. Thread-safe.
  bool Owns(Slot slot) const;

  // The slots whose chain lists this node under its current map but whose table the Store does
  // not hold (see DataNodeStats.stale_slots), ascending. Thread-safe.
  std::vector<Slot> StaleSlots() const;

  // A consistent view for stats(). Thread-safe.
  struct Summary {
    std::string node_id;
    int32_t owned_slots = 0;  // slots whose chain it is a member of
    int32_t head_slots = 0;   // of those, the ones it heads
    int32_t slot_count = 0;
    int64_t map_version = 0;
    int64_t highest_epoch = 0;
  };
  Summary GetSummary() const;

  int64_t highest_epoch() const { return highest_epoch_.load(std::memory_order_acquire); }
  int64_t map_version() const;

 private:
  // What a fence is judged with; immutable once published.
  struct State {
    std::string node_id;
    SlotMap map;
    std::vector<uint8_t> owned;  // by slot: 1 when node_id is a member of the slot's chain
    std::vector<uint8_t> heads;  // by slot: 1 when node_id is the slot's head
    int32_t owned_count = 0;
    int32_t head_count = 0;
  };

  // Watch callbacks hold a shared_ptr to this, not to the SlotOwnership, so one firing after Stop()
  // (or after destruction, when the coordinator outlives us) finds owner == nullptr and returns.
  struct CallbackGate {
    Mutex mu;
    SlotOwnership* owner GUARDED_BY(mu) = nullptr;
  };

  std::shared_ptr<const State> Snapshot() const EXCLUDES(state_mu_);
  void Publish(std::shared_ptr<const State> state) EXCLUDES(state_mu_);

  // Raises the highest epoch seen to `epoch`; false when it was not higher.
  bool RaiseEpoch(int64_t epoch);
  // Steps 1-2 and the stale-route half of 3; *state is what the slot is then checked against.
  Status Judge(int64_t epoch, int64_t map_version, std::shared_ptr<const State>* state)
      EXCLUDES(read_mu_);
  Status CheckSlot(const State& state, Slot slot, bool write) const;
  Status Refresh(int64_t map_version) EXCLUDES(read_mu_);

  // Read a znode, arming a watch when `arm` (an Exists watch while the node is absent), and apply
  // it. OK when the node is absent.
  Status ReadMapLocked(bool arm) REQUIRES(read_mu_);
  Status ReadEpochLocked(bool arm) REQUIRES(read_mu_);
  void ApplyMapLocked(SlotMap map) REQUIRES(read_mu_);

  // Watch callbacks, called through the gate.
  void OnMapWatch() EXCLUDES(read_mu_);
  void OnEpochWatch() EXCLUDES(read_mu_);
  coord::Watch MakeWatch(void (SlotOwnership::*handler)());

  // Constant after construction.
  coord::Coordinator* const coordinator_;
  const coord::ClusterPaths paths_;
  Store* const store_;
  const std::shared_ptr<CallbackGate> gate_;
  Listener* listener_ = nullptr;           // set before Start, then constant
  ChainReplicator* replicator_ = nullptr;  // set before Start, then constant

  // Internally synchronized.
  std::atomic<int64_t> highest_epoch_{0};

  // Lock order: gate_->mu, then read_mu_, then state_mu_ (the Store's locks come after read_mu_).
  Mutex read_mu_;
  bool map_watch_armed_ GUARDED_BY(read_mu_) = false;
  bool epoch_watch_armed_ GUARDED_BY(read_mu_) = false;
  bool started_ GUARDED_BY(read_mu_) = false;
  bool starting_ GUARDED_BY(read_mu_) = false;  // Start's read of the map
  // The version of the map Start read (0: none): memberships it already listed belong to an
  // earlier process of this node id.
  int64_t start_version_ GUARDED_BY(read_mu_) = 0;

  mutable Mutex state_mu_;
  std::shared_ptr<const State> state_ GUARDED_BY(state_mu_);  // never null
};

}  // namespace dkv::data
