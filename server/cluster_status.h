// ClusterStatus: the master's view of the whole cluster, for `dkv status` (CollectClusterStatus).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/metadata.h"
#include "dkv/result.h"
#include "server/master.h"
#include "server/router.h"

namespace dkv::server {

struct DataNodeStatus {
  std::string id;
  std::string address;
  int32_t slots = 0;
  int64_t keys = -1;  // -1 when the node did not answer
};

struct ClusterStatus {
  std::string cluster;
  MasterInfo master;
  std::vector<MemberInfo> standbys;
  std::vector<DataNodeStatus> data_nodes;
  int32_t clients = 0;
  int32_t slot_count = 0;
  int64_t slot_map_version = 0;
  std::vector<Slot> lost_slots;  // reassigned empty since this master took over, ascending
  std::vector<std::string> departed_data_nodes;
  std::vector<MoveStatus> moves;  // slot moves in progress
  std::vector<std::string> draining_data_nodes;
  int64_t moved_slots = 0;  // slot moves completed since this master took over
};

// Reads members from ZooKeeper, asks each routed data node for its key count, and the master for
// what it lost, what it waits for, and the slot moves it runs.
Result<ClusterStatus> CollectClusterStatus(coord::Coordinator* coord, const std::string& cluster,
                                           Router* router, const Master& elected);

}  // namespace dkv::server
