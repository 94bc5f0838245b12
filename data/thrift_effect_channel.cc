// The Thrift EffectChannel: DataNode.replicate over one connection, request and reply split so
// that the ChainReplicator has calls to several successors in flight at once.
#include <utility>

#include "common/rpc/effect_codec.h"
#include "common/rpc/rpc_connection.h"
#include "data/effect_channel.h"
#include "gen-cpp/DataNode.h"

namespace dkv::data {
namespace {

using Connection = rpc::RpcConnection<rpc::DataNodeClient>;

class ThriftPendingReplicate : public PendingReplicate {
 public:
  ThriftPendingReplicate(Connection* connection, Status sent)
      : connection_(connection), sent_(std::move(sent)) {}
  ~ThriftPendingReplicate() override {
    if (!waited_ && sent_.ok()) connection_->Close();  // an unread reply puts it out of step
  }

  Result<std::vector<SlotSeq>> Wait() override {
    waited_ = true;
    DKV_RETURN_NOT_OK(sent_);
    std::vector<rpc::SlotSeq> reply;
    DKV_RETURN_NOT_OK(connection_->Call([&](rpc::DataNodeClient& c) { c.recv_replicate(reply); }));
    return rpc::FromThrift(reply);
  }

 private:
  Connection* const connection_;
  const Status sent_;
  bool waited_ = false;
};

class ThriftEffectChannel : public EffectChannel {
 public:
  ThriftEffectChannel(const HostPort& address, std::chrono::milliseconds call_timeout)
      : connection_(address, rpc::RpcOptions{std::chrono::milliseconds(1000), call_timeout}) {}

  std::unique_ptr<PendingReplicate> Start(const Fence& fence, const std::string& from,
                                          const std::vector<Effect>& effects) override {
    rpc::Fence f;
    f.epoch = fence.epoch;
    f.map_version = fence.map_version;
    const std::vector<rpc::Effect> wire = rpc::ToThrift(effects);
    Status sent =
        connection_.Call([&](rpc::DataNodeClient& c) { c.send_replicate(f, from, wire); });
    return std::make_unique<ThriftPendingReplicate>(&connection_, std::move(sent));
  }

 private:
  Connection connection_;
};

}  // namespace

std::unique_ptr<EffectChannel> NewThriftEffectChannel(const HostPort& address,
                                                      std::chrono::milliseconds call_timeout) {
  return std::make_unique<ThriftEffectChannel>(address, call_timeout);
}

}  // namespace dkv::data
