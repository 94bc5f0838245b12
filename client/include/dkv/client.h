// The dkv C++ client: the public API of libdkv_client (with dkv/status.h and dkv/result.h).
//
//   dkv::client::ClientOptions options;
//   options.zookeeper = "zk1:2181,zk2:2181";
//   auto client = dkv::client::Client::Connect(options);
//   if (!client.ok()) { /* client.status().ToString() */ }
//   dkv::Status s = (*client)->Set("k", "v");
//   dkv::Result<std::optional<std::string>> v = (*client)->Get("k");
//
// A Client finds the cluster's master through ZooKeeper (/dkv/<cluster>/master), keeps pooled
// connections to it, registers itself under /dkv/<cluster>/clients while it lives, and retries
// within each call's deadline when the master moves: a standby's NOT_MASTER is followed to the
// master it names, and a broken connection or a missing master is waited out with a short backoff.
// So callers see NOT_MASTER never, and UNAVAILABLE only once the deadline has passed.
//
// Errors a call may return (the codes of dkv::Status):
//   UNAVAILABLE      no master answered within the deadline (none elected, unreachable, ZooKeeper
//                    unreachable); the message says what was tried last.
//   KEY_TOO_LARGE    the key is above the cluster's key limit (default 64 KiB); nothing was stored.
//   VALUE_TOO_LARGE  the value is above the cluster's value limit (default 16 MiB); nothing stored.
//   NO_DATA_NODES    no live data node owns the key's slot.
//   others           as the master reported them (e.g. INTERNAL for a bug on the far side).
// Errors other than NOT_MASTER and UNAVAILABLE are returned at once, without retrying.
//
// Thread-safety: a Client is thread-safe; any number of threads may call it at once. Calls made at
// the same time by different threads may travel to the master together in one request (each with
// its own result and timeout; docs/client.md). Destroying it while synchronous calls are running
// is a bug; asynchronous ones (GetAsync, ...) it lets finish.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::client {

struct ClientOptions {
  // ZooKeeper connect string, host:port[,host:port...].
  std::string zookeeper = "127.0.0.1:2181";
  // Cluster name: the cluster's znodes live under /dkv/<cluster>.
  std::string cluster = "default";
  // Deadline of each call that does not give its own; also bounds Connect. Must be positive.
  std::chrono::milliseconds timeout{5000};
  // ZooKeeper session timeout (the ZooKeeper server clamps it to 2..20 of its ticks).
  std::chrono::milliseconds session_timeout{4000};
  // The keyspace every call works in, 0..15 (Redis's SELECT): keyspaces are separate, the same
  // key may hold different values in each.
  int32_t db = 0;
};

// Passed as a call's `timeout`: use ClientOptions::timeout. Any timeout <= 0 means the same.
inline constexpr std::chrono::milliseconds kDefaultTimeout{0};

// ---- Keyspace operations beyond get/set/remove (Redis's string and key commands) ----

// How Client::Set(key, value, SetOptions) stores.
struct SetOptions {
  enum class Condition {
    kAlways,
    kIfAbsent,   // only if the key does not exist (Redis NX)
    kIfPresent,  // only if the key exists (Redis XX)
  };
  Condition condition = Condition::kAlways;
  // Expire the key this long after the call (> 0); none: the key does not expire.
  std::optional<std::chrono::milliseconds> ttl;
  // Keep the key's current expiry instead of clearing it (Redis KEEPTTL); not with `ttl`.
  bool keep_ttl = false;
};

// A key's time to live (Client::Ttl).
struct KeyTtl {
  bool exists = false;  // false: no such key (Redis's TTL -2)
  // Time left; empty when the key exists without an expiry (Redis's -1) or does not exist.
  std::optional<std::chrono::milliseconds> remaining;
};

// One page of Client::Scan.
struct ScanPage {
  std::vector<std::string> keys;
  // Pass to the next Scan call; 0 once the whole keyspace has been covered.
  uint64_t cursor = 0;
};

struct ScanOptions {
  std::string match;  // a Redis glob pattern (*, ?, [a-z], \x); empty: every key
  // How many keys a page should hold (Redis's COUNT hint): a page may hold fewer or more.
  int32_t count = 10;
};

// A snapshot of the cluster as its master sees it (Client::GetStatus; `dkv status`).
struct ClusterStatus {
  struct Master {
    std::string id;                 // server id, the servers/ znode name (srv-<seq>)
    std::string address;            // its Thrift host:port
    int64_t epoch = 0;              // the master epoch it raised when elected
    std::string resp_address = {};  // its RESP host:port; empty when its RESP port is off
  };
  struct Standby {
    std::string id;
    std::string address;
    std::string resp_address = {};
  };
  struct DataNode {
    std::string id;          // the node's stable --id
    std::string address;     // its Thrift host:port
    int32_t slots = 0;       // slots whose chain it is a member of (with R = 1: the slots it owns)
    int64_t keys = -1;       // keys it holds; -1 when it did not answer the master
    int32_t head_slots = 0;  // slots whose chain it heads (their writes go to it first)
  };

  std::string cluster;
  std::optional<Master> master;  // empty only if the answering server named no master
  std::vector<Standby> standbys;
  std::vector<DataNode> data_nodes;
  int32_t clients = 0;  // connected clients (members of clients/), this one included
  int32_t slot_count = 0;
  int64_t slot_map_version = 0;
  // Slots whose keys were lost since the current master took over: their data node died and did
  // not come back within the master's grace period (--data-grace-ms), or came back restarted.
  // lost_slots counts them (each slot once); lost_slot_ids lists them, ascending.
  int64_t lost_slots = 0;
  std::vector<int32_t> lost_slot_ids;
  // Data nodes gone from ZooKeeper that still own slots, waiting out the grace period; calls to
  // their slots fail with UNAVAILABLE (and are retried) meanwhile.
  std::vector<std::string> departed_data_nodes;

  // A batch of slots moving, with their keys, from one data node to another (docs/migration.md).
  struct Move {
    int64_t id = 0;    // migration id
    std::string from;  // source data node id
    std::string to;    // target data node id
    std::vector<int32_t> slots;
    std::string phase;  // "starting", "copying", "delta", "frozen", "committed", ...
    int64_t keys_copied = 0;
    int64_t keys_total = 0;  // keys in the slots when the copy started
    int64_t bytes_copied = 0;
    // "replace": `to` takes `from`'s place in the slots' chains; "add": `to` is appended after
    // `from`, the tail (a chain shorter than R grows).
    std::string kind = "replace";
    int64_t keys_per_second = 0;  // keys_copied over the time since the move started
  };
  std::vector<Move> moves;                       // slot moves in progress
  std::vector<std::string> draining_data_nodes;  // giving their slots away (Client::DrainDataNode)
  int64_t moved_slots = 0;  // slots moved, with their keys, since the current master took over

  // R: how many data nodes each slot's chain should have (docs/replication.md).
  int32_t replication_factor = 1;
  // Slots whose chain has fewer than R members: fewer copies of their keys than asked for, while
  // chains grow after a failure or a raise of R, or for good while R exceeds the data nodes.
  // under_replicated_slots counts them; under_replicated_slot_ids lists them, ascending.
  int32_t under_replicated_slots = 0;
  std::vector<int32_t> under_replicated_slot_ids;
  // What the operator should know, one sentence each (e.g. R above the live data nodes).
  std::vector<std::string> warnings;
};

// What Client::SetReplicationFactor answered.
struct ReplicationFactorChange {
  int32_t replication_factor = 0;  // R now
  // Live data nodes that are not draining: chains have min(R, data_nodes) members.
  int32_t data_nodes = 0;
};

class Client {
 public:
  // Opens a ZooKeeper session to options.zookeeper and registers this client under
  // /dkv/<cluster>/clients. It does not wait for a master: calls do. Returns UNAVAILABLE naming
  // the connect string if ZooKeeper cannot be reached within options.timeout, INVALID_ARGUMENT for
  // bad options. The caller owns the returned client.
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  // Closes the ZooKeeper session (so this client leaves clients/ at once) and every connection.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The value stored under `key`, or std::nullopt if there is none (a normal outcome, not an
  // error). Keys and values are arbitrary bytes.
  Result<std::optional<std::string>> Get(std::string_view key,
                                         std::chrono::milliseconds timeout = kDefaultTimeout);

  // Stores `value` under `key`, replacing any previous value. OK once the cluster has stored it.
  // When the call fails with UNAVAILABLE the value may or may not have been stored.
  Status Set(std::string_view key, std::string_view value,
             std::chrono::milliseconds timeout = kDefaultTimeout);

  // Removes `key`; true if it existed. Note: if the master fails over during the call, the first
  // attempt may have removed the key before its connection broke, and the retry then reports false.
  Result<bool> Remove(std::string_view key, std::chrono::milliseconds timeout = kDefaultTimeout);

  // Sends a Set with no acknowledgement (Thrift oneway) and returns at once, by definition without
  // reporting any error: the write may be lost (no master known, the connection broke, the server
  // it reached is a standby, or the master refused it, e.g. for size). At most one attempt;
  // `timeout` bounds finding the master and sending.
  void UnsafeSet(std::string_view key, std::string_view value,
                 std::chrono::milliseconds timeout = kDefaultTimeout);

  // The cluster's members and slot assignment, as the master sees them.
  Result<ClusterStatus> GetStatus(std::chrono::milliseconds timeout = kDefaultTimeout);

  // ---- Keyspace operations (Redis's string and key commands; each on options().db) ----
  // A key's operation executes atomically on the data node that owns it. Multi-key calls (MGet,
  // MSet) are not atomic across keys. Expiry times are computed from this machine's clock (as
  // the Redis front end does from the server's): keep clocks in sync for TTLs to be exact.
  // Errors as above, plus INVALID_ARGUMENT for bad options (a negative TTL, ttl with keep_ttl, a
  // count < 1, db outside 0..15 at Connect) and for a Redis error the operation met (e.g. IncrBy
  // on a value that is not an integer), its message as Redis words it without the "ERR ".

  // Stores `value` under `key` as `options` say. True if stored, false if the condition refused
  // it (the key existed for kIfAbsent, did not for kIfPresent).
  Result<bool> Set(std::string_view key, std::string_view value, const SetOptions& options,
                   std::chrono::milliseconds timeout = kDefaultTimeout);
  // The time left before `key` expires (see KeyTtl).
  Result<KeyTtl> Ttl(std::string_view key, std::chrono::milliseconds timeout = kDefaultTimeout);
  // Makes `key` expire `ttl` from now (a ttl <= 0 deletes it, as Redis's EXPIRE). True if the key
  // exists (its expiry was set), false if it does not.
  Result<bool> Expire(std::string_view key, std::chrono::milliseconds ttl,
                      std::chrono::milliseconds timeout = kDefaultTimeout);
  // Removes `key`'s expiry. True if it had one, false if it had none or does not exist.
  Result<bool> Persist(std::string_view key, std::chrono::milliseconds timeout = kDefaultTimeout);
  // Adds `delta` to the integer stored at `key` (a missing key counts as 0) and returns the new
  // value. INVALID_ARGUMENT "value is not an integer or out of range" when the value is not a
  // 64-bit decimal integer, "increment or decrement would overflow" on overflow; the value is
  // left as it was.
  Result<int64_t> IncrBy(std::string_view key, int64_t delta,
                         std::chrono::milliseconds timeout = kDefaultTimeout);
  // Appends `value` to the value at `key` (creating it) and returns the new length.
  Result<int64_t> Append(std::string_view key, std::string_view value,
                         std::chrono::milliseconds timeout = kDefaultTimeout);
  // The values of `keys`, in order; std::nullopt for a missing key. One call to the master.
  Result<std::vector<std::optional<std::string>>> MGet(
      const std::vector<std::string>& keys, std::chrono::milliseconds timeout = kDefaultTimeout);
  // Stores every (key, value) pair. One call to the master, not atomic: when it fails, some
  // pairs may have been stored.
  Status MSet(const std::vector<std::pair<std::string, std::string>>& pairs,
              std::chrono::milliseconds timeout = kDefaultTimeout);
  // A page of the keyspace's keys matching options.match, starting at `cursor` (0 for the first
  // page). The cursor walks the cluster's slots, so iterating until it comes back 0 returns every
  // key that existed throughout exactly once, whatever moves between data nodes meanwhile; keys
  // written or removed during the scan may or may not appear (Redis's SCAN guarantees). Keys come
  // in slot order. `timeout` bounds each call to the master (a page may take several).
  // INVALID_ARGUMENT for a cursor past the cluster's last slot.
  Result<ScanPage> Scan(uint64_t cursor, const ScanOptions& options = ScanOptions(),
                        std::chrono::milliseconds timeout = kDefaultTimeout);

  // ---- Asynchronous calls ----
  // Each starts the call of the same name without the "Async" and returns at once; `done` later
  // receives exactly what that call would have returned (the same errors, retries and deadline,
  // counted from now). So one thread can keep many calls in flight: the client sends the calls
  // queued meanwhile as one request to the master, one round trip for all (docs/client.md).
  //   - Order: calls on one key execute in the order they were made. The client's asynchronous
  //     calls go one request at a time, each once the one before has finished (retries included),
  //     as commands pipelined on one Redis connection.
  //   - `done` runs on a thread of the client's own, never inside the call that started it, one
  //     callback at a time in the order of the calls. It must not throw, and should return soon:
  //     the client's other asynchronous calls wait meanwhile. It may start further calls,
  //     asynchronous or not.
  //   - Keys and values are copied before the call returns.
  //   - ~Client waits until every asynchronous call has finished and its `done` has returned,
  //     calls that `done` callbacks start meanwhile included; destroying it from a `done`
  //     callback is a bug.
  template <typename T>
  using Callback = std::function<void(T outcome)>;

  void GetAsync(std::string_view key, Callback<Result<std::optional<std::string>>> done,
                std::chrono::milliseconds timeout = kDefaultTimeout);
  void SetAsync(std::string_view key, std::string_view value, Callback<Status> done,
                std::chrono::milliseconds timeout = kDefaultTimeout);
  void RemoveAsync(std::string_view key, Callback<Result<bool>> done,
                   std::chrono::milliseconds timeout = kDefaultTimeout);
  void MGetAsync(const std::vector<std::string>& keys,
                 Callback<Result<std::vector<std::optional<std::string>>>> done,
                 std::chrono::milliseconds timeout = kDefaultTimeout);
  void MSetAsync(const std::vector<std::pair<std::string, std::string>>& pairs,
                 Callback<Status> done, std::chrono::milliseconds timeout = kDefaultTimeout);

  // ---- Cluster administration (dkv node drain, dkv rebalance, dkv replicas) ----

  // Starts draining data node `id`: the master moves its slots, with their keys, to the other
  // data nodes in the background, and then (if `leave_when_done`) tells it to exit. Returns the
  // number of slots it owns now; watch GetStatus (draining_data_nodes, moves, its slot count) for
  // progress. NOT_FOUND when no live data node has that id. Repeating it is harmless.
  Result<int32_t> DrainDataNode(std::string_view id, bool leave_when_done = true,
                                std::chrono::milliseconds timeout = kDefaultTimeout);

  // Has the master recompute the balanced slot map over the live data nodes and start the moves
  // it needs (normally it does so by itself whenever data nodes come and go). Returns the number
  // of slots to move; 0 when the map is balanced.
  Result<int32_t> Rebalance(std::chrono::milliseconds timeout = kDefaultTimeout);

  // Sets the cluster's replication factor R, how many data nodes hold each slot: chains longer
  // than R shrink at once; shorter ones grow in the background, by copies of their slots (watch
  // GetStatus: under_replicated_slots falls to 0). When R exceeds the live data nodes that are not
  // draining (the answer's data_nodes), chains are as long as they allow and grow as nodes join.
  // INVALID_ARGUMENT for R outside 1..16. Repeating it is harmless.
  Result<ReplicationFactorChange> SetReplicationFactor(
      int32_t replication_factor, std::chrono::milliseconds timeout = kDefaultTimeout);

  // The options this client was connected with.
  const ClientOptions& options() const;

  class Impl;  // internal (client/client_impl.h)

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dkv::client
