// The Thrift MasterStub: the Dkv service through RpcPool, the one Thrift client wrapper. This is
// the only file of the client library that includes generated code.
#include "client/master_stub.h"

#include <utility>

#include "common/rpc/op_codec.h"
#include "common/rpc/rpc_connection.h"
#include "gen-cpp/Dkv.h"

namespace dkv::client {
namespace {

// Runs `call` on the client; on a DkvError carrying a master address (NOT_MASTER), records it
// before RpcConnection turns the error into a Status (which has no room for the address).
template <typename Fn>
auto WithHint(std::string* master_hint, Fn call) {
  return [master_hint, call = std::move(call)](rpc::DkvClient& client) {
    try {
      call(client);
    } catch (const rpc::DkvError& e) {
      if (master_hint != nullptr && e.code == rpc::ErrorCode::NOT_MASTER) {
        *master_hint = e.__isset.master_address ? e.master_address : std::string();
      }
      throw;
    }
  };
}

ClusterStatus FromThrift(const rpc::ClusterStatus& in) {
  ClusterStatus out;
  out.cluster = in.cluster;
  if (!in.master.server_id.empty() || !in.master.address.empty()) {
    out.master = ClusterStatus::Master{in.master.server_id, in.master.address, in.master.epoch,
                                       in.master.resp_address};
  }
  for (const rpc::MemberRecord& s : in.standbys) {
    out.standbys.push_back({s.id, s.address, s.resp_address});
  }
  for (const rpc::DataNodeStatus& d : in.data_nodes) {
    // A server from before chains sends no heads: every slot of a node was its own.
    out.data_nodes.push_back(
        {d.id, d.address, d.slots, d.keys, d.__isset.head_slots ? d.head_slots : d.slots});
  }
  out.clients = in.clients;
  out.slot_count = in.slot_count;
  out.slot_map_version = in.slot_map_version;
  out.lost_slots = in.lost_slots;
  out.lost_slot_ids = in.lost_slot_ids;
  out.departed_data_nodes = in.departed_data_nodes;
  for (const rpc::SlotMoveStatus& m : in.moves) {
    out.moves.push_back({m.migration_id, m.from_node, m.to_node, m.slots, m.phase, m.keys_copied,
                         m.keys_total, m.bytes_copied, m.kind, m.keys_per_second});
  }
  out.draining_data_nodes = in.draining_data_nodes;
  out.moved_slots = in.moved_slots;
  out.replication_factor = in.replication_factor;
  out.under_replicated_slots = in.under_replicated_slots;
  out.under_replicated_slot_ids = in.under_replicated_slot_ids;
  out.warnings = in.warnings;
  return out;
}

class RpcMasterStub : public MasterStub {
 public:
  RpcMasterStub(const HostPort& address, std::chrono::milliseconds connect_timeout)
      : pool_(address, rpc::RpcOptions{connect_timeout, connect_timeout}) {}

  const HostPort& address() const override { return pool_.address(); }

  Status UnsafePut(std::string_view key, std::string_view value,
                   std::chrono::milliseconds timeout) override {
    const std::string k(key), v(value);
    return pool_.Call([&](rpc::DkvClient& c) { c.unsafe_put(k, v); }, timeout);
  }

  Status GetStatus(ClusterStatus* status, std::chrono::milliseconds timeout,
                   std::string* master_hint) override {
    rpc::ClusterStatus reply;
    DKV_RETURN_NOT_OK(
        pool_.Call(WithHint(master_hint, [&](rpc::DkvClient& c) { c.status(reply); }), timeout));
    *status = FromThrift(reply);
    return Status::OK();
  }

  Status Execute(const std::vector<Op>& ops, std::vector<Reply>* replies,
                 std::chrono::milliseconds timeout, std::string* master_hint) override {
    std::vector<rpc::Op> request;
    request.reserve(ops.size());
    for (const Op& op : ops) request.push_back(rpc::ToThrift(Op(op)));
    std::vector<rpc::Reply> reply;
    DKV_RETURN_NOT_OK(pool_.Call(
        WithHint(master_hint, [&](rpc::DkvClient& c) { c.execute(reply, request); }), timeout));
    if (reply.size() != ops.size()) {
      return Status::Internal(pool_.address().ToString() + " answered " +
                              std::to_string(reply.size()) + " replies to " +
                              std::to_string(ops.size()) + " ops");
    }
    *replies = rpc::FromThrift(std::move(reply));
    return Status::OK();
  }

  Status Drain(std::string_view id, bool leave_when_done, int32_t* slots_to_move,
               std::chrono::milliseconds timeout, std::string* master_hint) override {
    const std::string node(id);
    rpc::DrainReply reply;
    DKV_RETURN_NOT_OK(pool_.Call(
        WithHint(master_hint, [&](rpc::DkvClient& c) { c.drain(reply, node, leave_when_done); }),
        timeout));
    *slots_to_move = reply.slots_to_move;
    return Status::OK();
  }

  Status Rebalance(int32_t* slots_to_move, std::chrono::milliseconds timeout,
                   std::string* master_hint) override {
    rpc::RebalanceReply reply;
    DKV_RETURN_NOT_OK(
        pool_.Call(WithHint(master_hint, [&](rpc::DkvClient& c) { c.rebalance(reply); }), timeout));
    *slots_to_move = reply.slots_to_move;
    return Status::OK();
  }

  Status SetReplicationFactor(int32_t replication_factor, ReplicationFactorChange* change,
                              std::chrono::milliseconds timeout,
                              std::string* master_hint) override {
    rpc::ReplicasReply reply;
    DKV_RETURN_NOT_OK(pool_.Call(
        WithHint(master_hint, [&](rpc::DkvClient& c) { c.replicas(reply, replication_factor); }),
        timeout));
    *change = ReplicationFactorChange{reply.replication_factor, reply.data_nodes};
    return Status::OK();
  }

 private:
  rpc::RpcPool<rpc::DkvClient> pool_;
};

}  // namespace

std::unique_ptr<MasterStub> NewRpcMasterStub(const HostPort& address,
                                             std::chrono::milliseconds connect_timeout) {
  return std::make_unique<RpcMasterStub>(address, connect_timeout);
}

}  // namespace dkv::client
