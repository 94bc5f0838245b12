#include "data/slot_ownership.h"

#include <algorithm>
#include <utility>

#include "common/logging.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::data {

SlotOwnership::SlotOwnership(coord::Coordinator* coordinator, coord::ClusterPaths paths,
                             Store* store)
    : coordinator_(coordinator),
      paths_(std::move(paths)),
      store_(store),
      gate_(std::make_shared<CallbackGate>()),
      state_(std::make_shared<const State>()) {
  MutexLock l(&gate_->mu);
  gate_->owner = this;
}

SlotOwnership::~SlotOwnership() { Stop(); }

void SlotOwnership::Stop() {
  MutexLock l(&gate_->mu);  // waits for a running callback
  gate_->owner = nullptr;
}

std::shared_ptr<const SlotOwnership::State> SlotOwnership::Snapshot() const {
  MutexLock l(&state_mu_);
  return state_;
}

void SlotOwnership::Publish(std::shared_ptr<const State> state) {
  MutexLock l(&state_mu_);
  state_.swap(state);
  // The old state, if this was its last reference, is freed after the lock is released.
}

void SlotOwnership::SetReplicator(ChainReplicator* replicator) {
  MutexLock l(&read_mu_);
  DKV_CHECK(!started_) << "SlotOwnership::SetReplicator after Start";
  replicator_ = replicator;
}

ChainView SlotOwnership::View() const {
  std::shared_ptr<const State> state = Snapshot();
  ChainView view;
  view.self = state->node_id;
  view.epoch = highest_epoch();
  if (state->map.slot_count() > 0) view.map = std::shared_ptr<const SlotMap>(state, &state->map);
  return view;
}

void SlotOwnership::SetListener(Listener* listener) {
  MutexLock l(&read_mu_);
  DKV_CHECK(!started_) << "SlotOwnership::SetListener after Start";
  listener_ = listener;
}

Status SlotOwnership::Start(const std::string& node_id) {
  MutexLock l(&read_mu_);
  DKV_CHECK(!started_) << "SlotOwnership::Start called twice";
  DKV_CHECK(!node_id.empty());
  started_ = true;
  auto state = std::make_shared<State>();
  state->node_id = node_id;
  Publish(std::move(state));
  starting_ = true;
  Status read = ReadMapLocked(/*arm=*/true);
  starting_ = false;
  DKV_RETURN_NOT_OK_PREPEND(read, "cannot read " + paths_.slotmap());
  DKV_RETURN_NOT_OK_PREPEND(ReadEpochLocked(/*arm=*/true), "cannot read " + paths_.epoch());
  return Status::OK();
}

void SlotOwnership::OnSessionEvent(coord::SessionEvent event) {
  if (event == coord::SessionEvent::kSuspended) return;
  MutexLock l(&read_mu_);
  if (!started_) return;
  if (event == coord::SessionEvent::kExpired) {
    // Watches set in the old session never fire.
    map_watch_armed_ = false;
    epoch_watch_armed_ = false;
  }
  // While suspended, watches already armed stay armed (and fire late if something changed); only
  // what a failed read left unwatched needs reading again.
  if (!map_watch_armed_) {
    Status s = ReadMapLocked(true);
    if (!s.ok()) DKV_LOG(WARNING) << "cannot re-read " << paths_.slotmap() << ": " << s.ToString();
  }
  if (!epoch_watch_armed_) {
    Status s = ReadEpochLocked(true);
    if (!s.ok()) DKV_LOG(WARNING) << "cannot re-read " << paths_.epoch() << ": " << s.ToString();
  }
}

coord::Watch SlotOwnership::MakeWatch(void (SlotOwnership::*handler)()) {
  return [gate = gate_, handler] {
    MutexLock l(&gate->mu);
    if (gate->owner != nullptr) (gate->owner->*handler)();
  };
}

void SlotOwnership::OnMapWatch() {
  MutexLock l(&read_mu_);
  map_watch_armed_ = false;
  Status s = ReadMapLocked(true);
  // A failed read leaves the watch unarmed: the next kConnected, or the next call that carries a
  // newer map version, reads again.
  if (!s.ok()) DKV_LOG(WARNING) << "cannot re-read " << paths_.slotmap() << ": " << s.ToString();
}

void SlotOwnership::OnEpochWatch() {
  MutexLock l(&read_mu_);
  epoch_watch_armed_ = false;
  Status s = ReadEpochLocked(true);
  if (!s.ok()) DKV_LOG(WARNING) << "cannot re-read " << paths_.epoch() << ": " << s.ToString();
}

Status SlotOwnership::ReadMapLocked(bool arm) {
  coord::Watch watch = arm ? MakeWatch(&SlotOwnership::OnMapWatch) : nullptr;
  Result<coord::NodeData> data = coordinator_->Get(paths_.slotmap(), watch);
  if (!data.ok() && data.status().IsNotFound() && arm) {
    // ZooKeeper sets no watch on a missing node's data: watch for its creation instead.
    Result<bool> exists = coordinator_->Exists(paths_.slotmap(), watch);
    if (!exists.ok()) return exists.status();
    map_watch_armed_ = true;
    if (!*exists) return Status::OK();
    // Created in between: the Exists watch is armed, read the data without another one.
    data = coordinator_->Get(paths_.slotmap());
  } else if (data.ok() && arm) {
    map_watch_armed_ = true;
  }
  if (!data.ok()) return data.status().IsNotFound() ? Status::OK() : data.status();
  SlotMap map;
  DKV_RETURN_NOT_OK_PREPEND(rpc::DecodeSlotMap(data->data, &map), "bad " + paths_.slotmap());
  ApplyMapLocked(std::move(map));
  return Status::OK();
}

Status SlotOwnership::ReadEpochLocked(bool arm) {
  coord::Watch watch = arm ? MakeWatch(&SlotOwnership::OnEpochWatch) : nullptr;
  Result<coord::NodeData> data = coordinator_->Get(paths_.epoch(), watch);
  if (!data.ok() && data.status().IsNotFound() && arm) {
    Result<bool> exists = coordinator_->Exists(paths_.epoch(), watch);
    if (!exists.ok()) return exists.status();
    epoch_watch_armed_ = true;
    if (!*exists) return Status::OK();
    data = coordinator_->Get(paths_.epoch());
  } else if (data.ok() && arm) {
    epoch_watch_armed_ = true;
  }
  if (!data.ok()) return data.status().IsNotFound() ? Status::OK() : data.status();
  int64_t epoch = 0;
  DKV_RETURN_NOT_OK_PREPEND(rpc::DecodeEpoch(data->data, &epoch), "bad " + paths_.epoch());
  RaiseEpoch(epoch);
  return Status::OK();
}

void SlotOwnership::ApplyMapLocked(SlotMap map) {
  std::shared_ptr<const State> old = Snapshot();
  // Versions only grow; a read that raced with a newer one must not take the map back.
  if (map.version() <= old->map.version()) return;

  auto next = std::make_shared<State>();
  next->node_id = old->node_id;
  const std::string& self = next->node_id;
  const int32_t slot_count = map.slot_count();
  next->owned.assign(slot_count, 0);
  next->heads.assign(slot_count, 0);
  if (!self.empty()) {
    for (Slot s = 0; s < slot_count; ++s) {
      if (!map.IsMember(s, self)) continue;
      next->owned[s] = 1;
      ++next->owned_count;
      if (map.Owner(s) == self) {
        next->heads[s] = 1;
        ++next->head_count;
      }
    }
  }
  auto owned_in = [](const State& state, Slot s) {
    return s < static_cast<Slot>(state.owned.size()) && state.owned[s] != 0;
  };
  const Slot span = std::max<Slot>(slot_count, static_cast<Slot>(old->owned.size()));

  // Tables for gained slots exist before any call can be fenced under the new map. A slot held
  // under both maps that left this node's chain in between (versions this node never saw) gets a
  // fresh table too: what the old one holds is stale, the keys written elsewhere meanwhile are not
  // here.
  int32_t gained = 0;
  int64_t stale_keys = 0;
  // A slot brought here by a move gets the move's committed import instead of an empty table.
  int32_t adopted = 0;
  std::vector<uint8_t> renewed(slot_count, 0);  // tables created or adopted here
  // The map read at Start may still list this node where an earlier process of this id was a
  // member: those keys died with it. Where other members have them, this process holds no table
  // (calls are refused WRONG_NODE) until the master replaces it with a copy; a sole member starts
  // empty, as the master counts those keys lost. A membership granted after that read is this
  // process's own.
  if (starting_) start_version_ = map.version();
  int32_t stale = 0;
  for (Slot s = 0; s < span; ++s) {
    if (!owned_in(*next, s)) continue;
    const int64_t since = map.MemberSince(s, self);
    const bool fresh = !owned_in(*old, s);
    if (!fresh && since <= old->map.version()) continue;
    if (fresh && since <= start_version_ && map.Chain(s).size() > 1) {
      ++stale;
      continue;
    }
    if (!fresh) stale_keys += store_->DropSlot(s);
    if (listener_ != nullptr && listener_->AdoptSlot(s, map, since)) {
      ++adopted;
    } else {
      store_->AddSlot(s);
    }
    renewed[s] = 1;
    ++gained;
  }
  // Each member's place in its chain, before any call is fenced under the new map. A stream
  // that is new (a new table, or a first successor, which was copied from this table) starts
  // over at the table's seq first, so that no effect of the new role is forgotten by it.
  for (Slot s = 0; s < slot_count; ++s) {
    if (!owned_in(*next, s)) continue;
    const bool has_successor = !map.Successor(s, self).empty();
    const bool had_successor =
        owned_in(*old, s) && !renewed[s] && !old->map.Successor(s, self).empty();
    if (replicator_ != nullptr && (renewed[s] || (has_successor && !had_successor))) {
      replicator_->Restart(s, store_->Seq(s));
    }
    store_->SetChainRole(s, next->heads[s] != 0, has_successor);
  }
  const int64_t version = map.version();
  const int64_t map_epoch = map.epoch();
  next->map = std::move(map);
  const int32_t owned_count = next->owned_count;
  const int32_t head_count = next->head_count;
  std::shared_ptr<const State> published = next;
  Publish(std::move(next));

  // Lost slots are dropped only now: from here on no new call is fenced under the old map.
  std::vector<Slot> lost;
  int64_t dropped_keys = 0;
  for (Slot s = 0; s < span; ++s) {
    if (owned_in(*old, s) && !owned_in(*published, s)) {
      dropped_keys += store_->DropSlot(s);
      if (replicator_ != nullptr) replicator_->Restart(s, 0);
      lost.push_back(s);
    }
  }
  RaiseEpoch(map_epoch);
  if (listener_ != nullptr) listener_->MapApplied(published->map, lost);
  if (replicator_ != nullptr) replicator_->Kick();
  DKV_LOG(INFO) << "slot map version " << version << " (epoch " << map_epoch << "): " << self
                << " is in the chains of " << owned_count << " of " << slot_count
                << " slots (head of " << head_count << "); gained " << gained << " (" << adopted
                << " with their moved keys), lost " << lost.size() << " ("
                << dropped_keys + stale_keys << " keys dropped)"
                << (stale > 0 ? "; " + std::to_string(stale) +
                                    " memberships of an earlier process of this id are stale"
                              : std::string());
}

bool SlotOwnership::RaiseEpoch(int64_t epoch) {
  int64_t seen = highest_epoch_.load(std::memory_order_acquire);
  while (epoch > seen &&
         !highest_epoch_.compare_exchange_weak(seen, epoch, std::memory_order_acq_rel)) {
  }
  // After a successful exchange `seen` still holds the smaller epoch it replaced.
  if (epoch <= seen) return false;
  if (listener_ != nullptr) listener_->EpochRaised(epoch);
  return true;
}

Status SlotOwnership::CheckEpoch(int64_t epoch) {
  RaiseEpoch(epoch);
  const int64_t seen = highest_epoch_.load(std::memory_order_acquire);
  if (epoch < seen) {
    return Status::StaleEpoch("master epoch " + std::to_string(epoch) + " is older than epoch " +
                              std::to_string(seen) + " already seen by this data node");
  }
  return Status::OK();
}

Status SlotOwnership::Refresh(int64_t map_version) {
  MutexLock l(&read_mu_);
  // Another caller may have refreshed while this one waited.
  if (Snapshot()->map.version() >= map_version) return Status::OK();
  // Arm the watch too if a failed read had left it unarmed.
  Status s = ReadMapLocked(/*arm=*/!map_watch_armed_);
  if (!s.ok()) {
    return Status::Unavailable("cannot refresh the slot map to version " +
                               std::to_string(map_version) + ": " + s.ToString());
  }
  return Status::OK();
}

Status SlotOwnership::Judge(int64_t epoch, int64_t map_version,
                            std::shared_ptr<const State>* state) {
  DKV_RETURN_NOT_OK(CheckEpoch(epoch));
  *state = Snapshot();
  if (map_version > (*state)->map.version()) {
    DKV_RETURN_NOT_OK(Refresh(map_version));
    *state = Snapshot();
  }
  const int64_t local = (*state)->map.version();
  if (map_version < local) {
    return Status::WrongNode("slot map version " + std::to_string(map_version) +
                             " is older than version " + std::to_string(local) + " on data node " +
                             (*state)->node_id + " (stale route)");
  }
  if (map_version > local) {
    // ZooKeeper (this node's server of the ensemble) does not show that version yet.
    return Status::Unavailable("slot map version " + std::to_string(map_version) +
                               " is not visible to data node " + (*state)->node_id +
                               " yet (it has version " + std::to_string(local) + ")");
  }
  return Status::OK();
}

Status SlotOwnership::CheckSlot(const State& state, Slot slot, bool write) const {
  const int32_t slot_count = state.map.slot_count();
  if (slot_count == 0) {
    return Status::WrongNode("data node " + state.node_id + " has no slot map yet");
  }
  if (slot < 0 || slot >= slot_count) {
    return Status::InvalidArgument("slot " + std::to_string(slot) + " is out of range [0, " +
                                   std::to_string(slot_count) + ")");
  }
  if (state.owned[slot] != 0 && (!write || state.heads[slot] != 0)) return Status::OK();
  const std::string& head = state.map.Owner(slot);
  const std::string version = std::to_string(state.map.version());
  if (head.empty()) {
    return Status::WrongNode("slot " + std::to_string(slot) +
                             " is not assigned under slot map version " + version +
                             "; not owned by " + state.node_id);
  }
  if (state.owned[slot] != 0) {
    return Status::WrongNode("slot " + std::to_string(slot) + " takes writes at its head " + head +
                             " under slot map version " + version + ", not at " + state.node_id);
  }
  return Status::WrongNode("slot " + std::to_string(slot) + " is owned by " + head +
                           " under slot map version " + version + ", not by " + state.node_id);
}

Result<SlotOwnership::Batch> SlotOwnership::FenceBatch(const Fence& fence) {
  Batch batch;
  batch.owner_ = this;
  Status s = Judge(fence.epoch, fence.map_version, &batch.state_);
  if (s.IsWrongNode()) {
    batch.route_ = std::move(s);
  } else if (!s.ok()) {
    return s;
  }
  return batch;
}

Status SlotOwnership::Batch::CheckSlot(Slot slot, bool write) const {
  DKV_RETURN_NOT_OK(route_);
  return owner_->CheckSlot(*state_, slot, write);
}

Status SlotOwnership::Batch::CheckKey(std::string_view key, bool write, Slot* slot) const {
  DKV_RETURN_NOT_OK(route_);
  const int32_t slot_count = state_->map.slot_count();
  if (slot_count == 0) {
    return Status::WrongNode("data node " + state_->node_id + " has no slot map yet");
  }
  *slot = SlotOf(key, slot_count);
  return owner_->CheckSlot(*state_, *slot, write);
}

Status SlotOwnership::Batch::CheckPredecessor(Slot slot, const std::string& from) const {
  DKV_RETURN_NOT_OK(CheckSlot(slot, /*write=*/false));
  const std::string predecessor = state_->map.Predecessor(slot, state_->node_id);
  if (predecessor != from) {
    return Status::WrongNode(
        "slot " + std::to_string(slot) + ": " + from + " is not the predecessor of " +
        state_->node_id + " under slot map version " + std::to_string(state_->map.version()) +
        " (" + (predecessor.empty() ? "it heads the chain" : predecessor) + " is)");
  }
  return Status::OK();
}

SlotOwnership::Summary SlotOwnership::GetSummary() const {
  std::shared_ptr<const State> state = Snapshot();
  Summary summary;
  summary.node_id = state->node_id;
  summary.owned_slots = state->owned_count;
  summary.head_slots = state->head_count;
  summary.slot_count = state->map.slot_count();
  summary.map_version = state->map.version();
  summary.highest_epoch = highest_epoch();
  return summary;
}

int64_t SlotOwnership::map_version() const { return Snapshot()->map.version(); }

std::vector<Slot> SlotOwnership::StaleSlots() const {
  std::shared_ptr<const State> state = Snapshot();
  std::vector<Slot> stale;
  for (Slot s = 0; s < static_cast<Slot>(state->owned.size()); ++s) {
    if (state->owned[s] != 0 && !store_->HasSlot(s)) stale.push_back(s);
  }
  return stale;
}

bool SlotOwnership::Owns(Slot slot) const {
  std::shared_ptr<const State> state = Snapshot();
  return slot >= 0 && slot < static_cast<Slot>(state->owned.size()) && state->owned[slot] != 0;
}

}  // namespace dkv::data
