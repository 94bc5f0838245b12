// Election: this server's membership in servers/ and the master election over it (DESIGN.md).
//
// Each server creates an EPHEMERAL_SEQUENTIAL servers/srv-<seq>; the lowest sequence is master.
// A standby watches only its predecessor (no herd effect): when that node goes, it re-checks.
// After session expiry (its node is gone) it registers again with a new sequence number.
//
// Threads: Start() runs on the caller; re-checks run on the coordinator's event thread. Checks are
// serialized by check_mu_, and the listener is called with check_mu_ held, so OnElected/OnDemoted
// never overlap. Lock order: check_mu_ before anything the listener takes.
#pragma once

#include <atomic>
#include <string>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/metadata.h"
#include "common/mutex.h"

namespace dkv::server {

class Election {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // This server is now the lowest member: take over. `id` is its znode name (srv-<seq>).
    virtual void OnElected(const std::string& id) = 0;
    // This server is master no more (its session expired).
    virtual void OnDemoted() = 0;
  };

  // `coord` and `listener` must outlive the Election. `self` is written into the member znode.
  Election(coord::Coordinator* coord, const coord::ClusterPaths& paths, MemberInfo self,
           Listener* listener);
  Election(const Election&) = delete;
  Election& operator=(const Election&) = delete;

  // Registers in servers/ and runs the first check. UNAVAILABLE if ZooKeeper cannot be reached.
  Status Start() EXCLUDES(check_mu_);

  // After a session expiry: demotes if master, registers again (a new member) and re-checks.
  void Rejoin() EXCLUDES(check_mu_);

  // Re-runs the check (after the connection came back, when a check may have failed).
  void Recheck() EXCLUDES(check_mu_) { Check(); }

  // Deletes this server's member znode, so a successor is elected at once. Idempotent.
  void Leave() EXCLUDES(check_mu_);

  // The member znode name, "" before Start.
  std::string id() const EXCLUDES(check_mu_);
  bool is_master() const { return is_master_.load(); }

 private:
  Status Register() REQUIRES(check_mu_);
  // Finds this server's place; elects or watches the predecessor. Retries on races.
  void Check() EXCLUDES(check_mu_);
  Status CheckLocked() REQUIRES(check_mu_);
  // `why` is logged: a warning after a session loss, plain information when leaving on purpose.
  void Demote(const char* why, bool planned) REQUIRES(check_mu_);

  coord::Coordinator* const coord_;
  const coord::ClusterPaths paths_;
  const MemberInfo self_;
  Listener* const listener_;

  mutable Mutex check_mu_;
  std::string id_ GUARDED_BY(check_mu_);       // znode name, e.g. srv-0000000003
  std::string watched_ GUARDED_BY(check_mu_);  // predecessor path whose Exists watch is armed
  bool left_ GUARDED_BY(check_mu_) = false;
  std::atomic<bool> is_master_{false};
};

}  // namespace dkv::server
