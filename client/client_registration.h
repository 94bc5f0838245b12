// ClientRegistration: this client's member node clients/cli-<seq> (EPHEMERAL_SEQUENTIAL, payload
// ClientInfo{host, pid}), which is how `dkv status` counts connected clients.
//
// The node lives as long as the ZooKeeper session; after the session expires it is gone, and
// OnSessionExpired (called from the coordinator's event thread) registers again. Closing the
// session (destroying the coordinator) removes it at once.
//
// Thread-safe.
#pragma once

#include <string>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/mutex.h"
#include "dkv/status.h"

namespace dkv::client {

class ClientRegistration {
 public:
  // `coordinator` must outlive this object.
  ClientRegistration(coord::Coordinator* coordinator, const std::string& cluster);
  ClientRegistration(const ClientRegistration&) = delete;
  ClientRegistration& operator=(const ClientRegistration&) = delete;

  // Creates clients/ if needed and this client's node under it. UNAVAILABLE if ZooKeeper cannot
  // be reached.
  Status Register();

  // Registers again (the old node died with its session). Failures are logged, not returned: the
  // client works without its member node, it is only missing from the count.
  void OnSessionExpired();

  // The path of the member node, empty before a successful Register.
  std::string path() const;

 private:
  coord::Coordinator* const coordinator_;
  const coord::ClusterPaths paths_;
  mutable Mutex mu_;
  std::string path_ GUARDED_BY(mu_);
};

}  // namespace dkv::client
