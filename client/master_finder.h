// MasterFinder: where the cluster's master is, as /dkv/<cluster>/master says, cached.
//
// The first Find reads the master znode through the Coordinator, leaving a watch; the answer is
// cached until the watch fires (a new master, or none), the ZooKeeper session expires, or a caller
// reports that the cached address failed (Forget) or pointed elsewhere (Redirect, after a standby's
// NOT_MASTER). So the common path is a lock and a copy; ZooKeeper is read only after a change.
//
// Thread-safe. Watches run on the coordinator's event thread and only clear the cache; they hold a
// weak reference, so a MasterFinder may be destroyed before its coordinator.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/host_port.h"
#include "common/limits.h"
#include "common/mutex.h"
#include "dkv/result.h"

namespace dkv::client {

class MasterFinder {
 public:
  // `coordinator` must outlive this object.
  MasterFinder(coord::Coordinator* coordinator, const std::string& cluster);
  MasterFinder(const MasterFinder&) = delete;
  MasterFinder& operator=(const MasterFinder&) = delete;

  // The master's address: cached, or read from ZooKeeper. UNAVAILABLE saying why when there is no
  // master znode, it cannot be read, or it does not parse (the caller adds which cluster and
  // ZooKeeper). Blocks at most as long as a Coordinator read (bounded by the session timeout).
  Result<HostPort> Find();

  // `address` failed (connection refused or broken): drop it if it is the cached one, so the next
  // Find reads ZooKeeper again.
  void Forget(const HostPort& address);

  // The server at `from` said the master is `to` (a NOT_MASTER hint): cache `to` if `from` is still
  // the cached address. A malformed or empty `to` just forgets `from`.
  void Redirect(const HostPort& from, const std::string& to);

  // The ZooKeeper session expired (its watches are gone): drop the cache.
  void OnSessionExpired();

  // The key and value limits the master publishes, so oversized calls fail before they are sent.
  // The last ones read (they outlive cache invalidations); reads the master znode if none has been
  // read yet, and gives the defaults if that fails (the master still checks).
  Limits CurrentLimits();

 private:
  struct Cache {
    Mutex mu;
    std::optional<HostPort> master GUARDED_BY(mu);
    uint64_t generation GUARDED_BY(mu) = 0;       // raised by every invalidation
    std::optional<Limits> limits GUARDED_BY(mu);  // from the last master znode read
  };
  static void Invalidate(Cache* cache);

  coord::Coordinator* const coordinator_;
  const coord::ClusterPaths paths_;
  const std::shared_ptr<Cache> cache_;  // shared with the watches, which hold it weakly
};

}  // namespace dkv::client
