// MiniCluster: a whole dkv cluster of real processes for end-to-end tests (Kudu's mini-cluster,
// Redis's tests/cluster). It runs a real ZooKeeper (or shares one the test binary started), real
// dkv-server and dkv-data binaries on 127.0.0.1 with free ports, and the real `dkv` CLI.
//
//   static ZooKeeperServer* zk;  // SetUpTestSuite: one ZooKeeper per test binary
//   MiniClusterOptions options;
//   options.zookeeper = zk->connect_string();
//   MiniCluster cluster(options);   // cluster name unique to the running test
//   cluster.StartServer(); cluster.StartServer();
//   cluster.StartDataNode("d1");
//   DKV_ASSERT_OK(cluster.WaitForMaster());
//   DKV_ASSERT_OK(cluster.WaitForDataNodes(1));
//   auto client = cluster.Connect();
//   CommandResult r = cluster.RunCli({"get", "k"});
//
// Every child is a harness Subprocess: its own process group, PDEATHSIG, stdout+stderr in a log
// file under the cluster's TempDir. If the running test has failed when the MiniCluster is
// destroyed, the tails of every log are printed. Waits poll ZooKeeper (through a Coordinator of the
// MiniCluster's own) until a condition holds or a deadline passes; never a blind sleep. The
// destructor stops everything it started, so no process outlives the test.
//
// Each MiniCluster uses its own cluster name (/dkv/<name>), so tests may share one ZooKeeper.
//
// Thread-safety: not thread-safe; one test thread drives it, and children must be started from a
// thread that outlives them (PDEATHSIG fires when the forking thread exits).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/deadline.h"
#include "common/metadata.h"
#include "common/slot_map.h"
#include "dkv/client.h"
#include "dkv/result.h"
#include "dkv/status.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/test_util.h"
#include "tests/harness/zookeeper_server.h"

namespace dkv::test {

// What a finished command printed and how it ended.
struct CommandResult {
  int exit_code = -1;  // -1 if it was killed (signal or deadline)
  bool timed_out = false;
  std::string out;  // stdout, byte for byte
  std::string err;  // stderr
  std::chrono::milliseconds elapsed{0};

  std::string ToString() const;  // for failure messages
};

// Runs `argv` (argv[0] a path) with `stdin_data` on its stdin, collects stdout and stderr, and
// waits until it exits or `timeout` passes (then SIGKILLs it: timed_out). IO_ERROR if it cannot
// run.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 const std::string& stdin_data, std::chrono::milliseconds timeout);

// The connect string of one ZooKeeper shared by every MiniCluster of this test binary: started on
// first use (tick 100 ms, free loopback port), stopped when the process exits. Call it from the
// main test thread (PDEATHSIG). The first failure to start is returned again on every later call.
Result<std::string> SharedZooKeeper();

struct MiniClusterOptions {
  // ZooKeeper connect string to share (e.g. SharedZooKeeper()); empty: start a ZooKeeper of its
  // own.
  std::string zookeeper;
  // Cluster name; empty: derived from the running test's name (unique per test).
  std::string cluster;
  // Session timeout of every dkv process; short, so a killed process's znodes go quickly.
  std::chrono::milliseconds session_timeout{1000};
  // dkv-server --data-grace-ms: how long a departed data node keeps its slots. 0 by default so
  // tests of rebalancing after a death need not wait it out.
  std::chrono::milliseconds data_grace{0};
  // dkv-data --drain-timeout-ms: how long a SIGTERMed data node waits for its slots to move
  // away. 0 by default, so StopDataNode leaves data/ at once; drain tests set it.
  std::chrono::milliseconds data_drain_timeout{0};
  // Extra flags for every dkv-server / dkv-data started (e.g. {"--max-key-bytes", "100"}).
  std::vector<std::string> server_flags;
  std::vector<std::string> data_flags;
  // Deadline of each `dkv` command (--timeout-ms) and of each client-library call.
  std::chrono::milliseconds client_timeout{10000};
};

class MiniCluster {
 public:
  explicit MiniCluster(MiniClusterOptions options = {});
  // Stops every process it started (SIGKILL), prints their logs' tails if the test failed.
  ~MiniCluster();
  MiniCluster(const MiniCluster&) = delete;
  MiniCluster& operator=(const MiniCluster&) = delete;

  // Starts the ZooKeeper (if not shared) and connects the MiniCluster's own Coordinator. Called by
  // the first Start*(); call it directly to check for errors early.
  Status Init();

  // Starts a dkv-server (extra flags appended to the options' server_flags); returns its index.
  Result<int> StartServer(const std::vector<std::string>& extra_flags = {});
  // SIGKILLs server `i` (its znodes linger until its session expires).
  Status KillServer(int i);
  // SIGTERMs server `i` and waits for it to exit.
  Status StopServer(int i);
  int server_count() const { return static_cast<int>(servers_.size()); }
  bool ServerRunning(int i);
  // The advertised Thrift address of server `i`, as registered in servers/; waits for it.
  Result<std::string> ServerAddress(int i, std::chrono::milliseconds timeout = kWait);

  // Starts a dkv-data with --id `id`.
  Status StartDataNode(const std::string& id, const std::vector<std::string>& extra_flags = {});
  // SIGTERM (with the default data_drain_timeout the node leaves data/ at once) and waits for it
  // to exit (up to the drain timeout plus 5 s).
  Status StopDataNode(const std::string& id);
  // SIGKILL (its znode lingers until its session expires).
  Status KillDataNode(const std::string& id);
  // Waits until data node `id` exits by itself (e.g. told to leave after a drain); INTERNAL
  // unless it exited with status 0, TIMED_OUT.
  Status WaitForDataNodeExit(const std::string& id, std::chrono::milliseconds timeout = kWait);
  // Sends `signal` to a data node without changing what the cluster expects of it (SIGSTOP /
  // SIGCONT: a process that stalls past its session and comes back with its memory).
  Status SignalDataNode(const std::string& id, int signal);

  // Waits until the master znode names a running server of this cluster; returns the master.
  Result<MasterInfo> WaitForMaster(std::chrono::milliseconds timeout = kWait);
  // Index of the server the master znode names (waits as WaitForMaster).
  Result<int> WaitForMasterIndex(std::chrono::milliseconds timeout = kWait);
  // Waits until exactly `n` data nodes are registered, each by a running dkv-data of this
  // MiniCluster (not a killed one whose session has not expired yet), the slot map assigns every
  // slot to chains of min(R, n) of exactly those nodes, memberships spread evenly, and the master
  // routes by that map version (its status says so); returns that slot map.
  Result<SlotMap> WaitForDataNodes(int n, std::chrono::milliseconds timeout = kWait);
  // As WaitForDataNodes, without waiting for the memberships to be spread evenly: every chain is
  // as long as R and the nodes allow (nothing is under-replicated), and the master routes by it.
  Result<SlotMap> WaitForFullChains(int n, std::chrono::milliseconds timeout = kWait);
  // The slot map as stored in ZooKeeper.
  Result<SlotMap> ReadSlotMap();

  // Runs build/bin/dkv --zookeeper Z --cluster C --timeout-ms T --session-timeout-ms S ARGS...,
  // bounded by twice its --timeout-ms plus a margin.
  Result<CommandResult> RunCli(const std::vector<std::string>& args,
                               const std::string& stdin_data = "");

  // A client-library Client for this cluster (timeout: options().client_timeout).
  Result<std::unique_ptr<client::Client>> Connect();
  client::ClientOptions ClientOptionsForTests() const;

  const std::string& zookeeper() const { return zookeeper_; }
  const std::string& cluster() const { return cluster_; }
  const coord::ClusterPaths& paths() const { return paths_; }
  const MiniClusterOptions& options() const { return options_; }
  // The MiniCluster's own ZooKeeper session (after Init()).
  coord::Coordinator* coordinator() { return coordinator_.get(); }
  const std::string& dir() const { return dir_->path(); }

  static constexpr std::chrono::milliseconds kWait{20000};

 private:
  // --zookeeper, --cluster and --session-timeout-ms: what every process of this cluster is given.
  std::vector<std::string> ClusterFlags() const;
  struct Process {
    std::unique_ptr<Subprocess> process;
    std::string log_path;
    bool expect_running = true;  // false once the test stopped or killed it
  };

  Result<std::unique_ptr<Subprocess>> Launch(const std::string& binary,
                                             std::vector<std::string> args,
                                             const std::string& log_path);
  Result<SlotMap> WaitForChains(int n, bool balanced, std::chrono::milliseconds timeout);
  // Live members of servers/ (znode name -> record).
  Result<std::map<std::string, MemberInfo>> ReadServers();
  void PrintLogs();

  MiniClusterOptions options_;
  std::string cluster_;
  coord::ClusterPaths paths_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ZooKeeperServer> own_zookeeper_;
  std::string zookeeper_;
  std::unique_ptr<coord::Coordinator> coordinator_;
  std::vector<Process> servers_;
  std::map<std::string, Process> data_nodes_;
  int data_starts_ = 0;  // for unique log file names across restarts
  // Asks the master for its status in WaitForDataNodes; made on first use, so it counts among
  // the cluster's clients from then on. Destroyed first (declared last).
  std::unique_ptr<client::Client> status_client_;
};

// A test fixture for MiniCluster tests: one ZooKeeper per test binary (SharedZooKeeper), a
// MiniCluster per test on its own cluster name.
class MiniClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto zk = SharedZooKeeper();
    ASSERT_TRUE(zk.ok()) << zk.status().ToString();
    zookeeper_ = *zk;
  }

  // Options for a MiniCluster on the shared ZooKeeper.
  MiniClusterOptions Options() const {
    MiniClusterOptions options;
    options.zookeeper = zookeeper_;
    return options;
  }

  // Starts `servers` servers and data nodes d1..d<data_nodes>, and waits until the cluster is
  // ready.
  static void StartCluster(MiniCluster& cluster, int servers, int data_nodes) {
    for (int i = 0; i < servers; ++i) DKV_ASSERT_OK(cluster.StartServer());
    for (int i = 1; i <= data_nodes; ++i) {
      DKV_ASSERT_OK(cluster.StartDataNode("d" + std::to_string(i)));
    }
    DKV_ASSERT_OK(cluster.WaitForMaster());
    if (data_nodes > 0) DKV_ASSERT_OK(cluster.WaitForDataNodes(data_nodes));
  }

  std::string zookeeper_;
};

}  // namespace dkv::test
