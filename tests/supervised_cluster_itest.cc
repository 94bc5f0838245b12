// A dkv cluster run by dkv-supervisor, against a real ZooKeeper: the supervisor's restarts and
// reloads seen from the cluster's side. A SIGKILLed data node is restarted and takes its place in
// ZooKeeper's data/ group again; a SIGHUP that adds a server and removes a data node changes
// exactly those two children (servers/ and data/ follow), and every other child keeps its pid.
// After each change the cluster must still serve sets and gets (client library and `dkv` CLI).
//
// The supervisor is a harness Subprocess with its config and run dir in a short TempDir (the run
// dir holds a unix socket, whose path is limited to 107 bytes); its children's pids come from
// `dkv-supervisor status --json`. ZooKeeper is shared by the tests of this binary; a MiniCluster
// with no processes of its own lends its ZooKeeper session (coordinator()), the client library
// (Connect()) and the CLI (RunCli()). Waits poll with deadlines, never sleep blindly. Every child
// pid seen is checked to be gone after the supervisor stops.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/metadata.h"
#include "common/rpc/metadata_codec.h"
#include "common/slot_map.h"
#include "dkv/client.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/test_util.h"
#include "tests/mini_cluster.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kWait{20000};
constexpr int kBackoffInitialMs = 200;

// One row of `dkv-supervisor status --json`.
struct ChildRow {
  pid_t pid = 0;  // 0 when not running
  std::string state;
  int restarts = 0;
  std::string last_exit;
};

// Members of a ZooKeeper group (servers/ or data/): znode name -> pid of the registered process.
using Group = std::map<std::string, pid_t>;

// Whether `pid` is a live (not zombie) process whose command line mentions `marker`. The marker
// (the cluster name) keeps a recycled pid from counting as one of ours.
bool RunsWithMarker(pid_t pid, const std::string& marker) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z') {
    return false;
  }
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream args;
  args << cmdline.rdbuf();
  return args.str().find(marker) != std::string::npos;
}

class SupervisedClusterItest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto zk = SharedZooKeeper();
    ASSERT_TRUE(zk.ok()) << zk.status().ToString();
    auto dir = TempDir::Create("sc");
    DKV_ASSERT_OK(dir);
    dir_ = std::make_unique<TempDir>(std::move(dir).value());
    config_path_ = dir_->Sub("sup.conf");
    run_dir_ = dir_->Sub("run");
    MiniClusterOptions options;
    options.zookeeper = *zk;  // the cluster name is unique to the test
    cluster_ = std::make_unique<MiniCluster>(options);
    DKV_ASSERT_OK(cluster_->Init());
  }

  void TearDown() override {
    client_.reset();
    if (supervisor_ != nullptr && supervisor_->IsRunning()) {
      // SIGTERM: the supervisor stops its children in reverse order and exits 0.
      auto stopped = supervisor_->Stop(milliseconds(20000));
      DKV_EXPECT_OK(stopped);
      if (stopped.ok()) {
        EXPECT_TRUE(stopped->success()) << stopped->ToString();
      }
    } else if (supervisor_ != nullptr) {
      auto status = supervisor_->exit_status();
      ADD_FAILURE() << "dkv-supervisor exited during the test ("
                    << (status ? status->ToString() : std::string("?")) << ")";
    }
    for (pid_t pid : seen_pids_) {
      DKV_EXPECT_OK(WaitFor([&] { return !RunsWithMarker(pid, cluster_->cluster()); },
                            milliseconds(5000), milliseconds(10),
                            "child " + std::to_string(pid) + " gone"));
    }
    if (HasFailure() && dir_ != nullptr) PrintLogs();
    supervisor_.reset();  // SIGKILLs its group if it is still there
    cluster_.reset();
  }

  // A [child.NAME] section running `binary` of this cluster with `extra` flags.
  std::string ChildSection(const std::string& name, const std::string& binary,
                           const std::string& extra = "") const {
    std::ostringstream s;
    s << "[child." << name << "]\n"
      << "command = " << BinaryPath(binary) << "\n"
      << "args = --zookeeper " << cluster_->zookeeper() << " --cluster " << cluster_->cluster()
      << " --listen 127.0.0.1:0 --session-timeout-ms "
      << cluster_->options().session_timeout.count() << extra << "\n"
      << "max_restarts = 10\n"
      << "backoff_initial_ms = " << kBackoffInitialMs << "\n"
      << "stop_grace_ms = 5000\n\n";
    return s.str();
  }
  std::string Server(const std::string& name) const { return ChildSection(name, "dkv-server"); }
  std::string DataNode(const std::string& id) const {
    // No drain on stop: these tests are about the supervisor, not slot moves.
    return ChildSection(id, "dkv-data", " --id " + id + " --drain-timeout-ms 0");
  }

  // Writes the whole config file (replacing it, as an operator's editor would).
  void WriteConfig(const std::string& text) {
    std::ofstream out(config_path_, std::ios::trunc);
    out << "# written by " << ::testing::UnitTest::GetInstance()->current_test_info()->name()
        << "\n"
        << text;
    ASSERT_TRUE(out.good()) << "cannot write " << config_path_;
  }

  Result<CommandResult> SupervisorCommand(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {BinaryPath("dkv-supervisor")};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, "", milliseconds(10000));
  }

  // Starts dkv-supervisor on the config and waits until its status socket answers.
  void StartSupervisor() {
    auto check = SupervisorCommand({"--check", "--config", config_path_});
    DKV_ASSERT_OK(check);
    ASSERT_EQ(0, check->exit_code) << check->ToString();
    SubprocessOptions options;
    options.argv = {BinaryPath("dkv-supervisor"), "--config", config_path_, "--run-dir", run_dir_};
    options.log_path = dir_->Sub("supervisor.log");
    auto started = Subprocess::Start(std::move(options));
    DKV_ASSERT_OK(started);
    supervisor_ = std::move(started).value();
    DKV_ASSERT_OK(WaitFor([&] { return Children().has_value(); }, kWait, milliseconds(20),
                          "the supervisor's status socket answers"));
  }

  // The supervisor's children by name, from `status --json`; nullopt if it did not answer.
  std::optional<std::map<std::string, ChildRow>> Children() {
    auto r = SupervisorCommand({"status", "--json", "--run-dir", run_dir_});
    if (!r.ok() || r->exit_code != 0) return std::nullopt;
    static const std::regex kRow(
        R"re(\{"name":"([^"]*)","pid":([0-9]+),"state":"([^"]*)","restarts":([0-9]+),[^{}]*"last_exit":"((?:[^"\\]|\\.)*)"\})re");
    std::map<std::string, ChildRow> rows;
    for (auto it = std::sregex_iterator(r->out.begin(), r->out.end(), kRow);
         it != std::sregex_iterator(); ++it) {
      const std::smatch& m = *it;
      ChildRow row;
      row.pid = static_cast<pid_t>(std::stol(m[2]));
      row.state = m[3];
      row.restarts = std::stoi(m[4]);
      row.last_exit = m[5];
      if (row.pid > 0) seen_pids_.insert(row.pid);
      rows[m[1]] = row;
    }
    return rows;
  }

  // Waits until the supervisor runs exactly the children `names`, each in state running; returns
  // their pids by name (empty on timeout, with a test failure).
  std::map<std::string, pid_t> WaitForRunning(const std::set<std::string>& names) {
    std::map<std::string, pid_t> pids;
    std::string last = "no answer";
    Status s = WaitFor(
        [&] {
          auto rows = Children();
          if (!rows) return false;
          pids.clear();
          std::ostringstream seen;
          for (const auto& [name, row] : *rows) {
            seen << name << "=" << row.state << "/" << row.pid << " ";
            if (row.state == "running") pids[name] = row.pid;
          }
          last = seen.str();
          if (rows->size() != names.size()) return false;
          for (const std::string& name : names) {
            if (pids.count(name) == 0) return false;
          }
          return true;
        },
        kWait, milliseconds(20), "children running");
    EXPECT_TRUE(s.ok()) << s.ToString() << " (last: " << last << ")";
    if (!s.ok()) pids.clear();
    return pids;
  }

  // The members of a group znode (servers/ or data/) with the pids they registered.
  Result<Group> ReadGroup(const std::string& path) {
    auto* zk = cluster_->coordinator();
    Group group;
    auto children = zk->GetChildren(path);
    if (!children.ok()) {
      if (children.status().IsNotFound()) return group;
      return children.status();
    }
    for (const std::string& child : *children) {
      auto node = zk->Get(path + "/" + child);
      if (!node.ok()) continue;  // gone since the listing
      MemberInfo member;
      DKV_RETURN_NOT_OK(rpc::DecodeMember(node->data, &member));
      group[child] = member.pid;
    }
    return group;
  }

  // Waits until the cluster, as ZooKeeper and the master show it, is exactly:
  //   servers/ registered by the processes `server_pids` (one member each),
  //   the master znode naming the server whose pid is `master_pid`,
  //   data/ == `data` (id -> pid), every slot assigned to exactly those nodes, and the master
  //   routing by that slot map version.
  void WaitForCluster(const std::set<pid_t>& server_pids, pid_t master_pid, const Group& data) {
    std::string last;
    Status s = WaitFor(
        [&] {
          auto servers = ReadGroup(cluster_->paths().servers());
          if (!servers.ok()) {
            last = "servers/: " + servers.status().ToString();
            return false;
          }
          std::multiset<pid_t> registered;
          for (const auto& [name, pid] : *servers) registered.insert(pid);
          if (registered != std::multiset<pid_t>(server_pids.begin(), server_pids.end())) {
            last = "servers/ has " + std::to_string(servers->size()) + " members, not the " +
                   std::to_string(server_pids.size()) + " expected processes";
            return false;
          }
          auto master_node = cluster_->coordinator()->Get(cluster_->paths().master());
          MasterInfo master;
          if (!master_node.ok() || !rpc::DecodeMaster(master_node->data, &master).ok()) {
            last = "no readable master znode";
            return false;
          }
          auto master_member = servers->find(master.server_id);
          if (master_member == servers->end() || master_member->second != master_pid) {
            last = "master is " + master.server_id + ", not the server with pid " +
                   std::to_string(master_pid);
            return false;
          }
          auto members = ReadGroup(cluster_->paths().data());
          if (!members.ok()) {
            last = "data/: " + members.status().ToString();
            return false;
          }
          if (*members != data) {
            last = "data/ has";
            for (const auto& [id, pid] : *members)
              last += " " + id + "(" + std::to_string(pid) + ")";
            return false;
          }
          auto map = cluster_->ReadSlotMap();
          if (!map.ok()) {
            last = "slot map: " + map.status().ToString();
            return false;
          }
          int32_t assigned = 0;
          std::set<std::string> owners;
          for (const auto& [node, count] : map->Counts()) {
            owners.insert(node);
            assigned += count;
          }
          std::set<std::string> ids;
          for (const auto& [id, pid] : data) ids.insert(id);
          if (owners != ids || assigned != map->slot_count()) {
            last = "slot map version " + std::to_string(map->version()) + " assigns " +
                   std::to_string(assigned) + " slots to " + std::to_string(owners.size()) +
                   " nodes";
            return false;
          }
          auto client = TestClient();
          if (!client.ok()) {
            last = "client: " + client.status().ToString();
            return false;
          }
          auto status = (*client)->GetStatus(milliseconds(1000));
          if (!status.ok()) {
            last = "master status: " + status.status().ToString();
            return false;
          }
          if (status->slot_map_version != map->version() ||
              status->data_nodes.size() != data.size() ||
              status->standbys.size() + 1 != server_pids.size()) {
            last = "master routes by slot map version " + std::to_string(status->slot_map_version) +
                   " over " + std::to_string(status->data_nodes.size()) + " data nodes with " +
                   std::to_string(status->standbys.size()) + " standbys; ZooKeeper has version " +
                   std::to_string(map->version());
            return false;
          }
          return true;
        },
        kWait, milliseconds(20), "the cluster to settle");
    EXPECT_TRUE(s.ok()) << s.ToString() << " (last: " << last << ")";
  }

  // The test's client-library Client, connected on first use.
  Result<client::Client*> TestClient() {
    if (client_ == nullptr) {
      auto connected = cluster_->Connect();
      if (!connected.ok()) return connected.status();
      client_ = std::move(connected).value();
    }
    return client_.get();
  }

  // Sets `count` keys <prefix><i> through the client library and reads them back; reads the last
  // one through the `dkv` CLI too. Every call must succeed.
  void ExpectServes(const std::string& prefix, int count = 20) {
    auto client = TestClient();
    DKV_ASSERT_OK(client);
    for (int i = 0; i < count; ++i) {
      const std::string key = prefix + std::to_string(i);
      DKV_ASSERT_OK((*client)->Set(key, "v-" + key));
      auto got = (*client)->Get(key);
      DKV_ASSERT_OK(got);
      ASSERT_EQ(std::optional<std::string>("v-" + key), *got);
    }
    const std::string key = prefix + std::to_string(count - 1);
    auto cli = cluster_->RunCli({"get", key});
    DKV_ASSERT_OK(cli);
    EXPECT_EQ(0, cli->exit_code) << cli->ToString();
    EXPECT_EQ("v-" + key + "\n", cli->out) << cli->ToString();
    cli = cluster_->RunCli({"set", prefix + "cli", "from-cli"});
    DKV_ASSERT_OK(cli);
    EXPECT_EQ(0, cli->exit_code) << cli->ToString();
    auto got = (*client)->Get(prefix + "cli");
    DKV_ASSERT_OK(got);
    EXPECT_EQ(std::optional<std::string>("from-cli"), *got);
  }

  void PrintLogs() {
    std::cerr << "---- dkv-supervisor (" << dir_->Sub("supervisor.log") << ") ----\n"
              << ReadFileTail(dir_->Sub("supervisor.log"), 4000) << "\n";
    for (const char* name : {"server-1", "server-2", "data-1", "data-2"}) {
      const std::string log = run_dir_ + "/" + std::string(name) + ".log";
      if (!std::ifstream(log)) continue;
      std::cerr << "---- " << name << " (" << log << ") ----\n" << ReadFileTail(log, 3000) << "\n";
    }
  }

  std::unique_ptr<TempDir> dir_;
  std::string config_path_;
  std::string run_dir_;
  std::unique_ptr<MiniCluster> cluster_;  // ZooKeeper session, client options, CLI; no processes
  std::unique_ptr<Subprocess> supervisor_;
  std::unique_ptr<client::Client> client_;
  std::set<pid_t> seen_pids_;  // every child pid a status showed: all must be gone at the end
};

TEST_F(SupervisedClusterItest, KilledDataNodeIsRestartedAndRejoinsTheDataGroup) {
  WriteConfig(Server("server-1") + DataNode("data-1") + DataNode("data-2"));
  ASSERT_NO_FATAL_FAILURE(StartSupervisor());
  const auto before = WaitForRunning({"server-1", "data-1", "data-2"});
  ASSERT_EQ(3u, before.size());
  const pid_t server = before.at("server-1");
  WaitForCluster({server}, server,
                 {{"data-1", before.at("data-1")}, {"data-2", before.at("data-2")}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(ExpectServes("before-"));

  const auto killed_at = Clock::now();
  ASSERT_EQ(0, ::kill(before.at("data-1"), SIGKILL));
  // Restarted after its backoff (kBackoffInitialMs: the first failure), with a new pid. The margin
  // covers polling and a loaded machine; a restart that waited for anything else would miss it.
  std::map<std::string, ChildRow> rows;
  DKV_ASSERT_OK(WaitFor(
      [&] {
        auto now = Children();
        if (!now) return false;
        rows = *now;
        return rows["data-1"].state == "running" && rows["data-1"].pid != before.at("data-1");
      },
      kWait, milliseconds(10), "data-1 restarted"));
  const auto restart_delay =
      std::chrono::duration_cast<milliseconds>(Clock::now() - killed_at).count();
  EXPECT_LT(restart_delay, kBackoffInitialMs + 1000) << "restart took " << restart_delay << " ms";
  EXPECT_EQ(1, rows["data-1"].restarts);
  EXPECT_NE(std::string::npos, rows["data-1"].last_exit.find("signal 9"))
      << rows["data-1"].last_exit;
  const pid_t restarted = rows["data-1"].pid;

  // Back in data/ under its own id, registered by the new process (the killed one's znode went
  // with its session); the slot map and the master include it again; the others never moved.
  WaitForCluster({server}, server, {{"data-1", restarted}, {"data-2", before.at("data-2")}});
  ASSERT_FALSE(HasFailure());
  const auto after = WaitForRunning({"server-1", "data-1", "data-2"});
  EXPECT_EQ(server, after.at("server-1"));
  EXPECT_EQ(before.at("data-2"), after.at("data-2"));
  EXPECT_EQ(restarted, after.at("data-1"));
  ASSERT_NO_FATAL_FAILURE(ExpectServes("after-"));
}

TEST_F(SupervisedClusterItest, ReloadAddingAServerAndRemovingADataNodeChangesOnlyThose) {
  WriteConfig(Server("server-1") + DataNode("data-1") + DataNode("data-2"));
  ASSERT_NO_FATAL_FAILURE(StartSupervisor());
  const auto before = WaitForRunning({"server-1", "data-1", "data-2"});
  ASSERT_EQ(3u, before.size());
  const pid_t server = before.at("server-1");
  const pid_t data1 = before.at("data-1");
  const pid_t removed = before.at("data-2");
  WaitForCluster({server}, server, {{"data-1", data1}, {"data-2", removed}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(ExpectServes("before-"));

  // The operator's way: edit the file, then `dkv-supervisor reload` (SIGHUP).
  WriteConfig(Server("server-1") + Server("server-2") + DataNode("data-1"));
  auto reload = SupervisorCommand({"reload", "--run-dir", run_dir_});
  DKV_ASSERT_OK(reload);
  ASSERT_EQ(0, reload->exit_code) << reload->ToString();

  const auto after = WaitForRunning({"server-1", "server-2", "data-1"});
  ASSERT_EQ(3u, after.size());
  EXPECT_EQ(server, after.at("server-1"));
  EXPECT_EQ(data1, after.at("data-1"));
  const pid_t added = after.at("server-2");
  EXPECT_TRUE(added != server && added != data1 && added != removed);
  DKV_EXPECT_OK(WaitFor([&] { return !RunsWithMarker(removed, cluster_->cluster()); }, kWait,
                        milliseconds(10), "the removed data node's process gone"));

  // servers/ gains the new server (a standby: the master stays), data/ loses data-2 and its slots
  // go to data-1; nothing else restarted.
  WaitForCluster({server, added}, server, {{"data-1", data1}});
  ASSERT_FALSE(HasFailure());
  const auto rows = Children();
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(0u, rows->count("data-2"));
  for (const auto& [name, row] : *rows) EXPECT_EQ(0, row.restarts) << name;
  ASSERT_NO_FATAL_FAILURE(ExpectServes("after-"));
  const auto still = WaitForRunning({"server-1", "server-2", "data-1"});
  EXPECT_EQ(server, still.at("server-1"));
  EXPECT_EQ(added, still.at("server-2"));
  EXPECT_EQ(data1, still.at("data-1"));
}

}  // namespace
}  // namespace dkv::test
