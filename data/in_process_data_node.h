// InProcessDataNode: the objects DataNode wires together (Store, SlotMoves, SlotOwnership,
// DataService on a loopback Thrift server), without ZooKeeper registration, over a coordinator
// that the caller's in-memory tree shares with a test playing the master. Test and benchmark
// support for slot moves and chains (slot_moves_test.cc, chain_replication_test.cc,
// slot_move_bench.cc); not part of dkv-data.
//
// Lifecycle: construct, Start() once; the destructor stops the server before anything it uses.
// The members are public for the test to reach into.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "common/coord/memory_coordinator.h"
#include "common/rpc/rpc_server.h"
#include "common/slot.h"
#include "data/chain_replicator.h"
#include "data/data_service.h"
#include "data/effect_channel.h"
#include "data/import_channel.h"
#include "data/slot_moves.h"
#include "data/slot_ownership.h"
#include "data/store.h"
#include "gen-cpp/DataNode.h"

namespace dkv::data {

// Polls `done` every 2 ms until it is true (true) or `limit` passed (false).
inline bool WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// The `n`-th key ("k0", "k1", ...) of `slot` in a map of `slot_count` slots.
inline std::string KeyOf(Slot slot, int n, int32_t slot_count) {
  for (int i = 0, found = 0;; ++i) {
    std::string key = "k" + std::to_string(i);
    if (SlotOf(key, slot_count) == slot && found++ == n) return key;
  }
}

struct InProcessDataNode {
  InProcessDataNode(std::shared_ptr<coord::MemoryTree> tree, const coord::ClusterPaths& paths,
                    std::string node_id, MigrationSourceOptions options = {})
      : id(std::move(node_id)),
        coordinator(std::move(tree)),
        moves(
            &store, Limits(),
            [](const HostPort& target) {
              return NewThriftImportChannel(target, std::chrono::milliseconds(10000));
            },
            options),
        ownership(&coordinator, paths, &store),
        replicator([this] { return ownership.View(); },
                   [this](const std::string& peer) -> Result<std::unique_ptr<EffectChannel>> {
                     if (!resolve) return Status::Unavailable("no peers known to " + id);
                     DKV_ASSIGN_OR_RETURN(HostPort address, resolve(peer));
                     return NewThriftEffectChannel(address, std::chrono::milliseconds(5000));
                   }) {
    store.SetEffectSink(&replicator);
    ownership.SetListener(&moves);
    ownership.SetReplicator(&replicator);
    service = std::make_shared<DataService>(&ownership, &store, &moves, &replicator, Limits(),
                                            [this] { left = true; });
  }

  ~InProcessDataNode() {
    replicator.Stop();
    server.reset();
    ownership.Stop();
  }

  // Reads the slot map and starts serving on a free loopback port.
  Status Start() {
    DKV_RETURN_NOT_OK(ownership.Start(id));
    replicator.Start();
    DKV_ASSIGN_OR_RETURN(
        server, rpc::RpcServer::Start(HostPort{"127.0.0.1", 0},
                                      std::make_shared<rpc::DataNodeProcessor>(service), 64 << 20));
    return Status::OK();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(server->port()); }

  // The value of (db, key) in `slot`, "<absent>", or the error.
  std::string Read(Slot slot, int32_t db, const std::string& key) {
    std::string value = "<absent>";
    Status s = store.Access(slot, false, [&](LockedSlot& t) {
      const size_t pos = t.Find(db, key);
      if (pos != Table::kNone) value = std::string(t.View(pos).value);
    });
    return s.ok() ? value : "<" + s.ToString() + ">";
  }

  Status Write(Slot slot, int32_t db, const std::string& key, const std::string& value,
               int64_t expire_at_ms = 0) {
    return store.Access(slot, true, [&](LockedSlot& t) { t.Put(db, key, value, expire_at_ms); });
  }

  const std::string id;
  coord::MemoryCoordinator coordinator;
  Store store;
  SlotMoves moves;
  SlotOwnership ownership;
  // Chain successors are found through `resolve` (node id -> address), set before Start.
  std::function<Result<HostPort>(const std::string&)> resolve;
  ChainReplicator replicator;
  std::shared_ptr<DataService> service;
  std::unique_ptr<rpc::RpcServer> server;
  std::atomic<bool> left{false};
};

}  // namespace dkv::data
