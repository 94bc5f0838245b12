// DataNodeProber: the master's failure detector for data nodes (docs/replication.md,
// "Reconfiguration"). ZooKeeper tells the master that a data node died only when its session
// expires (a session timeout after a SIGKILL); a chain whose member died stalls its writes until
// then. So the master also probes every live data node itself, often and with a short timeout: a
// node that fails `failures` probes in a row is unreachable, and the master splices it out of
// every chain that has another live member. That is safe before ZooKeeper agrees, because the new
// slot map version fences the old member: no node applies an effect of another version, and the
// spliced node is no longer a member that any call may read from. A node that answers again is
// reachable again, and the master may give it chain memberships anew (with a copy).
//
// Lifecycle and threads: the constructor starts the probing thread, the destructor stops and joins
// it. The thread calls `on_change` with no lock of its own held. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "server/router.h"

namespace dkv::server {

struct DataNodeProberOptions {
  std::chrono::milliseconds interval{100};  // between probe rounds
  std::chrono::milliseconds timeout{300};   // of each probe
  int failures = 3;                         // in a row, to count as unreachable
};

class DataNodeProber {
 public:
  // Probes the data nodes of `router`'s current table (not owned; must outlive the prober).
  // `on_change` runs on the prober's thread whenever the unreachable set changes.
  DataNodeProber(Router* router, DataNodeProberOptions options, std::function<void()> on_change);
  ~DataNodeProber();
  DataNodeProber(const DataNodeProber&) = delete;
  DataNodeProber& operator=(const DataNodeProber&) = delete;

  // The data nodes that failed their last `failures` probes (and are still in the table).
  std::set<std::string> Unreachable() const EXCLUDES(mu_);

  // The data nodes whose address was answered by another process than the one data/<id> names
  // (restarted at the same address before its old session expired) since the master last took
  // note (ClearRestarted): whatever they held in memory is gone, so their chain memberships are to
  // be spliced out as an unreachable node's are.
  std::set<std::string> Restarted() const EXCLUDES(mu_);
  // The master spliced these restarted nodes out (or they left): forget that they restarted.
  void ClearRestarted(const std::set<std::string>& ids) EXCLUDES(mu_);

  // By data node, the slots whose chain lists it but whose table it lacks, as its last answer
  // said (DataNodeStats.stale_slots): it must be replaced in those chains. Only nodes with some.
  std::map<std::string, std::vector<Slot>> Stale() const EXCLUDES(mu_);

 private:
  void Loop() EXCLUDES(mu_);

  Router* const router_;
  const DataNodeProberOptions options_;
  const std::function<void()> on_change_;

  mutable Mutex mu_;
  CondVar stop_cv_{&mu_};
  bool stopping_ GUARDED_BY(mu_) = false;
  std::map<std::string, int> failed_ GUARDED_BY(mu_);  // consecutive failed probes, by node id
  std::set<std::string> unreachable_ GUARDED_BY(mu_);
  std::set<std::string> restarted_ GUARDED_BY(mu_);
  std::map<std::string, std::vector<Slot>> stale_ GUARDED_BY(mu_);
  std::thread thread_;  // started by the constructor, joined by the destructor
};

}  // namespace dkv::server
