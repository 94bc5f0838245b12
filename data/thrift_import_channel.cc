// The Thrift ImportChannel: the import_* calls of the DataNode service over one connection.
#include <utility>

#include "common/rpc/effect_codec.h"
#include "common/rpc/fence_codec.h"
#include "common/rpc/rpc_connection.h"
#include "data/import_channel.h"
#include "gen-cpp/DataNode.h"

namespace dkv::data {
namespace {

class ThriftImportChannel : public ImportChannel {
 public:
  ThriftImportChannel(const HostPort& address, std::chrono::milliseconds call_timeout)
      : connection_(address, rpc::RpcOptions{std::chrono::milliseconds(1000), call_timeout}) {}

  Status Begin(const Fence& fence, int64_t migration_id, const std::vector<Slot>& slots) override {
    const std::vector<int32_t> thrift_slots(slots.begin(), slots.end());
    return connection_.Call([&](rpc::DataNodeClient& c) {
      c.import_begin(rpc::ToThrift(fence), migration_id, thrift_slots);
    });
  }

  Status Chunk(const Fence& fence, int64_t migration_id,
               std::vector<MigrationEntry>&& entries) override {
    std::vector<rpc::MigrationEntry> thrift_entries(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      MigrationEntry& e = entries[i];
      rpc::MigrationEntry& t = thrift_entries[i];
      t.db = e.db;
      t.key = std::move(e.key);
      t.value = std::move(e.value);
      t.expire_at_ms = e.expire_at_ms;
      t.offset = e.offset;
      t.total_size = e.total_size;
      t.deleted = e.deleted;
    }
    entries.clear();
    return connection_.Call([&](rpc::DataNodeClient& c) {
      c.import_chunk(rpc::ToThrift(fence), migration_id, thrift_entries);
    });
  }

  Status Commit(const Fence& fence, int64_t migration_id,
                const std::vector<SlotSeq>& seqs) override {
    const std::vector<rpc::SlotSeq> wire = rpc::ToThrift(seqs);
    return connection_.Call(
        [&](rpc::DataNodeClient& c) { c.import_commit(rpc::ToThrift(fence), migration_id, wire); });
  }

  Status Abort(const Fence& fence, int64_t migration_id) override {
    return connection_.Call(
        [&](rpc::DataNodeClient& c) { c.import_abort(rpc::ToThrift(fence), migration_id); });
  }

 private:
  rpc::RpcConnection<rpc::DataNodeClient> connection_;
};

}  // namespace

std::unique_ptr<ImportChannel> NewThriftImportChannel(const HostPort& address,
                                                      std::chrono::milliseconds call_timeout) {
  return std::make_unique<ThriftImportChannel>(address, call_timeout);
}

}  // namespace dkv::data
