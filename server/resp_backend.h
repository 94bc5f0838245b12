// RespBackend: what the RESP front end (RespServer, RespCommands) needs from the dkv-server it
// runs in: somewhere to execute op batches, and a few facts about the cluster. Server implements
// it; tests may fake it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/op.h"

namespace dkv::server {

// What the commands need from the server they run in.
class RespBackend {
 public:
  virtual ~RespBackend() = default;
  // Executes `ops` as Router::Execute does (replies[i] answers ops[i]): on the master itself, on a
  // standby by forwarding them to the master; when neither works, every reply has its error set.
  // Blocks; thread-safe.
  virtual std::vector<Reply> Execute(std::vector<Op> ops) = 0;
  // The cluster's slot count, 0 while no slot map exists. Thread-safe.
  virtual int32_t SlotCount() = 0;
  // Whether this server is the master and serving (INFO's dkv_role:master, HELLO's role master);
  // false on a standby, and on a master that is taking over or lost ZooKeeper. Cheap: reads no
  // znode. Thread-safe.
  virtual bool IsServingMaster() = 0;
  // INFO's "cluster" section as name/value pairs (role, master, data nodes...). Thread-safe.
  virtual std::vector<std::pair<std::string, std::string>> ClusterInfo() = 0;
};

}  // namespace dkv::server
