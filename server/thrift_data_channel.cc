// The Thrift DataChannel: one RpcPool of DataNode connections per data node.
#include "common/rpc/fence_codec.h"
#include "common/rpc/op_codec.h"
#include "common/rpc/rpc_connection.h"
#include "gen-cpp/DataNode.h"
#include "server/data_channel.h"

namespace dkv::server {
namespace {

MigrationProgress FromThrift(const rpc::MigrationStatus& s) {
  return MigrationProgress{s.phase, s.keys_copied, s.keys_total, s.bytes_copied, s.error};
}

using DataNodePool = rpc::RpcPool<rpc::DataNodeClient>;

// Holds the connection the request went out on until its reply is read.
class ThriftPendingExecute : public PendingExecute {
 public:
  ThriftPendingExecute(DataNodePool* pool,
                       std::unique_ptr<rpc::RpcConnection<rpc::DataNodeClient>> conn, Status sent)
      : pool_(pool), conn_(std::move(conn)), sent_(std::move(sent)) {}
  ~ThriftPendingExecute() override {
    if (!conn_) return;
    conn_->Close();  // an unread reply would put the connection out of step
    pool_->Return(std::move(conn_));
  }

  Result<std::vector<Reply>> Wait() override {
    if (!sent_.ok()) return sent_;
    std::vector<rpc::Reply> replies;
    // A failed receive closes the connection (RpcConnection::Call): it goes back clean either way.
    Status s = conn_->Call([&](rpc::DataNodeClient& c) { c.recv_execute(replies); });
    pool_->Return(std::move(conn_));
    DKV_RETURN_NOT_OK(s);
    return rpc::FromThrift(std::move(replies));
  }

 private:
  DataNodePool* const pool_;
  std::unique_ptr<rpc::RpcConnection<rpc::DataNodeClient>> conn_;
  const Status sent_;
};

class ThriftDataChannel : public DataChannel {
 public:
  ThriftDataChannel(const HostPort& address, std::chrono::milliseconds call_timeout)
      : pool_(address, rpc::RpcOptions{std::chrono::milliseconds(1000), call_timeout}) {}

  const HostPort& address() const override { return pool_.address(); }

  std::unique_ptr<PendingExecute> StartExecute(const Fence& fence,
                                               const std::vector<Op>& ops) override {
    std::vector<rpc::Op> wire;
    wire.reserve(ops.size());
    for (const Op& op : ops) wire.push_back(rpc::ToThrift(Op(op)));
    auto conn = pool_.Borrow();
    Status sent =
        conn->Call([&](rpc::DataNodeClient& c) { c.send_execute(rpc::ToThrift(fence), wire); });
    return std::make_unique<ThriftPendingExecute>(&pool_, std::move(conn), std::move(sent));
  }

  void UnsafePut(const Fence& fence, const std::string& key, const std::string& value) override {
    Status ignored =
        pool_.Call([&](rpc::DataNodeClient& c) { c.unsafe_put(rpc::ToThrift(fence), key, value); });
    (void)ignored;  // fire-and-forget by definition
  }

  Result<DataNodeStats> Stats(std::chrono::milliseconds timeout) override {
    rpc::DataNodeStats stats;
    DKV_RETURN_NOT_OK(pool_.Call([&](rpc::DataNodeClient& c) { c.stats(stats); }, timeout));
    return DataNodeStats{stats.slots, stats.keys, stats.pid,
                         std::vector<Slot>(stats.stale_slots.begin(), stats.stale_slots.end())};
  }

  Status MigrateSlots(const Fence& fence, int64_t migration_id, const std::vector<Slot>& slots,
                      const std::string& target_id, const std::string& target_address) override {
    const std::vector<int32_t> thrift_slots(slots.begin(), slots.end());
    return pool_.Call([&](rpc::DataNodeClient& c) {
      c.migrate_slots(rpc::ToThrift(fence), migration_id, thrift_slots, target_id, target_address);
    });
  }

  Result<MigrationProgress> MigrationStatus(const Fence& fence, int64_t migration_id) override {
    rpc::MigrationStatus status;
    DKV_RETURN_NOT_OK(pool_.Call([&](rpc::DataNodeClient& c) {
      c.migration_status(status, rpc::ToThrift(fence), migration_id);
    }));
    return FromThrift(status);
  }

  Result<MigrationProgress> FinishMigration(const Fence& fence, int64_t migration_id) override {
    rpc::MigrationStatus status;
    DKV_RETURN_NOT_OK(pool_.Call([&](rpc::DataNodeClient& c) {
      c.finish_migration(status, rpc::ToThrift(fence), migration_id);
    }));
    return FromThrift(status);
  }

  Status AbortMigration(const Fence& fence, int64_t migration_id) override {
    return pool_.Call(
        [&](rpc::DataNodeClient& c) { c.abort_migration(rpc::ToThrift(fence), migration_id); });
  }

  Status Leave() override {
    return pool_.Call([&](rpc::DataNodeClient& c) { c.leave(); });
  }

 private:
  DataNodePool pool_;
};

}  // namespace

std::shared_ptr<DataChannel> NewThriftDataChannel(const HostPort& address,
                                                  std::chrono::milliseconds call_timeout) {
  return std::make_shared<ThriftDataChannel>(address, call_timeout);
}

}  // namespace dkv::server
