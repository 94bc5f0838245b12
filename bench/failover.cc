#include "bench/failover.h"

#include "bench/cluster_members.h"
#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/deadline.h"
#include "common/logging.h"
#include "common/metadata.h"
#include "dkv/client.h"

namespace dkv::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

}  // namespace

Result<std::unique_ptr<coord::Coordinator>> ConnectCoordinator(const FailoverOptions& options) {
  coord::ZooKeeperOptions zk;
  zk.connect_string = options.zookeeper;
  zk.session_timeout = options.session_timeout;
  return coord::ConnectZooKeeper(zk);
}

Result<std::unique_ptr<client::Client>> ConnectClient(const FailoverOptions& options) {
  client::ClientOptions client_options;
  client_options.zookeeper = options.zookeeper;
  client_options.cluster = options.cluster;
  client_options.session_timeout = options.session_timeout;
  return client::Client::Connect(client_options);
}

Result<std::vector<FailoverRound>> RunFailover(const FailoverOptions& options) {
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<coord::Coordinator> coord, ConnectCoordinator(options));
  const coord::ClusterPaths paths(options.cluster);
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<client::Client> client, ConnectClient(options));

  DKV_ASSIGN_OR_RETURN(size_t servers, CountChildren(coord.get(), paths.servers()));
  if (servers < 2) {
    return Status::Unavailable("cluster '" + options.cluster + "' has " + std::to_string(servers) +
                               " server(s); failover needs 2 or more");
  }
  std::vector<FailoverRound> rounds;
  for (int i = 0; i < options.kills; ++i) {
    const Deadline deadline = Deadline::After(options.round_timeout);
    // The previous round's victim must be back (restarted by its supervisor), and a master must
    // serve, before the next kill.
    DKV_RETURN_NOT_OK(PollUntil(
        [&] {
          auto n = CountChildren(coord.get(), paths.servers());
          return n.ok() && *n >= servers &&
                 client->Set("failover-probe", "up", milliseconds(500)).ok();
        },
        deadline, std::to_string(servers) + " servers and a serving master"));
    DKV_ASSIGN_OR_RETURN(MasterInfo master, ReadMaster(coord.get(), paths.master()));
    DKV_ASSIGN_OR_RETURN(MemberInfo member,
                         ReadMember(coord.get(), paths.servers() + "/" + master.server_id));

    FailoverRound round;
    round.killed = master.server_id;
    const auto killed_at = Clock::now();
    DKV_RETURN_NOT_OK(KillMember("the master " + round.killed, member));
    bool elected = false;
    Status s = PollUntil(
        [&] {
          if (!elected) {
            auto now = ReadMaster(coord.get(), paths.master());
            if (now.ok() && now->server_id != round.killed) {
              elected = true;
              round.elected =
                  std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - killed_at);
            }
          }
          if (!client->Set("failover-probe", std::to_string(i), milliseconds(200)).ok()) {
            return false;
          }
          round.serving =
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - killed_at);
          return true;
        },
        deadline, "a new master to serve after killing " + round.killed);
    DKV_RETURN_NOT_OK(s);
    if (!elected) round.elected = round.serving;  // seen serving before the znode poll caught up
    DKV_LOG(INFO) << "round " << i + 1 << ": killed " << round.killed << ", elected after "
                  << round.elected.count() / 1000 << " ms, serving after "
                  << round.serving.count() / 1000 << " ms";
    rounds.push_back(round);
  }
  return rounds;
}

}  // namespace dkv::bench
