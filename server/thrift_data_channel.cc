// The Thrift DataChannel: one RpcPool of DataNode connections per data node.
#include "common/rpc/rpc_connection.h"
#include "gen-cpp/DataNode.h"
#include "server/data_channel.h"

namespace dkv::server {
namespace {

rpc::Fence ToThrift(const Fence& fence) {
  rpc::Fence f;
  f.epoch = fence.epoch;
  f.map_version = fence.map_version;
  return f;
}

class ThriftDataChannel : public DataChannel {
 public:
  ThriftDataChannel(const HostPort& address, std::chrono::milliseconds call_timeout)
      : pool_(address, rpc::RpcOptions{std::chrono::milliseconds(1000), call_timeout}) {}

  const HostPort& address() const override { return pool_.address(); }

  Result<std::optional<std::string>> Get(const Fence& fence, const std::string& key) override {
    rpc::GetReply reply;
    DKV_RETURN_NOT_OK(
        pool_.Call([&](rpc::DataNodeClient& c) { c.get(reply, ToThrift(fence), key); }));
    if (!reply.found) return std::optional<std::string>();
    return std::optional<std::string>(std::move(reply.value));
  }

  Status Put(const Fence& fence, const std::string& key, const std::string& value) override {
    return pool_.Call([&](rpc::DataNodeClient& c) { c.put(ToThrift(fence), key, value); });
  }

  Result<bool> Remove(const Fence& fence, const std::string& key) override {
    bool existed = false;
    DKV_RETURN_NOT_OK(
        pool_.Call([&](rpc::DataNodeClient& c) { existed = c.remove(ToThrift(fence), key); }));
    return existed;
  }

  void UnsafePut(const Fence& fence, const std::string& key, const std::string& value) override {
    Status ignored =
        pool_.Call([&](rpc::DataNodeClient& c) { c.unsafe_put(ToThrift(fence), key, value); });
    (void)ignored;  // fire-and-forget by definition
  }

  Result<DataNodeStats> Stats(std::chrono::milliseconds timeout) override {
    rpc::DataNodeStats stats;
    DKV_RETURN_NOT_OK(pool_.Call([&](rpc::DataNodeClient& c) { c.stats(stats); }, timeout));
    return DataNodeStats{stats.slots, stats.keys};
  }

 private:
  rpc::RpcPool<rpc::DataNodeClient> pool_;
};

}  // namespace

std::shared_ptr<DataChannel> NewThriftDataChannel(const HostPort& address,
                                                  std::chrono::milliseconds call_timeout) {
  return std::make_shared<ThriftDataChannel>(address, call_timeout);
}

}  // namespace dkv::server
