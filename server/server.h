// Server: the dkv-server daemon. It joins servers/, takes part in the election, and serves the
// client-facing Dkv Thrift service: as master it routes calls to data nodes (Router); as a
// standby it answers NOT_MASTER with the master's address. With a RESP port it also speaks Redis's
// protocol (RespServer): the master executes those commands, a standby forwards them to it.
//
// Lifecycle: construct, Start() once, Shutdown() once (or let the destructor do it).
// Threads: Thrift request threads and RESP I/O threads call CheckServing()/router()/Execute(); the
// coordinator's event thread
// runs the election, the master's takeover and rebalancing, and the session listener.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/host_port.h"
#include "common/limits.h"
#include "common/rpc/rpc_server.h"
#include "common/slot.h"
#include "server/election.h"
#include "server/master.h"
#include "server/master_forwarder.h"
#include "server/resp_backend.h"
#include "server/resp_server.h"
#include "server/router.h"

namespace dkv::server {

struct ServerOptions {
  std::string zookeeper = "127.0.0.1:2181";
  std::string cluster = "default";
  std::chrono::milliseconds session_timeout{4000};
  HostPort listen{"0.0.0.0", 7400};
  std::string advertise;              // HOST or HOST:PORT; empty: derived from listen
  int32_t slots = kDefaultSlotCount;  // only for a new cluster
  int32_t replication_factor = 1;     // only for a new cluster
  Limits limits;
  std::chrono::milliseconds data_call_timeout{5000};
  // How long a data node gone from data/ keeps its slots in case it comes back (see master.h).
  std::chrono::milliseconds data_grace{5000};
  // The RESP2 front end (docs/resp.md): its port on the listen host (0: off), the address
  // published for Redis clients (HOST or HOST:PORT; empty: derived as for `advertise`), its I/O
  // threads, and the request limits of resp::RequestLimits (the bulk limit follows `limits`).
  int resp_port = 0;
  std::string resp_advertise;
  int resp_threads = 1;
  size_t resp_max_array_elements = resp::RequestLimits().max_array_elements;
  size_t resp_max_inline_bytes = resp::RequestLimits().max_inline_bytes;
};

class Server : public Election::Listener, public RespBackend {
 public:
  explicit Server(ServerOptions options);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Connects to ZooKeeper, starts the Thrift service, joins the election. UNAVAILABLE naming the
  // connect string when ZooKeeper is unreachable; IO_ERROR when the listen address is taken.
  Status Start();

  // Leaves the election first (a standby takes over at once), then stops serving. Idempotent.
  void Shutdown();

  // OK when this server is the master and connected to ZooKeeper; NOT_MASTER naming the master
  // (in *master_address too) on a standby; UNAVAILABLE while a master has lost its connection.
  Status CheckServing(std::string* master_address);

  Router* router() { return &router_; }
  Master* master() { return master_.get(); }
  coord::Coordinator* coordinator() { return coord_.get(); }
  const ServerOptions& options() const { return options_; }
  const std::string& advertised_address() const { return advertised_; }

  // The advertised RESP address; empty when RESP is off.
  const std::string& resp_address() const { return resp_advertised_; }

  // Election::Listener
  void OnElected(const std::string& id) override;
  void OnDemoted() override;

  // RespBackend: the master executes with its router; a standby forwards to the master.
  std::vector<Reply> Execute(std::vector<Op> ops) override;
  int32_t SlotCount() override;
  bool IsServingMaster() override;
  std::vector<std::pair<std::string, std::string>> ClusterInfo() override;

 private:
  void OnSessionEvent(coord::SessionEvent event);

  const ServerOptions options_;
  const coord::ClusterPaths paths_;
  std::string advertised_;
  std::string resp_advertised_;
  Router router_;
  MasterForwarder forwarder_;
  std::atomic<int32_t> slot_count_{0};  // cached by SlotCount(): fixed once a cluster has a map
  std::unique_ptr<coord::Coordinator> coord_;
  std::unique_ptr<Master> master_;
  std::unique_ptr<Election> election_;
  std::unique_ptr<rpc::RpcServer> rpc_server_;
  std::unique_ptr<RespServer> resp_server_;
  // Set once master_ and election_ exist: request threads may start before that.
  std::atomic<bool> ready_{false};
  // False from a lost ZooKeeper connection until it is back: the fence that stops a master cut off
  // from ZooKeeper from serving (CheckServing), before its session can expire elsewhere.
  std::atomic<bool> connected_{true};
  std::atomic<bool> shut_down_{false};
};

}  // namespace dkv::server
