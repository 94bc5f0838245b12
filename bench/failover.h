// Failover: measures how long clients go without a master when the master dies.
//
// Each round SIGKILLs the current master (found through ZooKeeper: the master znode names the
// server, servers/<id> holds its pid and host), then times, from the kill:
//   - elected: until the master znode names another server;
//   - serving: until a client Set (short per-attempt deadline) succeeds.
// It then waits for the cluster to have its former number of servers again (the supervisor
// restarts the killed one) before the next round. Runs on the master's host only (it kills by pid).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/coord/coordinator.h"
#include "dkv/client.h"
#include "dkv/result.h"

namespace dkv::bench {

struct FailoverOptions {
  std::string zookeeper = "127.0.0.1:2181";
  std::string cluster = "default";
  int kills = 10;
  std::chrono::milliseconds session_timeout{4000};  // of the benchmark's own sessions
  std::chrono::milliseconds round_timeout{60000};   // bound on each round
};

// The benchmark's own ZooKeeper session and Client, as `options` say (also used by
// bench/data_failover.h).
Result<std::unique_ptr<coord::Coordinator>> ConnectCoordinator(const FailoverOptions& options);
Result<std::unique_ptr<client::Client>> ConnectClient(const FailoverOptions& options);

struct FailoverRound {
  std::string killed;  // server id
  std::chrono::microseconds elected{0};
  std::chrono::microseconds serving{0};
};

// Runs the rounds; UNAVAILABLE / TIMED_OUT naming what was missing (no master, a single server,
// a master on another host, a round past its timeout).
Result<std::vector<FailoverRound>> RunFailover(const FailoverOptions& options);

}  // namespace dkv::bench
