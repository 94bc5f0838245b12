// Router: the master's data path. It maps a key to its slot, the slot to its owning data node under
// the current slot map, and forwards the call on that node's DataChannel with the master's fence.
//
// The routing table (epoch, slot map, channels) is an immutable snapshot replaced as a whole by
// Install()/Clear(); request threads take a reference to the current one and never block each other
// or the installer for longer than a pointer copy. Thread-safe.
//
// Every call is a batch of ops (Execute): Get, Set and Remove are batches of one op in db 0, and
// Execute's loop is the one retry loop. While the slot map flips, a data node may already know a
// newer map than the table an op was routed with and refuse it (WRONG_NODE); while a slot's move
// finishes, its source refuses writes (MOVING) until the master flips the map. In both cases the
// router waits (bounded) for a newer table and routes the op again, so a rebalance never surfaces
// to clients as WRONG_NODE or MOVING.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/limits.h"
#include "common/metadata.h"
#include "common/mutex.h"
#include "common/op.h"
#include "common/slot.h"
#include "common/slot_map.h"
#include "server/data_channel.h"
#include "server/op_batch.h"

namespace dkv::server {

struct DataNodeRoute {
  std::string id;
  std::string address;
  int32_t slots = 0;  // assigned in the slot map
  std::shared_ptr<DataChannel> channel;
  int32_t pid = 0;  // of the process data/<id> names
};

class Router {
 public:
  // `stale_route_wait` bounds how long a call refused with WRONG_NODE or MOVING waits for a newer
  // table (all its retries together).
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

  // One-op Executes (GET, plain SET, DEL in db 0), their op's refusal as the Status:
  // KEY_TOO_LARGE / VALUE_TOO_LARGE before anything is sent; NO_DATA_NODES when the key's slot
  // has no owner (no data node at all); UNAVAILABLE when not routing, when the owner is gone from
  // data/ (waiting for it or for a new map) or cannot be reached, or when the
  // data nodes know a newer master or slot map than this one even after waiting for it (clients
  // retry UNAVAILABLE against whatever master ZooKeeper names).
  Result<std::optional<std::string>> Get(const std::string& key);
  Status Set(const std::string& key, const std::string& value);
  Result<bool> Remove(const std::string& key);
  // Executes `ops` (common/op.h); replies[i] answers ops[i]. The ops are grouped per data node
  // into one DataNode.execute call each, the calls to different nodes in flight at once; ops for
  // every node go to each live one and their replies merge (see OpBatch). An op that cannot be
  // executed is answered with a Reply whose `error` is set: what ValidateOp refuses
  // (common/op_validation.h) or a slot out of range, before anything is sent, otherwise as Get
  // fails. Ops refused with WRONG_NODE or MOVING are routed again whenever a newer table is
  // installed (a MOVING one also every 20 ms without one: a move may be aborted), for at most
  // `stale_route_wait`; after that both become UNAVAILABLE (MOVING stays for an op sent to every
  // node). A call for one data node only goes through its channel's Execute (which may combine
  // it with other threads' calls, see CombiningDataChannel); calls for several are all sent
  // before any reply is awaited. Atomic per op only: an MSETNX whose keys live on several data
  // nodes is atomic on each node.
  std::vector<Reply> Execute(std::vector<Op> ops);

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

  // The route to live data node `id` in the current table, or nullopt.
  std::optional<DataNodeRoute> FindDataNode(const std::string& id) EXCLUDES(mu_);

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

  // An op still to be sent: batch op `index` (or a part of it). `at_head`: a read that a chain
  // member other than the head refused (a restarted member without the slot's table, a map it
  // has not applied yet) goes to the head from now on.
  struct Pending {
    size_t index = 0;
    Op op;
    bool at_head = false;
  };

  // One DataNode.execute call of an Execute round: ops[j] is (a part of) batch op op_index[j];
  // pinned[j] marks a part for this node only (an op for every node), never routed again;
  // at_replica[j] a read sent to a chain member other than the head.
  struct NodeCall {
    DataChannel* channel = nullptr;
    std::vector<Op> ops;
    std::vector<size_t> op_index;
    std::vector<bool> pinned;
    std::vector<bool> at_replica;
    std::unique_ptr<PendingExecute> pending;
    Result<std::vector<Reply>> replies = std::vector<Reply>();
  };
  using NodeCalls = std::map<std::string, NodeCall>;  // by data node id

  std::shared_ptr<const Table> Current() EXCLUDES(mu_);
  Result<Target> Locate(const std::string& key);
  // The live route of the head of `slot`'s chain (where writes enter); errors as Locate's.
  static Result<const DataNodeRoute*> OwnerOf(const Table& table, Slot slot);
  // A live member of `slot`'s chain chosen at random, for a read (any member serves one; see
  // docs/replication.md); the head when it is the only live one. Errors as OwnerOf's.
  static Result<const DataNodeRoute*> ReaderOf(const Table& table, Slot slot);
  // Adds `pending` (one part of it is counted in `batch`) to the calls for its data nodes under
  // `table`, split into parts as it needs; an op that cannot be placed is answered in `batch`.
  // With `spread_reads`, a read goes to any live member of its chain instead of the head.
  static void Place(const Table* table, Pending pending, bool spread_reads, NodeCalls* calls,
                    OpBatch* batch);
  // Executes the one op; its reply, or its refusal as the Status.
  Result<Reply> ExecuteOne(Op op);
  // Waits until the table is no longer `seen`, or `deadline` passed.
  void WaitForNewerTable(const std::shared_ptr<const Table>& seen,
                         std::chrono::steady_clock::time_point deadline) EXCLUDES(mu_);

  const Limits limits_;
  const DataChannelFactory factory_;
  const std::chrono::milliseconds stale_route_wait_;
  Mutex mu_;
  CondVar table_changed_{&mu_};
  std::shared_ptr<const Table> table_ GUARDED_BY(mu_);
};

}  // namespace dkv::server
