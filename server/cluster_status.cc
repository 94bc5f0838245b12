#include "server/cluster_status.h"

#include <future>
#include <map>
#include <set>
#include <string>

#include "common/rpc/metadata_codec.h"

namespace dkv::server {
namespace {

constexpr std::chrono::milliseconds kStatsTimeout{1000};

}  // namespace

void DescribeChains(const SlotMap& map, ClusterStatus* status) {
  const std::map<std::string, int32_t> members = map.MemberCounts();
  const std::map<std::string, int32_t> heads = map.Counts();
  const std::set<std::string> draining(status->draining_data_nodes.begin(),
                                       status->draining_data_nodes.end());
  int32_t available = 0;  // data nodes that chains may grow onto
  for (DataNodeStatus& node : status->data_nodes) {
    auto m = members.find(node.id);
    node.slots = m == members.end() ? 0 : m->second;
    auto h = heads.find(node.id);
    node.head_slots = h == heads.end() ? 0 : h->second;
    if (!draining.count(node.id)) ++available;
  }
  status->replication_factor = map.replication_factor();
  status->under_replicated = map.UnderReplicated();
  if (map.replication_factor() > available) {
    const std::string n = std::to_string(available);
    status->warnings.push_back("replication factor " + std::to_string(map.replication_factor()) +
                               " but only " + n +
                               " live data nodes (not draining): chains will have only " + n +
                               " members until more data nodes join");
  }
}

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
    DataNodeStatus node;
    node.id = route.id;
    node.address = route.address;
    auto stats = answers[i].get();
    if (stats.ok()) node.keys = stats->keys;
    status.data_nodes.push_back(std::move(node));
  }
  DescribeChains(elected.slot_map(), &status);
  return status;
}

}  // namespace dkv::server
