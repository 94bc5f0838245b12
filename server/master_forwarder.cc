#include "server/master_forwarder.h"

#include "common/host_port.h"
#include "common/rpc/op_codec.h"
#include "common/rpc/rpc_connection.h"
#include "gen-cpp/Dkv.h"

namespace dkv::server {

class MasterForwarder::Pool {
 public:
  Pool(const HostPort& address, std::chrono::milliseconds call_timeout)
      : text(address.ToString()),
        rpc(address, rpc::RpcOptions{std::chrono::milliseconds(1000), call_timeout}) {}
  const std::string text;
  rpc::RpcPool<rpc::DkvClient> rpc;
};

MasterForwarder::MasterForwarder(std::chrono::milliseconds call_timeout)
    : call_timeout_(call_timeout) {}

MasterForwarder::~MasterForwarder() = default;

Result<std::shared_ptr<MasterForwarder::Pool>> MasterForwarder::PoolFor(
    const std::string& address) {
  MutexLock l(&mu_);
  if (pool_ && pool_->text == address) return pool_;
  DKV_ASSIGN_OR_RETURN(HostPort parsed, ParseHostPort(address));
  pool_ = std::make_shared<Pool>(parsed, call_timeout_);
  return pool_;
}

Result<std::vector<Reply>> MasterForwarder::Execute(const std::string& master_address,
                                                    std::vector<Op> ops) {
  DKV_ASSIGN_OR_RETURN(std::shared_ptr<Pool> pool, PoolFor(master_address));
  const std::vector<rpc::Op> wire = rpc::ToThrift(std::move(ops));
  std::vector<rpc::Reply> replies;
  DKV_RETURN_NOT_OK(pool->rpc.Call([&](rpc::DkvClient& c) { c.execute(replies, wire); }));
  if (replies.size() != wire.size()) {
    return Status::Internal("the master at " + master_address + " answered " +
                            std::to_string(replies.size()) + " replies to " +
                            std::to_string(wire.size()) + " ops");
  }
  return rpc::FromThrift(std::move(replies));
}

}  // namespace dkv::server
