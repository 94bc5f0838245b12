// RetryingCaller: the one place where the client retries. It runs an attempt on the current
// master's stub and, until the call's deadline:
//   - NOT_MASTER: follows the master address the standby named (at once, a few times in a row;
//     then with backoff), or re-reads ZooKeeper when it named none;
//   - UNAVAILABLE (no master yet, connection refused or broken, ZooKeeper unreachable): forgets
//     the master, backs off (20 ms doubling to 200 ms) and finds it again;
//   - any other error, or success: returns it at once.
// After the deadline it returns UNAVAILABLE saying what it tried last. Each attempt's socket
// sends/receives are bounded by the time left.
//
// Thread-safe: any number of threads may Run at once; they share one stub (one connection pool)
// to the current master, swapped when the master moves.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "client/master_finder.h"
#include "client/master_stub.h"
#include "common/mutex.h"
#include "dkv/status.h"

namespace dkv::client {

// How long to wait between retries: `initial`, doubling up to `max`.
struct RetryBackoff {
  std::chrono::milliseconds initial{20};
  std::chrono::milliseconds max{200};
};

class RetryingCaller {
 public:
  // One try on one master: bound each socket operation by `timeout`; on NOT_MASTER put the
  // server's hint in *master_hint.
  using Attempt = std::function<Status(MasterStub& master, std::chrono::milliseconds timeout,
                                       std::string* master_hint)>;

  // `finder` must outlive this object. `cluster` and `zookeeper` are for messages only.
  RetryingCaller(MasterFinder* finder, MasterStubFactory factory, std::string cluster,
                 std::string zookeeper, RetryBackoff backoff = RetryBackoff());
  RetryingCaller(const RetryingCaller&) = delete;
  RetryingCaller& operator=(const RetryingCaller&) = delete;

  // Runs `attempt` until it succeeds, fails with an error that is not retried, or `timeout` (> 0)
  // has passed. `op` names the call in messages ("get", "set", ...). At least one attempt is made
  // if a master can be found at once.
  Status Run(const char* op, std::chrono::milliseconds timeout, const Attempt& attempt);

  // A single attempt, no retry (for oneway calls): finds the master and runs `attempt` once. A
  // failed connection still makes the next call find the master again.
  Status RunOnce(std::chrono::milliseconds timeout, const Attempt& attempt);

 private:
  // The stub for `address`, reusing the current one when it matches.
  std::shared_ptr<MasterStub> StubFor(const HostPort& address) EXCLUDES(mu_);

  MasterFinder* const finder_;
  const MasterStubFactory factory_;
  const std::string cluster_;
  const std::string zookeeper_;
  const RetryBackoff backoff_;

  Mutex mu_;
  std::shared_ptr<MasterStub> stub_ GUARDED_BY(mu_);  // to the last master found; may be null
};

}  // namespace dkv::client
