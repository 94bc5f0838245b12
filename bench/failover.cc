#include "bench/failover.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/deadline.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/metadata.h"
#include "common/rpc/metadata_codec.h"
#include "dkv/client.h"

namespace dkv::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPoll{2};

Result<MasterInfo> ReadMaster(coord::Coordinator* coord, const coord::ClusterPaths& paths) {
  DKV_ASSIGN_OR_RETURN(coord::NodeData node, coord->Get(paths.master()));
  MasterInfo master;
  DKV_RETURN_NOT_OK(rpc::DecodeMaster(node.data, &master));
  return master;
}

Result<size_t> CountServers(coord::Coordinator* coord, const coord::ClusterPaths& paths) {
  DKV_ASSIGN_OR_RETURN(std::vector<std::string> servers, coord->GetChildren(paths.servers()));
  return servers.size();
}

// Polls `done` until it is true or the deadline passes.
template <typename Done>
Status PollUntil(Done done, Deadline deadline, const std::string& what) {
  while (!done()) {
    if (deadline.Expired()) return Status::TimedOut("waiting for " + what);
    std::this_thread::sleep_for(kPoll);
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<FailoverRound>> RunFailover(const FailoverOptions& options) {
  coord::ZooKeeperOptions zk;
  zk.connect_string = options.zookeeper;
  zk.session_timeout = options.session_timeout;
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<coord::Coordinator> coord, coord::ConnectZooKeeper(zk));
  const coord::ClusterPaths paths(options.cluster);
  client::ClientOptions client_options;
  client_options.zookeeper = options.zookeeper;
  client_options.cluster = options.cluster;
  client_options.session_timeout = options.session_timeout;
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<client::Client> client,
                       client::Client::Connect(client_options));

  DKV_ASSIGN_OR_RETURN(size_t servers, CountServers(coord.get(), paths));
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
          auto n = CountServers(coord.get(), paths);
          return n.ok() && *n >= servers &&
                 client->Set("failover-probe", "up", milliseconds(500)).ok();
        },
        deadline, std::to_string(servers) + " servers and a serving master"));
    DKV_ASSIGN_OR_RETURN(MasterInfo master, ReadMaster(coord.get(), paths));
    DKV_ASSIGN_OR_RETURN(coord::NodeData node,
                         coord->Get(paths.servers() + "/" + master.server_id));
    MemberInfo member;
    DKV_RETURN_NOT_OK(rpc::DecodeMember(node.data, &member));
    if (member.host != LocalHostName()) {
      return Status::Unavailable("the master " + master.server_id + " runs on " + member.host +
                                 ", not on this host");
    }

    FailoverRound round;
    round.killed = master.server_id;
    const auto killed_at = Clock::now();
    if (kill(member.pid, SIGKILL) != 0) {
      return Status::IoError("kill " + std::to_string(member.pid) + ": " + strerror(errno));
    }
    bool elected = false;
    Status s = PollUntil(
        [&] {
          if (!elected) {
            auto now = ReadMaster(coord.get(), paths);
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
