#include "server/master.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/logging.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::server {

Master::Master(coord::Coordinator* coord, const coord::ClusterPaths& paths, MasterConfig config,
               Router* router)
    : coord_(coord), paths_(paths), config_(std::move(config)), router_(router) {
  expiry_thread_ = std::thread([this] { ExpiryLoop(); });
  driver_ = std::make_unique<MigrationDriver>(this, config_.migration);
  prober_ = std::make_unique<DataNodeProber>(router_, config_.prober, [this] {
    Status s = Reconcile();
    if (!s.ok()) DKV_LOG(WARNING) << "rebalancing after a probe: " << s.ToString();
  });
}

Master::~Master() {
  prober_.reset();  // its callback reconciles
  driver_.reset();
  {
    MutexLock l(&mu_);
    stopping_ = true;
    wakeup_cv_.SignalAll();
  }
  expiry_thread_.join();
}

void Master::ExpiryLoop() {
  MutexLock l(&mu_);
  while (!stopping_) {
    if (!next_wakeup_) {
      wakeup_cv_.Wait();
      continue;
    }
    if (Clock::now() < *next_wakeup_) {
      wakeup_cv_.WaitUntil(*next_wakeup_);
      continue;
    }
    next_wakeup_.reset();
    Status s = pending_takeover_.empty() ? ReconcileLocked() : TakeOverLocked(pending_takeover_);
    if (!s.ok()) {
      DKV_LOG(WARNING) << (pending_takeover_.empty() ? "rebalancing" : "taking over")
                       << " failed, again in 1 s: " << s.ToString();
      next_wakeup_ = Clock::now() + std::chrono::seconds(1);
    }
  }
}

Status Master::TakeOver(const std::string& server_id) {
  MutexLock l(&mu_);
  Status s = TakeOverLocked(server_id);
  if (!s.ok()) {
    // Whatever failed (ZooKeeper away, a race), this server is still the elected one: try again
    // until it works or the election moves on (StepDown).
    pending_takeover_ = server_id;
    next_wakeup_ = Clock::now() + std::chrono::seconds(1);
    wakeup_cv_.SignalAll();
  }
  return s;
}

Status Master::TakeOverLocked(const std::string& server_id) {
  ++term_;
  active_ = false;
  serving_ = false;
  epoch_ = 0;
  children_watch_armed_ = false;
  draining_watch_armed_ = false;
  DKV_RETURN_NOT_OK(coord_->CreateAll(paths_.data()));
  DKV_RETURN_NOT_OK(coord_->CreateAll(paths_.draining()));
  DKV_RETURN_NOT_OK(coord_->CreateAll(paths_.clients()));
  DKV_RETURN_NOT_OK_PREPEND(RaiseEpoch(), "raising the epoch");
  Status s = WriteMasterNode(server_id).CloneAndPrepend("writing " + paths_.master());
  if (s.ok()) s = LoadSlotMap().CloneAndPrepend("reading " + paths_.slotmap());
  if (s.ok()) {
    active_ = true;
    s = ReconcileLocked();
  }
  if (!s.ok()) {
    active_ = false;
    epoch_ = 0;
    return s;
  }
  pending_takeover_.clear();
  serving_ = true;
  DKV_LOG(INFO) << server_id << " serves as master with epoch " << epoch_ << ", slot map version "
                << map_.version();
  return Status::OK();
}

void Master::StepDown() {
  MutexLock l(&mu_);
  ++term_;
  active_ = false;
  serving_ = false;
  pending_takeover_.clear();
  children_watch_armed_ = false;
  draining_watch_armed_ = false;
  epoch_ = 0;
  departed_.clear();
  known_.clear();
  restarted_.clear();
  unreachable_.clear();
  live_.clear();
  draining_.clear();
  waiting_.clear();
  next_wakeup_.reset();
  driver_->Reset();
  router_->Clear();
}

Status Master::Reconcile() {
  MutexLock l(&mu_);
  return ReconcileLocked();
}

int64_t Master::epoch() const {
  MutexLock l(&mu_);
  return epoch_;
}

std::vector<Slot> Master::lost_slots() const {
  MutexLock l(&mu_);
  return std::vector<Slot>(lost_slots_.begin(), lost_slots_.end());
}

std::vector<std::string> Master::departed() const {
  MutexLock l(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, since] : departed_) ids.push_back(id);
  return ids;
}

Status Master::RaiseEpoch() {
  // A versioned read-modify-write: two servers racing to take over cannot get the same epoch.
  for (;;) {
    auto current = coord_->Get(paths_.epoch());
    if (current.status().IsNotFound()) {
      Status s = coord_->Create(paths_.epoch(), rpc::EncodeEpoch(1), coord::NodeMode::kPersistent);
      if (s.IsAlreadyExists()) continue;
      DKV_RETURN_NOT_OK(s);
      epoch_ = 1;
      return Status::OK();
    }
    DKV_RETURN_NOT_OK(current.status());
    int64_t epoch = 0;
    DKV_RETURN_NOT_OK(rpc::DecodeEpoch(current->data, &epoch));
    auto written = coord_->Set(paths_.epoch(), rpc::EncodeEpoch(epoch + 1), current->version);
    if (written.status().IsVersionMismatch()) continue;
    DKV_RETURN_NOT_OK(written.status());
    epoch_ = epoch + 1;
    return Status::OK();
  }
}

Status Master::WriteMasterNode(const std::string& server_id) {
  const std::string data = rpc::EncodeMaster(
      MasterInfo{server_id, config_.address, epoch_, config_.limits, config_.resp_address});
  Status s = coord_->Create(paths_.master(), data, coord::NodeMode::kEphemeral);
  if (s.IsAlreadyExists()) {
    // Left by a previous master whose session is closing; ours replaces it.
    Status d = coord_->Delete(paths_.master());
    if (!d.ok() && !d.IsNotFound()) return d;
    s = coord_->Create(paths_.master(), data, coord::NodeMode::kEphemeral);
  }
  return s;
}

Status Master::LoadSlotMap() {
  auto node = coord_->Get(paths_.slotmap());
  if (node.status().IsNotFound()) {
    map_ = SlotMap(config_.new_cluster_slots);
    map_.set_replication_factor(config_.replication_factor);
    map_znode_version_ = -1;
    return Status::OK();
  }
  DKV_RETURN_NOT_OK(node.status());
  DKV_RETURN_NOT_OK(rpc::DecodeSlotMap(node->data, &map_));
  map_znode_version_ = node->version;
  return Status::OK();
}

Result<std::vector<std::string>> Master::WatchChildren(const std::string& path, bool* armed) {
  // One children watch per path at a time: re-reading (after a reconnect, a grace period) must
  // not stack watches that would each re-run the rebalance on the next change.
  const uint64_t term = term_;
  coord::Watch watch;
  if (!*armed) {
    watch = [this, term, armed] {
      {
        MutexLock l(&mu_);
        if (term != term_) return;  // a watch of an earlier term
        *armed = false;
      }
      Status s = Reconcile();
      if (!s.ok()) DKV_LOG(WARNING) << "rebalancing: " << s.ToString();
    };
  }
  const bool arming = static_cast<bool>(watch);
  DKV_ASSIGN_OR_RETURN(std::vector<std::string> children,
                       coord_->GetChildren(path, std::move(watch)));
  if (arming) *armed = true;
  return children;
}

Result<std::vector<MemberInfo>> Master::LiveDataNodes() {
  DKV_ASSIGN_OR_RETURN(std::vector<std::string> children,
                       WatchChildren(paths_.data(), &children_watch_armed_));
  std::vector<MemberInfo> members;
  for (const std::string& child : children) {
    auto node = coord_->Get(paths_.data_node(child));
    if (node.status().IsNotFound()) continue;  // left meanwhile; the watch fires again
    DKV_RETURN_NOT_OK(node.status());
    MemberInfo member;
    Status s = rpc::DecodeMember(node->data, &member);
    if (!s.ok()) {
      DKV_LOG(WARNING) << "ignoring data node " << child << ": " << s.ToString();
      continue;
    }
    member.id = child;
    members.push_back(std::move(member));
  }
  return members;
}

Status Master::ReconcileLocked() {
  if (!active_) return Status::OK();
  DKV_ASSIGN_OR_RETURN(std::vector<MemberInfo> members, LiveDataNodes());
  const auto counts = map_.MemberCounts();
  std::set<std::string> live;
  // Restarted processes (a new pid in data/, or another pid answering the prober) lost what
  // they held: spliced out of the chains that have another member, as if unreachable, for this
  // plan; the slots they were the only member of keep them, empty.
  for (const std::string& id : prober_->Restarted()) restarted_.insert(id);
  for (const auto& m : members) {
    live.insert(m.id);
    auto known = known_.find(m.id);
    if (known != known_.end() && (known->second.pid != m.pid || known->second.host != m.host)) {
      DKV_LOG(WARNING) << "data node " << m.id << " restarted (pid " << known->second.pid << " -> "
                       << m.pid << ")";
      restarted_.insert(m.id);
    }
    known_[m.id] = m;
  }
  for (const std::string& id : restarted_) {
    std::vector<Slot> sole;
    for (Slot slot : map_.MemberSlotsOf(id)) {
      if (map_.Chain(slot).size() == 1) sole.push_back(slot);
    }
    if (sole.empty()) continue;
    DKV_LOG(ERROR) << "data node " << id << " restarted: it keeps the " << sole.size()
                   << " slots it was the only member of, but their keys are lost: slots "
                   << SlotRanges(sole);
    lost_slots_.insert(sole.begin(), sole.end());
  }
  unreachable_.clear();
  for (const std::string& id : prober_->Unreachable()) {
    if (live.count(id)) unreachable_.insert(id);
  }
  for (const std::string& id : restarted_) {
    if (live.count(id)) unreachable_.insert(id);
  }
  stale_.clear();
  for (auto& [id, slots] : prober_->Stale()) {
    if (live.count(id)) stale_[id] = std::move(slots);
  }

  // Members that left data/ keep the chains that have no other live member until their grace
  // period ends (the planner splices them out of the others at once); members that came back in
  // time simply stay.
  const auto now = Clock::now();
  for (const auto& [owner, slots] : counts) {
    if (!live.count(owner) && departed_.emplace(owner, now).second) {
      DKV_LOG(WARNING) << "data node " << owner << " left data/ owning " << slots
                       << " slots; they wait " << config_.data_grace.count()
                       << " ms for it to come back";
    }
  }
  std::vector<std::string> waiting;  // departed within their grace: keep their slots, get no more
  std::vector<std::string> expired;  // forgotten once the map without them is written
  std::vector<Slot> lost;
  next_wakeup_.reset();
  for (auto it = departed_.begin(); it != departed_.end();) {
    const auto owned = counts.find(it->first);
    if (live.count(it->first) || owned == counts.end()) {
      if (live.count(it->first)) DKV_LOG(INFO) << "data node " << it->first << " is back";
      it = departed_.erase(it);
    } else if (now - it->second >= config_.data_grace) {
      const std::vector<Slot> slots = map_.MemberSlotsOf(it->first);
      DKV_LOG(ERROR) << "data node " << it->first << " did not come back within "
                     << config_.data_grace.count() << " ms: its " << owned->second
                     << " slots go to the live nodes empty; their keys are lost: slots "
                     << SlotRanges(slots);
      lost.insert(lost.end(), slots.begin(), slots.end());
      expired.push_back(it->first);
      ++it;
    } else {
      waiting.push_back(it->first);
      const auto expiry = it->second + config_.data_grace;
      if (!next_wakeup_ || expiry < *next_wakeup_) next_wakeup_ = expiry;
      ++it;
    }
  }
  if (next_wakeup_) wakeup_cv_.SignalAll();

  DKV_RETURN_NOT_OK_PREPEND(ReadDraining(live), "reading " + paths_.draining());
  live_ = members;
  waiting_ = waiting;

  // Slots without a live member get a chain now and dead members are spliced out; slots of live
  // members move (or get new members) with their keys, by the driver.
  SlotPlan plan = PlanSlots(map_, Members());
  if (plan.assigned > 0 || map_znode_version_ < 0) {
    SlotMap next = std::move(plan.map);
    next.set_version(map_.version() + 1);
    next.set_epoch(epoch_);
    next.StampChanges(map_);
    DKV_RETURN_NOT_OK_PREPEND(WriteSlotMap(next), "writing " + paths_.slotmap());
    lost_slots_.insert(lost.begin(), lost.end());
    for (const auto& id : expired) {
      departed_.erase(id);
      known_.erase(id);
    }
    for (const auto& [id, slots] : plan.spliced) {
      DKV_LOG(WARNING) << "data node " << id << " spliced out of the chains of " << slots.size()
                       << " slots: " << SlotRanges(slots);
    }
    DKV_LOG(INFO) << "slot map version " << map_.version() << ": " << plan.assigned << " of "
                  << map_.slot_count() << " slots assigned directly over " << live.size()
                  << " live data node(s)";
  }
  router_->Install(epoch_, map_, members);
  // The restarted nodes are out of every chain that had another member now: from here on they
  // are live nodes like any other, with memberships to gain by copies.
  const bool rejoining = !restarted_.empty();
  if (rejoining) {
    prober_->ClearRestarted(restarted_);
    for (const std::string& id : restarted_) unreachable_.erase(id);
    for (const std::string& id : prober_->Unreachable()) {
      if (live.count(id)) unreachable_.insert(id);
    }
    restarted_.clear();
  }
  if (!plan.moves.empty() || !draining_.empty() || rejoining) driver_->Kick();
  return Status::OK();
}

Status Master::ReadDraining(const std::set<std::string>& live) {
  DKV_ASSIGN_OR_RETURN(std::vector<std::string> children,
                       WatchChildren(paths_.draining(), &draining_watch_armed_));
  std::map<std::string, DrainInfo> draining;
  for (const std::string& id : children) {
    if (!live.count(id)) {
      // Drained and gone (or dead): the request is done. A node that comes back under this id
      // is a new member and gets slots again.
      Status s = coord_->Delete(paths_.draining_node(id));
      if (!s.ok() && !s.IsNotFound()) return s;
      DKV_LOG(INFO) << "data node " << id << " left; its drain is over";
      continue;
    }
    auto node = coord_->Get(paths_.draining_node(id));
    if (node.status().IsNotFound()) continue;
    DKV_RETURN_NOT_OK(node.status());
    DrainInfo info;
    Status s = rpc::DecodeDrain(node->data, &info);
    if (!s.ok()) DKV_LOG(WARNING) << "drain request of " << id << ": " << s.ToString();
    if (!draining_.count(id)) DKV_LOG(INFO) << "data node " << id << " is draining";
    draining.emplace(id, info);
  }
  draining_ = std::move(draining);
  return Status::OK();
}

PlanMembers Master::Members() const {
  PlanMembers members;
  for (const MemberInfo& m : live_) {
    (draining_.count(m.id) ? members.draining : members.live).push_back(m.id);
    members.hosts[m.id] = m.host;
  }
  members.waiting = waiting_;
  members.unreachable.assign(unreachable_.begin(), unreachable_.end());
  members.stale = stale_;
  return members;
}

Result<int32_t> Master::Drain(const std::string& id, bool leave_when_done) {
  MutexLock l(&mu_);
  if (!active_) return Status::NotMaster("this server is not the master");
  DKV_ASSIGN_OR_RETURN(bool exists, coord_->Exists(paths_.data_node(id)));
  if (!exists) return Status::NotFound("no live data node has id '" + id + "'");
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string record = rpc::EncodeDrain(DrainInfo{
      std::chrono::duration_cast<std::chrono::milliseconds>(now).count(), leave_when_done});
  Status s = coord_->Create(paths_.draining_node(id), record, coord::NodeMode::kPersistent);
  if (s.IsAlreadyExists()) s = coord_->Set(paths_.draining_node(id), record).status();
  DKV_RETURN_NOT_OK_PREPEND(s, "writing " + paths_.draining_node(id));
  DKV_LOG(INFO) << "draining data node " << id << " (leave when done: " << leave_when_done << ")";
  DKV_RETURN_NOT_OK(ReconcileLocked());
  return static_cast<int32_t>(map_.MemberSlotsOf(id).size());
}

Result<int32_t> Master::Rebalance() {
  MutexLock l(&mu_);
  if (!active_) return Status::NotMaster("this server is not the master");
  DKV_RETURN_NOT_OK(ReconcileLocked());
  const SlotPlan plan = PlanSlots(map_, Members());
  driver_->Kick();
  return static_cast<int32_t>(plan.moves.size());
}

Result<int32_t> Master::SetReplicationFactor(int32_t replication_factor) {
  if (replication_factor < 1 || replication_factor > kMaxReplicationFactor) {
    return Status::InvalidArgument("replication factor " + std::to_string(replication_factor) +
                                   " is out of range 1.." + std::to_string(kMaxReplicationFactor));
  }
  MutexLock l(&mu_);
  if (!active_) return Status::NotMaster("this server is not the master");
  if (map_.replication_factor() != replication_factor) {
    SlotMap next = map_;
    next.set_replication_factor(replication_factor);
    next.set_version(map_.version() + 1);
    next.set_epoch(epoch_);
    next.StampChanges(map_);
    DKV_RETURN_NOT_OK_PREPEND(WriteSlotMap(next), "writing " + paths_.slotmap());
    DKV_LOG(INFO) << "replication factor " << replication_factor << " (slot map version "
                  << map_.version() << ")";
  }
  DKV_RETURN_NOT_OK(ReconcileLocked());
  driver_->Kick();
  return static_cast<int32_t>(Members().live.size());
}

SlotMap Master::slot_map() const {
  MutexLock l(&mu_);
  return map_;
}

std::vector<MoveStatus> Master::moves() const { return driver_->InFlight(); }

std::vector<std::string> Master::draining() const {
  MutexLock l(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, info] : draining_) ids.push_back(id);
  return ids;
}

int64_t Master::moved_slots() const {
  MutexLock l(&mu_);
  return moved_slots_;
}

Result<MigrationDriver::Host::Plan> Master::PlanMoves() {
  MutexLock l(&mu_);
  if (!active_) return Status::NotMaster("this server is not the master");
  Plan plan;
  plan.moves = PlanSlots(map_, Members()).moves;
  const auto counts = map_.MemberCounts();
  for (const auto& [id, info] : draining_) {
    if (info.leave_when_done && !counts.count(id)) plan.leavers.push_back(id);
  }
  return plan;
}

Result<MigrationDriver::Host::Node> Master::DataNode(const std::string& id) {
  std::optional<DataNodeRoute> route = router_->FindDataNode(id);
  if (!route) return Status::Unavailable("data node " + id + " is not live");
  return Node{route->channel, route->address};
}

Fence Master::CurrentFence() {
  MutexLock l(&mu_);
  if (!active_) return Fence{};
  return Fence{epoch_, map_.version()};
}

int64_t Master::NewMigrationId() {
  MutexLock l(&mu_);
  // Epochs rise with every master: ids of this master never repeat an earlier master's.
  return (epoch_ << 32) | ++migrations_started_;
}

Status Master::CommitMove(const MoveBatch& batch, const Fence& fence) {
  MutexLock l(&mu_);
  if (!active_ || epoch_ != fence.epoch) {
    return Status::Unavailable("this server is no longer the master of epoch " +
                               std::to_string(fence.epoch));
  }
  SlotMap next = map_;
  const bool add = batch.kind == SlotMove::Kind::kAdd;
  for (Slot slot : batch.slots) {
    std::vector<std::string> chain = next.Chain(slot);
    const int from = next.Position(slot, batch.from);
    if (from < 0 || (add && next.Tail(slot) != batch.from) || next.IsMember(slot, batch.to)) {
      return Status::VersionMismatch("slot " + std::to_string(slot) + ": " + batch.from +
                                     " is not " + (add ? "its chain's tail" : "in its chain") +
                                     ", or " + batch.to + " already is");
    }
    if (add) {
      chain.push_back(batch.to);
    } else {
      chain[from] = batch.to;
    }
    next.SetChain(slot, std::move(chain));
  }
  next.set_version(map_.version() + 1);
  next.set_epoch(epoch_);
  next.StampChanges(map_);
  DKV_RETURN_NOT_OK_PREPEND(WriteSlotMap(next), "writing " + paths_.slotmap());
  moved_slots_ += static_cast<int64_t>(batch.slots.size());
  router_->Install(epoch_, map_, live_);
  return Status::OK();
}

Status Master::WriteSlotMap(SlotMap map) {
  const std::string data = rpc::EncodeSlotMap(map);
  if (map_znode_version_ < 0) {
    Status s = coord_->Create(paths_.slotmap(), data, coord::NodeMode::kPersistent);
    if (s.IsAlreadyExists()) {
      return Status::VersionMismatch("another master created the slot map meanwhile");
    }
    DKV_RETURN_NOT_OK(s);
    map_znode_version_ = 0;
  } else {
    // Versioned: if anyone else wrote the map since we read it, we are not the only master.
    DKV_ASSIGN_OR_RETURN(map_znode_version_,
                         coord_->Set(paths_.slotmap(), data, map_znode_version_));
  }
  map_ = std::move(map);
  return Status::OK();
}

}  // namespace dkv::server
