// The client-facing Thrift handler (service Dkv in dkv.thrift). Thin: it checks that this server
// serves, hands the call to the Router, and turns a failed Status into the IDL's DkvError.
#pragma once

#include <memory>

#include "gen-cpp/Dkv.h"
#include "server/server.h"

namespace dkv::server {

class ServerService : public rpc::DkvIf {
 public:
  explicit ServerService(Server* server) : server_(server) {}

  void get(rpc::GetReply& reply, const std::string& key) override;
  void put(const std::string& key, const std::string& value) override;
  bool remove(const std::string& key) override;
  void unsafe_put(const std::string& key, const std::string& value) override;
  void status(rpc::ClusterStatus& status) override;
  void execute(std::vector<rpc::Reply>& replies, const std::vector<rpc::Op>& ops) override;
  void drain(rpc::DrainReply& reply, const std::string& data_node_id,
             bool leave_when_done) override;
  void rebalance(rpc::RebalanceReply& reply) override;
  void replicas(rpc::ReplicasReply& reply, int32_t replication_factor) override;

 private:
  // Throws NOT_MASTER / UNAVAILABLE unless this server serves.
  void CheckServing();

  Server* const server_;
};

}  // namespace dkv::server
