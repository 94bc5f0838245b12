// ClusterStatus: the master's view of the whole cluster, for `dkv status` (CollectClusterStatus).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/metadata.h"
#include "common/slot_map.h"
#include "dkv/result.h"
#include "server/master.h"
#include "server/router.h"

namespace dkv::server {

struct DataNodeStatus {
  std::string id;
  std::string address;
  int32_t slots = 0;       // slots whose chain it is a member of
  int64_t keys = -1;       // -1 when the node did not answer
  int32_t head_slots = 0;  // slots whose chain it heads
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
  int32_t replication_factor = 1;
  std::vector<Slot> under_replicated;  // slots whose chain is shorter than R, ascending
  std::vector<std::string> warnings;   // for the operator, one sentence each
};

// Fills in the chains' side of `status` from `map`: each listed data node's memberships and heads,
// R, the under-replicated slots; and appends a warning when R exceeds the listed data nodes that
// are not in status->draining_data_nodes (chains cannot be longer).
void DescribeChains(const SlotMap& map, ClusterStatus* status);

// Reads members from ZooKeeper, asks each routed data node for its key count, and the master for
// its chains (DescribeChains), what it lost, what it waits for, and the slot moves it runs.
Result<ClusterStatus> CollectClusterStatus(coord::Coordinator* coord, const std::string& cluster,
                                           Router* router, const Master& elected);

}  // namespace dkv::server
