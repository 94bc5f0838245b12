// DataNode: the dkv-data daemon. It connects to ZooKeeper, serves the DataNode Thrift service
// (DataService over a Store fenced by SlotOwnership) and registers itself as the ephemeral znode
// data/<id> carrying its advertised address, which is how the master finds it.
//
// Each slot it holds is a member of the slot's chain (docs/replication.md): writes enter at the
// head, whose effects the ChainReplicator sends down the chain; DataService.replicate applies a
// predecessor's.
//
// It also takes part in slot moves (SlotMoves, docs/migration.md): as a move's source or target,
// on leave() from the master (it then reports leave_requested()), and in a drain (Drain: asks
// the master to move its slots away and waits until it owns none).
//
// Lifecycle: construct, Start() once, Shutdown() once (or let the destructor do it).
// Threads: RpcServer's connection threads run the handler; ActiveExpiry's thread reclaims expired
// keys; the ChainReplicator's sender thread sends the slots' effects down their chains; the
// coordinator's event thread runs the slot map and epoch watches and the session listener, which
// hands session events to this object's own session thread (re-registering after an expiry may have
// to wait out a lingering znode, which must not block the event thread). Start and Shutdown are
// called from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/effect.h"
#include "common/host_port.h"
#include "common/limits.h"
#include "common/metadata.h"
#include "common/mutex.h"
#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::rpc {
class RpcServer;
}

namespace dkv::data {

class ActiveExpiry;
class ChainReplicator;
class DataService;
class EffectChannel;
class SlotMoves;
class SlotOwnership;
class Store;

struct DataNodeOptions {
  std::string zookeeper = "127.0.0.1:2181";
  std::string cluster = "default";
  std::chrono::milliseconds session_timeout{4000};
  std::chrono::milliseconds connect_timeout{5000};  // for the first ZooKeeper session
  // Stable node id, the znode name under data/. Empty: "<hostname>-<bound port>", derived after
  // binding (so with port 0 it changes on every start: give --id for a stable one).
  std::string id;
  HostPort listen{"0.0.0.0", 7500};
  std::string advertise;  // "", "HOST" or "HOST:PORT" (see AdvertisedAddress in host_port.h)
  Limits limits;
  // How long registering waits for a data/<id> znode left by a previous incarnation (its session
  // lingers up to a session timeout after a crash). Zero: twice the session timeout.
  std::chrono::milliseconds register_wait{0};
};

class DataNode {
 public:
  explicit DataNode(DataNodeOptions options);
  ~DataNode();  // Shutdown()
  DataNode(const DataNode&) = delete;
  DataNode& operator=(const DataNode&) = delete;

  // Connects to ZooKeeper, creates the cluster's paths, starts serving, reads the slot map and
  // registers data/<id>. UNAVAILABLE naming the connect string when ZooKeeper is unreachable
  // within the connect timeout; IO_ERROR when the listen address cannot be bound;
  // INVALID_ARGUMENT for a bad id or --advertise; ALREADY_EXISTS naming the id and the holder's
  // pid and host when data/<id> stays taken for the whole register wait. On failure everything
  // started is stopped again.
  Status Start();

  // Deregisters (deletes data/<id>, and draining/<id> if Drain created it, then closes the
  // session) so that the master moves the slots away at once, then stops serving. Idempotent.
  void Shutdown();

  // Asks the master to move every slot of this node away: creates the persistent znode
  // draining/<id> (DrainRecord, leave_when_done false) unless it exists, then waits until the node
  // owns no slot. `wait` is called to pass the time between checks (every 100 ms), with how long
  // to wait at most; it returns true to stop waiting (a second stop signal). OK once the node owns
  // no slot (at once when it owns none: no znode is created); TIMED_OUT after `timeout`;
  // UNAVAILABLE when `wait` stopped it, or when nobody can take the slots (no master znode, or no
  // other data node registered; checked before and during the wait); the coordinator's error when
  // ZooKeeper cannot be read or the znode cannot be created.
  // Call after a successful Start, from the thread that calls Shutdown.
  Status Drain(std::chrono::milliseconds timeout,
               const std::function<bool(std::chrono::milliseconds)>& wait) EXCLUDES(mu_);

  // Whether the master asked this node to leave (leave() accepted). Thread-safe.
  bool leave_requested() const EXCLUDES(mu_);

  // Valid after a successful Start.
  const std::string& id() const { return id_; }
  const HostPort& advertised_address() const { return advertised_; }

 private:
  Status StartImpl();
  // Creates data/<id>, waiting until `deadline` for a lingering one to go away.
  Status Register(std::chrono::steady_clock::time_point deadline) EXCLUDES(mu_);
  // OK once the chain after this node acknowledged every (slot, seq) of `seqs` (a move's source
  // before its commit); UNAVAILABLE at `deadline`.
  Status ChainDrained(const std::vector<SlotSeq>& seqs,
                      std::chrono::steady_clock::time_point deadline);
  // A connection to chain successor `node_id` at the address its data/ znode names.
  Result<std::unique_ptr<EffectChannel>> OpenEffectChannel(const std::string& node_id);
  void OnSessionEvent(coord::SessionEvent event) EXCLUDES(mu_);
  void SessionThread() EXCLUDES(mu_);
  void OnLeave() EXCLUDES(mu_);
  // Whether a master and another data node are there to take this node's slots.
  Result<bool> DrainCanProgress();
  // Creates draining/<id> unless it exists.
  Status RequestDrain();
  std::chrono::milliseconds RegisterWait() const;

  // Constant after construction.
  const DataNodeOptions options_;
  const coord::ClusterPaths paths_;

  // Set by Start, read-only until Shutdown. Destroyed in reverse order of construction: the
  // coordinator (no callback runs after it is gone) before the ownership its watches call, the
  // RpcServer before the handler and what the handler uses.
  std::string id_;
  HostPort advertised_;
  MemberInfo member_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ChainReplicator> replicator_;  // stopped by Shutdown before the RpcServer
  std::unique_ptr<ActiveExpiry> active_expiry_;
  std::unique_ptr<SlotMoves> moves_;
  std::unique_ptr<SlotOwnership> ownership_;
  std::shared_ptr<DataService> service_;
  std::unique_ptr<rpc::RpcServer> rpc_server_;
  std::unique_ptr<coord::Coordinator> coordinator_;
  std::thread session_thread_;
  bool started_ = false;
  bool created_drain_znode_ = false;  // by Drain; deleted again by Shutdown

  mutable Mutex mu_;
  CondVar cv_{&mu_};
  std::deque<coord::SessionEvent> events_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  bool leave_requested_ GUARDED_BY(mu_) = false;
};

}  // namespace dkv::data
