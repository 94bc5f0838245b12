// Router: the master's data path. It maps a key to its slot, the slot to its owning data node under
// the current slot map, and forwards the call on that node's DataChannel with the master's fence.
//
// The routing table (epoch, slot map, channels) is an immutable snapshot replaced as a whole by
// Install()/Clear(); request threads take a reference to the current one and never block each other
// or the installer for longer than a pointer copy. Thread-safe.
//
// While the slot map flips, a data node may already know a newer map than the table a call was
// routed with and refuse it (WRONG_NODE). The router then waits (bounded) for the newer table and
// routes the call once more, so a rebalance never surfaces to clients as WRONG_NODE.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/limits.h"
#include "common/metadata.h"
#include "common/mutex.h"
#include "common/slot_map.h"
#include "server/data_channel.h"

namespace dkv::server {

struct DataNodeRoute {
  std::string id;
  std::string address;
  int32_t slots = 0;  // assigned in the slot map
  std::shared_ptr<DataChannel> channel;
};

class Router {
 public:
  // `stale_route_wait` bounds how long a call refused with WRONG_NODE waits for a newer table.
  Router(Limits limits, DataChannelFactory factory,
         std::chrono::milliseconds stale_route_wait = std::chrono::milliseconds(1000));
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Routes from now on with `epoch` and `map` over the live `data_nodes`. Channels to nodes whose
  // address did not change are kept, so their pooled connections survive a new map.
  void Install(int64_t epoch, const SlotMap& map, const std::vector<MemberInfo>& data_nodes)
      EXCLUDES(mu_);
  // Stops routing: every call fails with UNAVAILABLE until the next Install.
  void Clear() EXCLUDES(mu_);

  // KEY_TOO_LARGE / VALUE_TOO_LARGE before anything is sent; NO_DATA_NODES when the key's slot
  // has no owner (no data node at all); UNAVAILABLE when not routing, when the owner is gone from
  // data/ (waiting for it or for a new map) or cannot be reached, or when the
  // data nodes know a newer master or slot map than this one even after waiting for it (clients
  // retry UNAVAILABLE against whatever master ZooKeeper names).
  Result<std::optional<std::string>> Get(const std::string& key);
  Status Set(const std::string& key, const std::string& value);
  Result<bool> Remove(const std::string& key);
  // Fire-and-forget: invalid or unroutable calls are dropped silently, by definition.
  void UnsafeSet(const std::string& key, const std::string& value);

  // What the current table routes with, for status. Empty (slot_count 0) when not routing.
  struct Summary {
    int64_t epoch = 0;
    int32_t slot_count = 0;
    int64_t map_version = 0;
    std::vector<DataNodeRoute> data_nodes;  // by id
  };
  Summary Summarize() EXCLUDES(mu_);

 private:
  struct Table {
    Fence fence;
    SlotMap map;
    std::unordered_map<std::string, DataNodeRoute> nodes;  // by id
  };
  struct Target {
    std::shared_ptr<const Table> table;  // keeps the channel alive during the call
    DataChannel* channel;
  };

  std::shared_ptr<const Table> Current() EXCLUDES(mu_);
  Result<Target> Locate(const std::string& key);
  // Runs call(target) on the key's route; after a WRONG_NODE, once more on a newer table.
  template <typename Call>
  auto Route(const std::string& key, Call call) -> decltype(call(std::declval<Target&>()));
  // Waits until the table is no longer `seen`, or `stale_route_wait_` passed.
  void WaitForNewerTable(const std::shared_ptr<const Table>& seen) EXCLUDES(mu_);

  const Limits limits_;
  const DataChannelFactory factory_;
  const std::chrono::milliseconds stale_route_wait_;
  Mutex mu_;
  CondVar table_changed_{&mu_};
  std::shared_ptr<const Table> table_ GUARDED_BY(mu_);
};

}  // namespace dkv::server
