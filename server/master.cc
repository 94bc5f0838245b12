#include "server/master.h"

#include <algorithm>

#include "common/logging.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::server {

Master::Master(coord::Coordinator* coord, const coord::ClusterPaths& paths, std::string address,
               Limits limits, int32_t new_cluster_slots, Router* router)
    : coord_(coord),
      paths_(paths),
      address_(std::move(address)),
      limits_(limits),
      new_cluster_slots_(new_cluster_slots),
      router_(router) {}

Status Master::TakeOver(const std::string& server_id) {
  MutexLock l(&mu_);
  ++term_;
  active_ = false;
  DKV_RETURN_NOT_OK(coord_->CreateAll(paths_.data()));
  DKV_RETURN_NOT_OK(coord_->CreateAll(paths_.clients()));
  DKV_RETURN_NOT_OK_PREPEND(RaiseEpoch(), "raising the epoch");
  DKV_RETURN_NOT_OK_PREPEND(WriteMasterNode(server_id), "writing " + paths_.master());
  DKV_RETURN_NOT_OK_PREPEND(LoadSlotMap(), "reading " + paths_.slotmap());
  active_ = true;
  Status s = ReconcileLocked();
  if (!s.ok()) {
    active_ = false;
    return s;
  }
  DKV_LOG(INFO) << server_id << " serves as master with epoch " << epoch_ << ", slot map version "
                << map_.version();
  return Status::OK();
}

void Master::StepDown() {
  MutexLock l(&mu_);
  ++term_;
  active_ = false;
  epoch_ = 0;
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
  const std::string data = rpc::EncodeMaster(MasterInfo{server_id, address_, epoch_, limits_});
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
    map_ = SlotMap(new_cluster_slots_);
    map_znode_version_ = -1;
    return Status::OK();
  }
  DKV_RETURN_NOT_OK(node.status());
  DKV_RETURN_NOT_OK(rpc::DecodeSlotMap(node->data, &map_));
  map_znode_version_ = node->version;
  return Status::OK();
}

Result<std::vector<MemberInfo>> Master::LiveDataNodes() {
  const uint64_t term = term_;
  DKV_ASSIGN_OR_RETURN(std::vector<std::string> children,
                       coord_->GetChildren(paths_.data(), [this, term] {
                         {
                           MutexLock l(&mu_);
                           if (term != term_) return;  // a watch of an earlier term
                         }
                         Status s = Reconcile();
                         if (!s.ok()) DKV_LOG(WARNING) << "rebalancing: " << s.ToString();
                       }));
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
  std::vector<std::string> ids;
  for (const auto& m : members) ids.push_back(m.id);
  SlotMap next = map_;
  const int32_t moved = next.Rebalance(ids);
  if (moved > 0 || map_znode_version_ < 0) {
    next.set_version(map_.version() + 1);
    next.set_epoch(epoch_);
    DKV_RETURN_NOT_OK_PREPEND(WriteSlotMap(next), "writing " + paths_.slotmap());
    DKV_LOG(INFO) << "slot map version " << map_.version() << ": " << moved << " of "
                  << map_.slot_count() << " slots moved over " << ids.size() << " data node(s)";
  }
  router_->Install(epoch_, map_, members);
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
