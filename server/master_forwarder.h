// MasterForwarder: how a standby executes the op batches of its RESP clients: Dkv.execute on the
// current master over Thrift, so a Redis client may point at any server. Connections are pooled
// per master address; a new master gets a new pool.
//
// Thread-safe: the RESP I/O threads forward at once, each on a connection of its own.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/op.h"
#include "dkv/result.h"

namespace dkv::server {

class MasterForwarder {
 public:
  explicit MasterForwarder(std::chrono::milliseconds call_timeout);
  ~MasterForwarder();
  MasterForwarder(const MasterForwarder&) = delete;
  MasterForwarder& operator=(const MasterForwarder&) = delete;

  // Executes `ops` on the master at `master_address` (Thrift host:port): its replies, or the
  // call's failure (NOT_MASTER when it is no longer the master, UNAVAILABLE when unreachable,
  // INVALID_ARGUMENT for a malformed address).
  Result<std::vector<Reply>> Execute(const std::string& master_address, std::vector<Op> ops)
      EXCLUDES(mu_);

 private:
  class Pool;
  Result<std::shared_ptr<Pool>> PoolFor(const std::string& address) EXCLUDES(mu_);

  const std::chrono::milliseconds call_timeout_;
  Mutex mu_;
  std::shared_ptr<Pool> pool_ GUARDED_BY(mu_);  // to the last master forwarded to
};

}  // namespace dkv::server
