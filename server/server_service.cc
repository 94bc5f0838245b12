#include "server/server_service.h"

#include "common/rpc/error_mapping.h"
#include "common/rpc/op_codec.h"
#include "server/cluster_status.h"

namespace dkv::server {
namespace {

[[noreturn]] void Throw(const Status& status) { throw rpc::ToThrift(status); }

}  // namespace

void ServerService::CheckServing() {
  std::string master_address;
  Status s = server_->CheckServing(&master_address);
  if (!s.ok()) throw rpc::ToThrift(s, master_address);
}

void ServerService::get(rpc::GetReply& reply, const std::string& key) {
  CheckServing();
  auto value = server_->router()->Get(key);
  if (!value.ok()) Throw(value.status());
  if (value->has_value()) {
    reply.found = true;
    reply.value = std::move(**value);
  }
}

void ServerService::put(const std::string& key, const std::string& value) {
  CheckServing();
  Status s = server_->router()->Set(key, value);
  if (!s.ok()) Throw(s);
}

bool ServerService::remove(const std::string& key) {
  CheckServing();
  auto existed = server_->router()->Remove(key);
  if (!existed.ok()) Throw(existed.status());
  return *existed;
}

void ServerService::unsafe_put(const std::string& key, const std::string& value) {
  // Oneway: nobody hears an error, so a standby or a cut-off master simply drops the call.
  std::string ignored;
  if (!server_->CheckServing(&ignored).ok()) return;
  server_->router()->UnsafeSet(key, value);
}

void ServerService::status(rpc::ClusterStatus& out) {
  CheckServing();
  auto status = CollectClusterStatus(server_->coordinator(), server_->options().cluster,
                                     server_->router(), *server_->master());
  if (!status.ok()) Throw(status.status());
  out.cluster = status->cluster;
  out.master.server_id = status->master.server_id;
  out.master.address = status->master.address;
  out.master.epoch = status->master.epoch;
  out.master.resp_address = status->master.resp_address;
  for (const MemberInfo& m : status->standbys) {
    rpc::MemberRecord r;
    r.id = m.id;
    r.address = m.address;
    r.pid = m.pid;
    r.host = m.host;
    r.resp_address = m.resp_address;
    out.standbys.push_back(std::move(r));
  }
  for (const DataNodeStatus& d : status->data_nodes) {
    rpc::DataNodeStatus r;
    r.id = d.id;
    r.address = d.address;
    r.slots = d.slots;
    r.keys = d.keys;
    r.__set_head_slots(d.head_slots);
    out.data_nodes.push_back(std::move(r));
  }
  out.clients = status->clients;
  out.slot_count = status->slot_count;
  out.slot_map_version = status->slot_map_version;
  out.lost_slots = static_cast<int64_t>(status->lost_slots.size());
  out.lost_slot_ids.assign(status->lost_slots.begin(), status->lost_slots.end());
  out.departed_data_nodes = status->departed_data_nodes;
  for (const MoveStatus& m : status->moves) {
    rpc::SlotMoveStatus r;
    r.migration_id = m.migration_id;
    r.from_node = m.from;
    r.to_node = m.to;
    r.slots.assign(m.slots.begin(), m.slots.end());
    r.phase = m.phase;
    r.keys_copied = m.keys_copied;
    r.keys_total = m.keys_total;
    r.bytes_copied = m.bytes_copied;
    r.kind = m.kind == SlotMove::Kind::kAdd ? "add" : "replace";
    r.keys_per_second = m.keys_per_second;
    out.moves.push_back(std::move(r));
  }
  out.draining_data_nodes = status->draining_data_nodes;
  out.moved_slots = status->moved_slots;
  out.replication_factor = status->replication_factor;
  out.under_replicated_slots = static_cast<int32_t>(status->under_replicated.size());
  out.under_replicated_slot_ids.assign(status->under_replicated.begin(),
                                       status->under_replicated.end());
  out.warnings = status->warnings;
}

void ServerService::drain(rpc::DrainReply& reply, const std::string& data_node_id,
                          bool leave_when_done) {
  CheckServing();
  auto slots = server_->master()->Drain(data_node_id, leave_when_done);
  if (!slots.ok()) Throw(slots.status());
  reply.slots_to_move = *slots;
}

void ServerService::rebalance(rpc::RebalanceReply& reply) {
  CheckServing();
  auto slots = server_->master()->Rebalance();
  if (!slots.ok()) Throw(slots.status());
  reply.slots_to_move = *slots;
}

void ServerService::replicas(rpc::ReplicasReply& reply, int32_t replication_factor) {
  CheckServing();
  auto data_nodes = server_->master()->SetReplicationFactor(replication_factor);
  if (!data_nodes.ok()) Throw(data_nodes.status());
  reply.replication_factor = replication_factor;
  reply.data_nodes = *data_nodes;
}

void ServerService::execute(std::vector<rpc::Reply>& replies, const std::vector<rpc::Op>& ops) {
  CheckServing();
  std::vector<Op> batch;
  batch.reserve(ops.size());
  for (const rpc::Op& op : ops) batch.push_back(rpc::FromThrift(rpc::Op(op)));
  replies = rpc::ToThrift(server_->router()->Execute(std::move(batch)));
}

}  // namespace dkv::server
