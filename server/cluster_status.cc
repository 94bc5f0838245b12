#include "server/cluster_status.h"

#include <future>

#include "common/rpc/metadata_codec.h"

namespace dkv::server {
namespace {

constexpr std::chrono::milliseconds kStatsTimeout{1000};

}  // namespace

Result<ClusterStatus> CollectClusterStatus(coord::Coordinator* coord, const std::string& cluster,
                                           Router* router, const Master& elected) {
  const coord::ClusterPaths paths(cluster);
  ClusterStatus status;
  status.cluster = cluster;
  DKV_ASSIGN_OR_RETURN(coord::NodeData master, coord->Get(paths.master()));
  DKV_RETURN_NOT_OK(rpc::DecodeMaster(master.data, &status.master));

  DKV_ASSIGN_OR_RETURN(std::vector<std::string> servers, coord->GetChildren(paths.servers()));
  for (const std::string& name : servers) {
    if (name == status.master.server_id) continue;
    auto node = coord->Get(paths.servers() + "/" + name);
    if (!node.ok()) continue;  // left meanwhile
    MemberInfo member;
    if (!rpc::DecodeMember(node->data, &member).ok()) continue;
    member.id = name;
    status.standbys.push_back(std::move(member));
  }

  auto clients = coord->GetChildren(paths.clients());
  if (clients.ok()) status.clients = static_cast<int32_t>(clients->size());

  Router::Summary routing = router->Summarize();
  status.slot_count = routing.slot_count;
  status.slot_map_version = routing.map_version;
  status.lost_slots = elected.lost_slots();
  status.departed_data_nodes = elected.departed();
  status.moves = elected.moves();
  status.draining_data_nodes = elected.draining();
  status.moved_slots = elected.moved_slots();
  // Asked all at once with a short bound: a dead node still registered costs 1 s, not 5 s each.
  std::vector<std::future<Result<DataNodeStats>>> answers;
  for (const DataNodeRoute& route : routing.data_nodes) {
    answers.push_back(std::async(
        std::launch::async, [channel = route.channel] { return channel->Stats(kStatsTimeout); }));
  }
  for (size_t i = 0; i < routing.data_nodes.size(); ++i) {
    const DataNodeRoute& route = routing.data_nodes[i];
    DataNodeStatus node{route.id, route.address, route.slots, -1};
    auto stats = answers[i].get();
    if (stats.ok()) node.keys = stats->keys;
    status.data_nodes.push_back(std::move(node));
  }
  return status;
}

}  // namespace dkv::server
