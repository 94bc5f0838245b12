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
// Thread-safety: a Client is thread-safe; any number of threads may call it at once (each call
// uses a connection of its own from the pool). Destroying it while calls are running is a bug.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
};

// Passed as a call's `timeout`: use ClientOptions::timeout. Any timeout <= 0 means the same.
inline constexpr std::chrono::milliseconds kDefaultTimeout{0};

// A snapshot of the cluster as its master sees it (Client::GetStatus; `dkv status`).
struct ClusterStatus {
  struct Master {
    std::string id;       // server id, the servers/ znode name (srv-<seq>)
    std::string address;  // its Thrift host:port
    int64_t epoch = 0;    // the master epoch it raised when elected
  };
  struct Standby {
    std::string id;
    std::string address;
  };
  struct DataNode {
    std::string id;       // the node's stable --id
    std::string address;  // its Thrift host:port
    int32_t slots = 0;    // slots assigned to it in the slot map
    int64_t keys = -1;    // keys it holds; -1 when it did not answer the master
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
  int64_t lost_slots = 0;
  // Data nodes gone from ZooKeeper that still own slots, waiting out the grace period; calls to
  // their slots fail with UNAVAILABLE (and are retried) meanwhile.
  std::vector<std::string> departed_data_nodes;
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

  // The options this client was connected with.
  const ClientOptions& options() const;

  class Impl;  // internal (client/client_impl.h)

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dkv::client
