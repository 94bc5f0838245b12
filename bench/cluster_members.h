// What the failover benchmarks read of a running cluster in ZooKeeper, and how they kill a member.
//
// dkv-failover-bench's rounds (bench/failover.h kills masters, bench/data_failover.h data nodes)
// find their victim through the cluster's znodes (docs/architecture.md): the master znode, and
// the MemberInfo under servers/<id> and data/<id> that carries a process's pid and host. A kill
// is a SIGKILL by pid, so it works on this host only. Functions here are stateless; they are as
// thread-safe as the Coordinator they are given.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "common/coord/coordinator.h"
#include "common/deadline.h"
#include "common/metadata.h"
#include "dkv/result.h"

namespace dkv::bench {

// The master znode's contents; NOT_FOUND while no master is elected.
Result<MasterInfo> ReadMaster(coord::Coordinator* coord, const std::string& master_path);

// The MemberInfo in the znode at `path` (servers/<id> or data/<id>); NOT_FOUND when it is gone.
Result<MemberInfo> ReadMember(coord::Coordinator* coord, const std::string& path);

// How many children `path` has (servers/ or data/: the members registered).
Result<size_t> CountChildren(coord::Coordinator* coord, const std::string& path);

// SIGKILLs `member`'s process; `who` names it in errors ("the master srv-3"). UNAVAILABLE when it
// runs on another host, IO_ERROR if kill(2) fails.
Status KillMember(const std::string& who, const MemberInfo& member);

// Polls `done` every 2 ms until it is true; TIMED_OUT "waiting for <what>" once `deadline` passes.
template <typename Done>
Status PollUntil(Done done, Deadline deadline, const std::string& what) {
  while (!done()) {
    if (deadline.Expired()) return Status::TimedOut("waiting for " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::OK();
}

}  // namespace dkv::bench
