// Roles on any host: a whole dkv cluster spread over network namespaces (tests/netns.h), one
// "host" per process, each with its own address on a virtual switch: ZooKeeper, two dkv-servers,
// three dkv-data nodes and the dkv CLI. Nothing of it can reach another role through loopback, so
// the cluster working proves every role listens on, advertises and dials real addresses.
//
// The same test then cuts the master off from ZooKeeper (a blackhole route in the master's
// namespace; clients and data nodes still reach it) and checks the fencing of DESIGN.md: the
// cut-off master stops serving before the standby takes over, the new master serves every write
// acknowledged since the partition, the data nodes refuse the old epoch, and once healed the old
// master (its session expired) rejoins as the one standby.
//
// A second test (issue 12, "one data node is cut off") runs chains of 2 (--replication-factor 2)
// under a recorded random workload (tests/kv_workload.h), takes one data node's eth0 down (a
// partition: its peers see silence, no RST) and checks that writes to its keys resume once the
// master splices it out (printing how long they stalled), that the chains grow back over the
// survivors, and that after healing the node, its session expired, rejoins only by copy: reads
// made straight at it with the master's current fence, the workload's and final reads from the
// quiet cluster at every node, all in one history that must be linearizable per key.
//
// The test process stays in the root namespace: it runs the daemons and the CLI with
// `ip netns exec`, and talks Thrift or ZooKeeper's four-letter words from a thread that joined
// the client's namespace (RunInNamespace). Needs root; skipped otherwise.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/coord/cluster_paths.h"
#include "common/coord/coordinator.h"
#include "common/host_port.h"
#include "common/rpc/metadata_codec.h"
#include "common/rpc/rpc_connection.h"
#include "common/slot.h"
#include "common/slot_map.h"
#include "dkv/client.h"
#include "gen-cpp/DataNode.h"
#include "gen-cpp/Dkv.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/test_util.h"
#include "tests/history.h"
#include "tests/history_recorder.h"
#include "tests/kv_workload.h"
#include "tests/linearizability.h"
#include "tests/mini_cluster.h"
#include "tests/netns.h"

namespace dkv::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kCluster[] = "netns";
// Every host has a network stack of its own, so fixed ports cannot clash with anything.
constexpr int kZkPort = 2181;
constexpr int kServerPort = 7400;
constexpr int kDataPort = 7500;
constexpr int kSlots = 1024;  // dkv-server's default

struct HostSpec {
  const char* name;
  const char* address;
};
constexpr HostSpec kHosts[] = {
    {"zk", "10.213.0.2"},  {"s1", "10.213.0.11"}, {"s2", "10.213.0.12"},  {"d1", "10.213.0.21"},
    {"d2", "10.213.0.22"}, {"d3", "10.213.0.23"}, {"cli", "10.213.0.30"},
};
const std::vector<std::string> kServers = {"s1", "s2"};
const std::vector<std::string> kDataNodes = {"d1", "d2", "d3"};

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// What `dkv status --json` says (the stable fields of docs/client.md). The fields are read in
// their documented order; an object may carry more fields after them (compatible extensions).
struct ClusterView {
  struct Member {
    std::string id;
    std::string address;
  };
  struct DataNode {
    std::string id;
    std::string address;
    int slots = 0;
    int64_t keys = 0;
  };
  std::optional<Member> master;
  int64_t epoch = 0;
  std::vector<Member> standbys;
  std::vector<DataNode> data_nodes;
  std::string json;
};

ClusterView ParseStatus(const std::string& json) {
  ClusterView view;
  view.json = json;
  std::smatch m;
  if (std::regex_search(json, m,
                        std::regex(R"re("master":\{"id":"([^"]*)","address":"([^"]*)",)re"
                                   R"re("epoch":([0-9]+)[,}])re"))) {
    view.master = ClusterView::Member{m[1], m[2]};
    view.epoch = std::stoll(m[3]);
  }
  if (std::regex_search(json, m, std::regex(R"re("standbys":\[([^\]]*)\])re"))) {
    const std::string list = m[1];
    std::regex member(R"re(\{"id":"([^"]*)","address":"([^"]*)"[,}])re");
    for (auto it = std::sregex_iterator(list.begin(), list.end(), member);
         it != std::sregex_iterator(); ++it) {
      view.standbys.push_back({(*it)[1], (*it)[2]});
    }
  }
  std::regex node(
      R"re(\{"id":"([^"]*)","address":"([^"]*)","slots":([0-9]+),"keys":(-?[0-9]+)[,}])re");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), node); it != std::sregex_iterator();
       ++it) {
    view.data_nodes.push_back({(*it)[1], (*it)[2], std::stoi((*it)[3]), std::stoll((*it)[4])});
  }
  return view;
}

// Sends a ZooKeeper four-letter word ("ruok") and returns the reply; "" on any failure.
std::string FourLetterWord(const std::string& ip, int port, const std::string& word) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) == 1 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::write(fd, word.data(), word.size()) == static_cast<ssize_t>(word.size())) {
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

using DkvConnection = rpc::RpcConnection<rpc::DkvClient>;
using DataConnection = rpc::RpcConnection<rpc::DataNodeClient>;

rpc::RpcOptions ShortRpcOptions() {
  rpc::RpcOptions options;
  options.connect_timeout = milliseconds(1000);
  options.call_timeout = milliseconds(1000);
  return options;
}

// The call got no answer (connect or transport failure, timeout), as opposed to a server's reply.
bool IsTransportFailure(const Status& s) {
  return s.IsUnavailable() && s.message().rfind("connection to ", 0) == 0;
}

Status Put(DkvConnection& conn, const std::string& key, const std::string& value) {
  return conn.Call([&](rpc::DkvClient& c) { c.put(key, value); });
}

// The value stored under `key` through this server, or the call's error.
Result<std::optional<std::string>> Get(DkvConnection& conn, const std::string& key) {
  rpc::GetReply reply;
  DKV_RETURN_NOT_OK(conn.Call([&](rpc::DkvClient& c) { c.get(reply, key); }));
  if (!reply.found) return std::optional<std::string>();
  return std::optional<std::string>(reply.value);
}

class NetnsItest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string reason = VirtualNetwork::UnavailableReason();
    if (!reason.empty()) GTEST_SKIP() << "skipping the network namespace test: " << reason;
    VirtualNetwork::RemoveStale();
    auto dir = TempDir::Create("netns");
    DKV_ASSERT_OK(dir);
    dir_ = std::make_unique<TempDir>(std::move(dir).value());
    auto net = VirtualNetwork::Create();
    DKV_ASSERT_OK(net);
    net_ = std::move(net).value();
    for (const HostSpec& host : kHosts) DKV_ASSERT_OK(net_->AddHost(host.name, host.address));
    zookeeper_ = Address("zk") + ":" + std::to_string(kZkPort);
  }

  // Runs on every exit path of the test, failed assertions included: processes first (they keep
  // a namespace alive), then the namespaces with their veth pairs and the bridge.
  void TearDown() override {
    if (HasFailure()) PrintLogs();
    processes_.clear();
    if (net_ != nullptr) DKV_EXPECT_OK(net_->Destroy());
  }

  const std::string& Address(const std::string& host) const { return net_->Address(host); }

  // Starts `argv` inside `host`, its output in <dir>/<host>.log.
  void StartIn(const std::string& host, const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& env = {}) {
    SubprocessOptions options;
    options.argv = net_->Exec(host, argv);
    options.env = env;
    options.log_path = dir_->Sub(host + ".log");
    auto process = Subprocess::Start(std::move(options));
    DKV_ASSERT_OK(process);
    processes_[host] = std::move(process).value();
  }

  // Starts ZooKeeper, the servers (with `server_flags` too) and the data nodes.
  void StartCluster(const std::vector<std::string>& server_flags = {}) {
    ASSERT_NO_FATAL_FAILURE(StartIn(
        "zk",
        {SourcePath("scripts/zk-server"), dir_->Sub("zookeeper"), std::to_string(kZkPort), "100"},
        {{"DKV_ZK_ADDRESS", Address("zk")}}));
    // Ready when ZooKeeper answers from the client's host: that also proves the switch forwards.
    Status ready;
    DKV_ASSERT_OK(RunInNamespace(net_->Namespace("cli"), [&] {
      ready = WaitFor([&] { return FourLetterWord(Address("zk"), kZkPort, "ruok") == "imok"; },
                      milliseconds(30000), milliseconds(50), "ZooKeeper to answer ruok");
    }));
    DKV_ASSERT_OK(ready);
    const std::vector<std::string> common = {
        "--zookeeper", zookeeper_, "--cluster", kCluster, "--session-timeout-ms", "1000"};
    for (const std::string& s : kServers) {
      std::vector<std::string> argv = {BinaryPath("dkv-server")};
      argv.insert(argv.end(), common.begin(), common.end());
      argv.insert(argv.end(), {"--listen", Address(s) + ":" + std::to_string(kServerPort)});
      argv.insert(argv.end(), server_flags.begin(), server_flags.end());
      ASSERT_NO_FATAL_FAILURE(StartIn(s, argv));
    }
    for (const std::string& d : kDataNodes) {
      std::vector<std::string> argv = {BinaryPath("dkv-data")};
      argv.insert(argv.end(), common.begin(), common.end());
      argv.insert(argv.end(),
                  {"--id", d, "--listen", Address(d) + ":" + std::to_string(kDataPort)});
      ASSERT_NO_FATAL_FAILURE(StartIn(d, argv));
    }
  }

  // Runs the dkv CLI on the client's host.
  CommandResult Cli(const std::vector<std::string>& args,
                    milliseconds timeout = milliseconds(10000)) {
    std::vector<std::string> argv = {BinaryPath("dkv"),
                                     "--zookeeper",
                                     zookeeper_,
                                     "--cluster",
                                     kCluster,
                                     "--timeout-ms",
                                     std::to_string(timeout.count())};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(net_->Exec("cli", argv), "", 2 * timeout + milliseconds(5000));
    if (!r.ok()) {
      CommandResult failed;
      failed.err = r.status().ToString();
      return failed;
    }
    return *r;
  }

  // `dkv status --json` from the client's host; nullopt when the command fails. The command's
  // result stays in last_status_, for the message of a wait that timed out.
  std::optional<ClusterView> ReadStatus() {
    last_status_ = Cli({"status", "--json"}, milliseconds(2000));
    if (last_status_.exit_code != 0) return std::nullopt;
    return ParseStatus(last_status_.out);
  }

  // The server host whose advertised address is `address`, or "".
  std::string ServerHost(const std::string& address) const {
    for (const std::string& s : kServers) {
      if (address == Address(s) + ":" + std::to_string(kServerPort)) return s;
    }
    return "";
  }

  // Every TCP listener of `host` is on its own address, none on loopback.
  void ExpectListensOnlyOnItsAddress(const std::string& host, int port) {
    auto r = RunCommand(net_->Exec(host, {"ss", "-ltnH"}), "", milliseconds(10000));
    DKV_ASSERT_OK(r);
    ASSERT_EQ(0, r->exit_code) << r->ToString();
    std::istringstream lines(r->out);
    std::string line;
    bool found = false;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string state, recv_q, send_q, local;
      fields >> state >> recv_q >> send_q >> local;
      // A Java listener on an IPv4 address shows as [::ffff:10.213.0.2]:2181.
      for (const std::string_view mapped : {"[::ffff:", "]"}) {
        const size_t at = local.find(mapped);
        if (at != std::string::npos) local.erase(at, mapped.size());
      }
      EXPECT_EQ(std::string::npos, local.find("127.")) << host << " listens on loopback: " << line;
      EXPECT_EQ(std::string::npos, local.find("[::1]")) << host << " listens on loopback: " << line;
      if (local == Address(host) + ":" + std::to_string(port)) found = true;
    }
    EXPECT_TRUE(found) << host << " does not listen on " << Address(host) << ":" << port << ":\n"
                       << r->out;
  }

  void PrintLogs() {
    for (const auto& [host, process] : processes_) {
      std::cerr << "---- " << host << " (" << process->log_path() << ") ----\n"
                << ReadFileTail(process->log_path(), 3000) << "\n";
    }
    if (dir_ != nullptr) {
      std::cerr << "---- zookeeper.log ----\n"
                << ReadFileTail(dir_->Sub("zookeeper/zookeeper.log"), 2000) << "\n";
    }
  }

  std::unique_ptr<TempDir> dir_;
  // Declared before the processes so that, on any exit path, the processes go first.
  std::unique_ptr<VirtualNetwork> net_;
  std::map<std::string, std::unique_ptr<Subprocess>> processes_;
  std::string zookeeper_;
  CommandResult last_status_;
};

TEST_F(NetnsItest, ServesAcrossHostsAndFencesMasterCutOffFromZooKeeper) {
  const auto test_start = Clock::now();
  ASSERT_NO_FATAL_FAILURE(StartCluster());

  // ---- The cluster forms across hosts: a master, a standby, three data nodes sharing the slots.
  std::optional<ClusterView> view;
  Status formed = WaitFor(
      [&] {
        view = ReadStatus();
        if (!view || !view->master || view->standbys.size() != 1 ||
            view->data_nodes.size() != kDataNodes.size()) {
          return false;
        }
        // A data node that registers late joins a map already spread over the others: wait
        // for the moves to it to finish, not only for every slot to have an owner.
        int slots = 0, fewest = kSlots, most = 0;
        for (const auto& d : view->data_nodes) {
          slots += d.slots;
          fewest = std::min(fewest, d.slots);
          most = std::max(most, d.slots);
        }
        return slots == kSlots && most - fewest <= 1 &&
               view->json.find(R"("moves":[])") != std::string::npos;
      },
      milliseconds(30000), milliseconds(100), "a master, a standby and 3 balanced data nodes");
  ASSERT_TRUE(formed.ok()) << formed.ToString() << "\nlast " << last_status_.ToString();
  std::cout << "[ netns    ] cluster formed " << Since(test_start).count() << " ms after start\n";

  // Everything advertised is a host's own address, never loopback.
  const std::string old_master = ServerHost(view->master->address);
  ASSERT_FALSE(old_master.empty()) << view->json;
  const std::string standby = old_master == "s1" ? "s2" : "s1";
  EXPECT_EQ(Address(standby) + ":" + std::to_string(kServerPort), view->standbys[0].address)
      << view->json;
  for (const auto& d : view->data_nodes) {
    EXPECT_EQ(Address(d.id) + ":" + std::to_string(kDataPort), d.address) << view->json;
    EXPECT_NEAR(kSlots / 3.0, d.slots, 1.0) << view->json;
  }
  ASSERT_NO_FATAL_FAILURE(ExpectListensOnlyOnItsAddress("zk", kZkPort));
  for (const std::string& s : kServers)
    ASSERT_NO_FATAL_FAILURE(ExpectListensOnlyOnItsAddress(s, kServerPort));
  for (const std::string& d : kDataNodes)
    ASSERT_NO_FATAL_FAILURE(ExpectListensOnlyOnItsAddress(d, kDataPort));

  // Writes and reads from the client's host go through the master to the data nodes.
  constexpr int kKeys = 6;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "before-" + std::to_string(i);
    CommandResult set = Cli({"set", key, "v-" + key});
    ASSERT_EQ(0, set.exit_code) << set.ToString();
  }
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "before-" + std::to_string(i);
    CommandResult get = Cli({"get", key});
    ASSERT_EQ(0, get.exit_code) << get.ToString();
    EXPECT_EQ("v-" + key + "\n", get.out);
  }
  view = ReadStatus();
  ASSERT_TRUE(view.has_value());
  int64_t stored = 0;
  for (const auto& d : view->data_nodes) stored += d.keys;
  EXPECT_EQ(kKeys, stored) << view->json;

  const ClusterView::Member old_member = *view->master;
  const int64_t old_epoch = view->epoch;
  const std::string zk_route = Address("zk") + "/32";

  // ---- Partition: the master's host loses its route to ZooKeeper (and nothing else).
  struct Probe {
    std::optional<milliseconds> old_stopped;  // first refusal by the cut-off master
    Status old_refusal;
    std::optional<milliseconds> new_served;  // first write acknowledged by the standby
    std::vector<std::string> acked;          // every write acknowledged since the partition
    int old_acked_after_stop = 0;
    int old_refusals = 0;
    int old_no_answer = 0;                  // calls that timed out (a loaded machine)
    std::vector<std::string> odd_refusals;  // cut-off master errors other than UNAVAILABLE
  } probe;
  CommandResult failover_set;
  std::vector<std::string> unreadable;
  std::map<std::string, Status> stale_calls;  // data node -> reply to a call with the old epoch
  Status partition, partition_wait;
  Clock::time_point partitioned;
  DKV_ASSERT_OK(RunInNamespace(net_->Namespace("cli"), [&] {
    DkvConnection old_conn(HostPort{Address(old_master), kServerPort}, ShortRpcOptions());
    DkvConnection new_conn(HostPort{Address(standby), kServerPort}, ShortRpcOptions());
    // Connected before the cut, so no connect time blurs the measurements.
    DKV_EXPECT_OK(Put(old_conn, "warm-up", "1"));
    EXPECT_TRUE(Put(new_conn, "warm-up", "1").IsNotMaster());

    partition = net_->Ip(old_master, {"route", "add", "blackhole", zk_route});
    partitioned = Clock::now();
    if (!partition.ok()) return;
    // Started once the cut-off master refuses: a client that only knows ZooKeeper must find the
    // new master within its deadline.
    std::thread cli_writer;

    int i = 0;
    partition_wait = WaitFor(
        [&] {
          const std::string old_key = "old-" + std::to_string(i);
          const std::string new_key = "new-" + std::to_string(i);
          ++i;
          Status s = Put(old_conn, old_key, "v-" + old_key);
          if (s.ok()) {
            probe.acked.push_back(old_key);
            if (probe.old_stopped) ++probe.old_acked_after_stop;
          } else if (IsTransportFailure(s)) {
            ++probe.old_no_answer;  // neither an acknowledgement nor a refusal
          } else {
            ++probe.old_refusals;
            if (!probe.old_stopped) {
              probe.old_stopped = Since(partitioned);
              probe.old_refusal = s;
              cli_writer = std::thread([&] {
                failover_set = Cli({"set", "during-failover", "v"});
              });
            }
            if (!s.IsUnavailable()) probe.odd_refusals.push_back(s.ToString());
          }
          s = Put(new_conn, new_key, "v-" + new_key);
          if (s.ok()) {
            probe.acked.push_back(new_key);
            if (!probe.new_served) probe.new_served = Since(partitioned);
          }
          // Keep probing the cut-off master a while after the new one serves.
          return probe.old_stopped && probe.new_served &&
                 Since(partitioned) > *probe.new_served + milliseconds(500);
        },
        milliseconds(20000), milliseconds(10), "the standby to serve after the partition");
    if (cli_writer.joinable()) cli_writer.join();

    // Every write acknowledged since the partition reads back through the new master.
    for (const std::string& key : probe.acked) {
      auto got = Get(new_conn, key);
      if (!got.ok() || *got != std::optional<std::string>("v-" + key)) unreadable.push_back(key);
    }

    // The data nodes have seen the new epoch and refuse the old one.
    for (const std::string& d : kDataNodes) {
      DataConnection data(HostPort{Address(d), kDataPort}, ShortRpcOptions());
      rpc::DataNodeStats stats;
      Status seen = WaitFor(
          [&] {
            return data.Call([&](rpc::DataNodeClient& c) { c.stats(stats); }).ok() &&
                   stats.epoch > old_epoch;
          },
          milliseconds(5000), milliseconds(20), d + " to see the new epoch");
      if (!seen.ok()) {
        stale_calls[d] = seen;
        continue;
      }
      rpc::Fence fence;
      fence.epoch = old_epoch;
      fence.map_version = stats.map_version;
      std::vector<rpc::Op> ops(1);
      ops[0].code = rpc::OpCode::SET;
      ops[0].key = "fenced-" + d;
      ops[0].__set_value("written with an old epoch");
      std::vector<rpc::Reply> replies;
      stale_calls[d] = data.Call([&](rpc::DataNodeClient& c) { c.execute(replies, fence, ops); });
    }
  }));
  DKV_ASSERT_OK(partition);
  DKV_ASSERT_OK(partition_wait);

  ASSERT_TRUE(probe.old_stopped.has_value());
  ASSERT_TRUE(probe.new_served.has_value());
  std::cout << "[ netns    ] partition: cut-off master stopped serving after "
            << probe.old_stopped->count() << " ms; new master served after "
            << probe.new_served->count() << " ms; " << probe.acked.size()
            << " writes acknowledged; a CLI set started when the master stopped took "
            << failover_set.elapsed.count() << " ms; " << probe.old_no_answer
            << " calls to the cut-off master unanswered\n";
  RecordProperty("cut_off_master_stopped_ms", static_cast<int>(probe.old_stopped->count()));
  RecordProperty("new_master_served_ms", static_cast<int>(probe.new_served->count()));
  // The cut-off master stops before the standby can be elected, refuses with UNAVAILABLE, and
  // never acknowledges another write.
  EXPECT_LT(*probe.old_stopped, *probe.new_served);
  EXPECT_TRUE(probe.old_refusal.IsUnavailable()) << probe.old_refusal.ToString();
  EXPECT_NE(std::string::npos, probe.old_refusal.message().find("not serving"))
      << "not the master's own refusal: " << probe.old_refusal.ToString();
  EXPECT_EQ(0, probe.old_acked_after_stop);
  EXPECT_TRUE(probe.odd_refusals.empty()) << probe.odd_refusals.front();
  EXPECT_GT(probe.old_refusals, 0);
  EXPECT_TRUE(unreadable.empty()) << unreadable.size() << " acknowledged writes unreadable, e.g. "
                                  << unreadable.front();
  EXPECT_EQ(0, failover_set.exit_code) << failover_set.ToString();
  for (const std::string& d : kDataNodes) {
    EXPECT_TRUE(stale_calls[d].IsStaleEpoch())
        << d << " answered a call with epoch " << old_epoch << ": " << stale_calls[d].ToString();
  }

  view = ReadStatus();
  ASSERT_TRUE(view.has_value() && view->master.has_value());
  EXPECT_EQ(Address(standby) + ":" + std::to_string(kServerPort), view->master->address)
      << view->json;
  EXPECT_GT(view->epoch, old_epoch) << view->json;
  const ClusterView::Member new_member = *view->master;
  CommandResult get = Cli({"get", "during-failover"});
  EXPECT_EQ("v\n", get.out) << get.ToString();
  for (const std::string& d : kDataNodes) {
    get = Cli({"get", "fenced-" + d});
    EXPECT_EQ(1, get.exit_code) << "a write with the old epoch was stored: " << get.ToString();
  }

  // ---- Heal: the old master's session has expired; it registers again and stands by.
  DKV_ASSERT_OK(net_->Ip(old_master, {"route", "del", "blackhole", zk_route}));
  const auto healed = Clock::now();
  Status rejoined_wait = WaitFor(
      [&] {
        view = ReadStatus();
        return view && view->master && view->master->id == new_member.id &&
               view->standbys.size() == 1 && view->standbys[0].address == old_member.address &&
               view->standbys[0].id != old_member.id;
      },
      milliseconds(20000), milliseconds(100), "the old master to rejoin as a standby");
  ASSERT_TRUE(rejoined_wait.ok()) << rejoined_wait.ToString() << "\nlast "
                                  << last_status_.ToString();
  const milliseconds rejoined = Since(healed);
  std::cout << "[ netns    ] healed: old master rejoined as standby " << view->standbys[0].id
            << " after " << rejoined.count() << " ms\n";
  RecordProperty("old_master_rejoined_ms", static_cast<int>(rejoined.count()));

  // Exactly one master: the new one serves, the old one points at it.
  Status old_reply, new_reply;
  DKV_ASSERT_OK(RunInNamespace(net_->Namespace("cli"), [&] {
    DkvConnection old_conn(HostPort{Address(old_master), kServerPort}, ShortRpcOptions());
    DkvConnection new_conn(HostPort{Address(standby), kServerPort}, ShortRpcOptions());
    old_reply = Put(old_conn, "after-heal", "old");
    new_reply = Put(new_conn, "after-heal", "new");
  }));
  EXPECT_TRUE(old_reply.IsNotMaster()) << old_reply.ToString();
  EXPECT_NE(std::string::npos, old_reply.message().find(new_member.address))
      << old_reply.ToString();
  DKV_EXPECT_OK(new_reply);
  get = Cli({"get", "after-heal"});
  EXPECT_EQ("new\n", get.out) << get.ToString();
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "before-" + std::to_string(i);
    get = Cli({"get", key});
    EXPECT_EQ("v-" + key + "\n", get.out) << get.ToString();
  }
  std::cout << "[ netns    ] whole test " << Since(test_start).count() << " ms\n";
}

// ---- A data node cut off from everything (issue 12): spliced out, healed, rejoins by copy.

constexpr int kReplicationFactor = 2;
constexpr int kWorkloadClients = 4;
// dkv-server's probing of data nodes (DataNodeProberOptions): 3 failed probes in a row, each
// 100 ms apart with a 300 ms timeout, make a node unreachable.
constexpr milliseconds kProberDetection{3 * (100 + 300)};
// dkv-server --data-timeout-ms (passed explicitly): a call to the cut-off node ends after this.
constexpr milliseconds kDataCallTimeout{5000};
// Operations completed ok that count as "the workload makes progress".
constexpr int64_t kProgressOps = 300;

// The slot map as the slotmap znode holds it.
Result<SlotMap> ReadSlotMap(coord::Coordinator& coordinator) {
  DKV_ASSIGN_OR_RETURN(coord::NodeData node,
                       coordinator.Get(coord::ClusterPaths(kCluster).slotmap()));
  SlotMap map;
  DKV_RETURN_NOT_OK(rpc::DecodeSlotMap(node.data, &map));
  return map;
}

// "" when every chain of `map` has `length` members and exactly the `nodes` hold memberships,
// spread within 2 of each other if `balanced` (move_planner.h may leave one node a membership over
// its share); else what is missing.
std::string ChainsIncomplete(const SlotMap& map, size_t length, const std::set<std::string>& nodes,
                             bool balanced) {
  const std::string version = "slot map version " + std::to_string(map.version());
  if (map.slot_count() != kSlots) return version + " has " + std::to_string(map.slot_count());
  for (Slot slot = 0; slot < map.slot_count(); ++slot) {
    if (map.Chain(slot).size() != length) {
      return version + ": slot " + std::to_string(slot) + " has a chain of " +
             std::to_string(map.Chain(slot).size());
    }
  }
  std::set<std::string> members;
  int32_t lo = kSlots, hi = 0;
  for (const auto& [node, count] : map.MemberCounts()) {
    members.insert(node);
    lo = std::min(lo, count);
    hi = std::max(hi, count);
  }
  if (members != nodes) return version + ": memberships held by other nodes than expected";
  if (balanced && hi - lo > 2) {
    return version + ": memberships " + std::to_string(lo) + ".." + std::to_string(hi) + " each";
  }
  return "";
}

// The longest stretch of (from_ns, to_ns] in which no set of `key` completed ok.
milliseconds LongestWriteGap(const History& history, const std::string& key, int64_t from_ns,
                             int64_t to_ns) {
  std::vector<int64_t> acked;
  for (const Operation& op : history) {
    if (op.key == key && op.kind == OpKind::kSet && op.outcome == OpOutcome::kOk &&
        op.completed_ns > from_ns && op.completed_ns <= to_ns) {
      acked.push_back(op.completed_ns);
    }
  }
  std::sort(acked.begin(), acked.end());
  int64_t previous = from_ns, gap = 0;
  for (int64_t t : acked) {
    gap = std::max(gap, t - previous);
    previous = t;
  }
  gap = std::max(gap, to_ns - previous);
  return milliseconds(gap / 1000000);
}

milliseconds NanosToMillis(int64_t ns) { return milliseconds(ns / 1000000); }

// "d1 682, d2 683, ..." (memberships) and heads.
std::string MembershipCounts(const SlotMap& map) {
  std::string out;
  const std::map<std::string, int32_t> heads = map.Counts();
  for (const auto& [node, count] : map.MemberCounts()) {
    auto head = heads.find(node);
    out += (out.empty() ? "" : ", ") + node + " " + std::to_string(count) + " (head of " +
           std::to_string(head == heads.end() ? 0 : head->second) + ")";
  }
  return out;
}

// Everything the scenario measured, for the checks and the figures.
struct CutOffReport {
  std::string victim;
  std::map<std::string, std::string> roles;  // affected key -> "head" / "tail" of its chain
  std::vector<std::string> keys;
  int64_t cut_ns = 0, spliced_ns = 0, reextended_ns = 0, healed_ns = 0, rejoined_ns = 0;
  int64_t workload_ok = 0, workload_failed = 0, workload_unknown = 0;
  // Direct reads at the healed node with the current fence.
  // direct_served is read by the test thread while the direct reader counts.
  std::atomic<int64_t> direct_served{0};
  int64_t direct_refused = 0, direct_unanswered = 0;
  std::optional<int64_t> first_served_ns;  // the healed node's first direct read served
  int64_t first_served_version = 0;
  std::vector<std::string> direct_errors;  // refusals other than WRONG_NODE / MOVING
};

class NetnsCutOffItest : public NetnsItest {
 protected:
  // One get of `key` straight at data node `node`, fenced as the master would fence it under
  // (epoch, map_version), recorded as client `client_id`. A refusal (not a member of the slot's
  // chain under that map) is kFailed: a get that surely returned nothing; no answer is kUnknown.
  void DirectGet(DataConnection& conn, const std::string& key, int64_t epoch, int64_t map_version,
                 int client_id, HistoryRecorder* recorder, CutOffReport* report,
                 bool count = true) {
    Operation op;
    op.client = client_id;
    op.kind = OpKind::kGet;
    op.key = key;
    const HistoryRecorder::OpId id = recorder->Invoke(op);
    rpc::Fence fence;
    fence.epoch = epoch;
    fence.map_version = map_version;
    std::vector<rpc::Op> ops(1);
    ops[0].code = rpc::OpCode::GET;
    ops[0].key = key;
    std::vector<rpc::Reply> replies;
    Status s = conn.Call([&](rpc::DataNodeClient& c) { c.execute(replies, fence, ops); });
    if (s.ok() && replies.size() == 1 && !replies[0].__isset.error &&
        (replies[0].type == rpc::ReplyType::NIL || replies[0].type == rpc::ReplyType::BULK)) {
      OpOutput output;
      if (replies[0].type == rpc::ReplyType::BULK) output.read = replies[0].str;
      recorder->Complete(id, OpOutcome::kOk, std::move(output));
      if (count) {
        ++report->direct_served;
        if (!report->first_served_ns) {
          report->first_served_ns = NowNanos();
          report->first_served_version = map_version;
        }
      }
      return;
    }
    const bool unanswered = IsTransportFailure(s);
    recorder->Complete(id, unanswered ? OpOutcome::kUnknown : OpOutcome::kFailed);
    if (!count) return;
    if (unanswered) {
      ++report->direct_unanswered;
      return;
    }
    ++report->direct_refused;
    const bool expected = s.IsWrongNode() || s.IsUnavailable() ||
                          (s.ok() && replies.size() == 1 && replies[0].__isset.error &&
                           (replies[0].error == rpc::ErrorCode::WRONG_NODE ||
                            replies[0].error == rpc::ErrorCode::MOVING));
    if (!expected && report->direct_errors.size() < 5) {
      report->direct_errors.push_back(
          s.ok() ? "reply type " + std::to_string(static_cast<int>(replies.at(0).type)) + " " +
                       replies.at(0).str
                 : s.ToString());
    }
  }

  // Waits until every chain has `length` members of exactly `nodes` (spread evenly if
  // `balanced`) and the master routes by that map with no move in progress, in two polls in a row
  // (between two batches of moves there may be none in progress); returns the map.
  Result<SlotMap> WaitForChains(coord::Coordinator& coordinator, client::Client& client,
                                size_t length, const std::set<std::string>& nodes, bool balanced,
                                milliseconds timeout, const std::string& what) {
    SlotMap map;
    std::string last;
    int64_t settled_version = -1;
    Status s = WaitFor(
        [&] {
          auto read = ReadSlotMap(coordinator);
          if (!read.ok()) {
            last = read.status().ToString();
            return false;
          }
          map = std::move(read).value();
          last = ChainsIncomplete(map, length, nodes, balanced);
          if (!last.empty()) return false;
          auto status = client.GetStatus(milliseconds(1000));
          if (!status.ok()) {
            last = "status: " + status.status().ToString();
            return false;
          }
          if (status->slot_map_version != map.version() || !status->moves.empty()) {
            last = "master routes by version " + std::to_string(status->slot_map_version) +
                   " (ZooKeeper: " + std::to_string(map.version()) + "), " +
                   std::to_string(status->moves.size()) + " moves";
            settled_version = -1;
            return false;
          }
          const bool settled = settled_version == map.version();
          settled_version = map.version();
          return settled;
        },
        timeout, milliseconds(100), what);
    if (!s.ok()) return Status(s.code(), s.message() + " (last: " + last + ")");
    return map;
  }

  // The whole scenario, on a thread of the client's host: every socket and thread it opens (the
  // clients', the workload's, ZooKeeper's) lives there.
  void CutOffDataNode(HistoryRecorder* recorder, CutOffReport* report) {
    coord::ZooKeeperOptions zk;
    zk.connect_string = zookeeper_;
    zk.session_timeout = milliseconds(10000);
    zk.connect_timeout = milliseconds(10000);
    auto coordinator = coord::ConnectZooKeeper(zk);
    DKV_ASSERT_OK(coordinator);
    client::ClientOptions options;
    options.zookeeper = zookeeper_;
    options.cluster = kCluster;
    options.timeout = milliseconds(5000);
    std::vector<std::unique_ptr<client::Client>> owned;
    std::vector<client::Client*> clients;
    for (int i = 0; i <= kWorkloadClients; ++i) {  // the last one checks and reads at the end
      auto c = client::Client::Connect(options);
      DKV_ASSERT_OK(c);
      owned.push_back(std::move(c).value());
      if (i < kWorkloadClients) clients.push_back(owned.back().get());
    }
    client::Client& checker = *owned.back();
    const std::set<std::string> all(kDataNodes.begin(), kDataNodes.end());
    auto formed = WaitForChains(**coordinator, checker, kReplicationFactor, all, /*balanced=*/true,
                                milliseconds(30000), "chains of 2 over 3 data nodes");
    DKV_ASSERT_OK(formed);
    std::cout << "[ netns    ] chains of 2 over 3 data nodes at slot map version "
              << formed->version() << std::endl;
    auto status = checker.GetStatus();
    DKV_ASSERT_OK(status);
    ASSERT_TRUE(status->master.has_value());
    const int64_t epoch = status->master->epoch;

    // The client does not retry exactly once (chaos_itest.cc): a single writer per key, no incr,
    // del's answers unchecked. Every client still reads every key.
    KvWorkloadOptions workload_options;
    workload_options.incr = false;
    workload_options.check_del_answers = false;
    workload_options.single_writer_per_key = true;
    KvWorkload workload(clients, recorder, workload_options);
    report->keys = workload.keys();
    // The victim: a node heading some key's chain and trailing another's, if one does.
    int best = -1;
    for (const std::string& d : kDataNodes) {
      std::map<std::string, std::string> roles;
      for (const std::string& key : workload.keys()) {
        const Slot slot = SlotOf(key, formed->slot_count());
        if (formed->Owner(slot) == d) roles[key] = "head";
        if (formed->Tail(slot) == d) roles[key] = "tail";
      }
      int heads = 0;
      for (const auto& [key, role] : roles) heads += role == "head";
      const int tails = static_cast<int>(roles.size()) - heads;
      const int score = static_cast<int>(roles.size()) + (heads > 0 && tails > 0 ? 100 : 0);
      if (score > best) {
        best = score;
        report->victim = d;
        report->roles = roles;
      }
    }
    const std::string victim = report->victim;
    std::set<std::string> survivors = all;
    survivors.erase(victim);
    DKV_ASSERT_OK(workload.WaitForMoreOk(kProgressOps));

    // ---- Partition: the victim's eth0 goes down, so its peers see silence (no RST, no ICMP)
    // and it reaches nobody, ZooKeeper included.
    DKV_ASSERT_OK(net_->Ip(victim, {"link", "set", "eth0", "down"}));
    report->cut_ns = NowNanos();
    std::cout << "[ netns    ] cut off " << victim << std::endl;
    Status spliced = WaitFor(
        [&] {
          auto map = ReadSlotMap(**coordinator);
          return map.ok() && map->MemberSlotsOf(victim).empty();
        },
        milliseconds(15000), milliseconds(10), victim + " to be spliced out of every chain");
    DKV_ASSERT_OK(spliced);
    report->spliced_ns = NowNanos();
    std::cout << "[ netns    ] " << victim << " spliced out after "
              << NanosToMillis(report->spliced_ns - report->cut_ns).count() << " ms" << std::endl;
    // Writes to every key it was in succeed again.
    Status resumed = WaitFor(
        [&] {
          std::set<std::string> pending;
          for (const auto& [key, role] : report->roles) pending.insert(key);
          for (const Operation& op : recorder->Snapshot()) {
            if (op.kind == OpKind::kSet && op.outcome == OpOutcome::kOk &&
                op.invoked_ns > report->spliced_ns) {
              pending.erase(op.key);
            }
          }
          return pending.empty();
        },
        milliseconds(20000), milliseconds(50), "writes to every key of the cut-off node");
    DKV_EXPECT_OK(resumed);
    // The chains grow back to 2 over the survivors, by copies, while the victim is still cut off.
    auto reextended =
        WaitForChains(**coordinator, checker, kReplicationFactor, survivors, /*balanced=*/true,
                      milliseconds(30000), "chains of 2 over the survivors");
    DKV_ASSERT_OK(reextended);
    report->reextended_ns = NowNanos();
    std::cout << "[ netns    ] chains of 2 over the survivors at slot map version "
              << reextended->version() << ", "
              << NanosToMillis(report->reextended_ns - report->cut_ns).count()
              << " ms after the cut" << std::endl;
    DKV_ASSERT_OK(workload.WaitForMoreOk(kProgressOps));

    // ---- Heal. The victim's session has expired: it registers again, sees a map without it,
    // and may be given memberships only by copy. From now on, read at the victim directly with
    // the fence the master would use: it must never answer what it held before the cut.
    DKV_ASSERT_OK(net_->Ip(victim, {"link", "set", "eth0", "up"}));
    report->healed_ns = NowNanos();
    std::cout << "[ netns    ] healed " << victim << std::endl;
    std::atomic<bool> stop_direct{false};
    std::thread direct([&] {
      DataConnection conn(HostPort{Address(victim), kDataPort}, ShortRpcOptions());
      while (!stop_direct.load()) {
        auto map = ReadSlotMap(**coordinator);
        if (!map.ok()) {
          std::this_thread::sleep_for(milliseconds(20));  // ZooKeeper busy: try again shortly
          continue;
        }
        for (const std::string& key : report->keys) {
          DirectGet(conn, key, epoch, map->version(), kWorkloadClients + 1, recorder, report);
        }
      }
    });
    // Chains of 2 with the victim in some of them. Not necessarily spread evenly: see the
    // membership counts printed.
    auto rejoined = WaitForChains(**coordinator, checker, kReplicationFactor, all,
                                  /*balanced=*/false, milliseconds(30000),
                                  "chains of 2 with " + victim + " back in some");
    if (rejoined.ok()) {
      report->rejoined_ns = NowNanos();
      std::cout << "[ netns    ] chains of 2 with " << victim << " back at slot map version "
                << rejoined->version() << ", "
                << NanosToMillis(report->rejoined_ns - report->healed_ns).count()
                << " ms after healing; memberships " << MembershipCounts(*rejoined) << std::endl;
      // Reads spread over chain members reach the rejoined node too.
      DKV_EXPECT_OK(workload.WaitForMoreOk(kProgressOps));
      bool member_of_a_key = false;
      for (const std::string& key : report->keys) {
        member_of_a_key |= rejoined->IsMember(SlotOf(key, rejoined->slot_count()), victim);
      }
      const int64_t served = report->direct_served.load();
      if (member_of_a_key) {
        DKV_EXPECT_OK(WaitFor([&] { return report->direct_served.load() > served + 20; },
                              milliseconds(10000), milliseconds(20),
                              "direct reads served by the rejoined " + victim));
      }
    }
    stop_direct = true;
    direct.join();
    workload.Stop();
    DKV_ASSERT_OK(rejoined);
    report->workload_ok = workload.ok();
    report->workload_failed = workload.failed();
    report->workload_unknown = workload.unknown();

    // ---- Final reads from the quiet cluster: through the master, and at every data node.
    DKV_EXPECT_OK(workload.ReadEveryKey(&checker, kWorkloadClients));
    auto map = ReadSlotMap(**coordinator);
    DKV_ASSERT_OK(map);
    for (const std::string& d : kDataNodes) {
      DataConnection conn(HostPort{Address(d), kDataPort}, ShortRpcOptions());
      for (const std::string& key : report->keys) {
        DirectGet(conn, key, epoch, map->version(), kWorkloadClients + 2, recorder, report,
                  /*count=*/false);
      }
    }
  }
};

TEST_F(NetnsCutOffItest, DataNodeCutOffIsSplicedOutAndRejoinsByCopyServingNothingStale) {
  const auto test_start = Clock::now();
  ASSERT_NO_FATAL_FAILURE(
      StartCluster({"--replication-factor", std::to_string(kReplicationFactor), "--data-timeout-ms",
                    std::to_string(kDataCallTimeout.count())}));
  Status ready;
  DKV_ASSERT_OK(RunInNamespace(net_->Namespace("cli"), [&] {
    ready = WaitFor([&] { return FourLetterWord(Address("zk"), kZkPort, "ruok") == "imok"; },
                    milliseconds(30000), milliseconds(50), "ZooKeeper to answer ruok");
  }));
  DKV_ASSERT_OK(ready);

  HistoryRecorder recorder;
  CutOffReport report;
  DKV_ASSERT_OK(
      RunInNamespace(net_->Namespace("cli"), [&] { CutOffDataNode(&recorder, &report); }));
  ASSERT_FALSE(HasFatalFailure());

  const History history = recorder.Snapshot();
  const auto since_cut = [&](int64_t ns) { return NanosToMillis(ns - report.cut_ns).count(); };
  std::cout << "[ netns    ] cut off " << report.victim << " (in the chains of";
  for (const auto& [key, role] : report.roles) std::cout << " " << key << ":" << role;
  std::cout << "); spliced out after " << since_cut(report.spliced_ns)
            << " ms; chains of 2 over the survivors after " << since_cut(report.reextended_ns)
            << " ms; healed after " << since_cut(report.healed_ns) << " ms; rejoined "
            << NanosToMillis(report.rejoined_ns - report.healed_ns).count()
            << " ms after healing\n";
  // Writes stall or fail from the cut until the splice plus, for a call that was waiting on the
  // cut-off node, the master's data call timeout.
  milliseconds worst{0};
  for (const std::string& key : report.keys) {
    const milliseconds gap = LongestWriteGap(history, key, report.cut_ns, report.reextended_ns);
    auto role = report.roles.find(key);
    std::cout << "[ netns    ]   " << key << " ("
              << (role == report.roles.end() ? "not in its chains" : role->second)
              << "): longest time without an acknowledged write after the cut " << gap.count()
              << " ms\n";
    if (role != report.roles.end()) worst = std::max(worst, gap);
  }
  // The calls that waited long, or did not succeed: which keys, which kinds, how long.
  int64_t failed = 0, unknown = 0;
  for (const Operation& op : history) {
    if (op.client >= kWorkloadClients || op.invoked_ns < report.cut_ns - 6000000000 ||
        op.invoked_ns > report.reextended_ns) {
      continue;
    }
    failed += op.outcome == OpOutcome::kFailed;
    unknown += op.outcome == OpOutcome::kUnknown;
    const int64_t latency_ms = NanosToMillis(op.completed_ns - op.invoked_ns).count();
    if (op.outcome == OpOutcome::kOk && latency_ms < 500) continue;
    auto role = report.roles.find(op.key);
    std::cout << "[ netns    ]   slow: " << OpKindName(op.kind) << "(" << op.key << ") of c"
              << op.client << " invoked " << since_cut(op.invoked_ns) << " ms after the cut, "
              << OpOutcomeName(op.outcome) << " after "
              << (op.outcome == OpOutcome::kUnknown && op.completed_ns == 0
                      ? std::string("?")
                      : std::to_string(latency_ms))
              << " ms; " << report.victim << " "
              << (role == report.roles.end() ? "not in its chain" : "its " + role->second) << "\n";
  }
  std::cout << "[ netns    ] writes to the cut-off node's keys stalled up to " << worst.count()
            << " ms (prober " << kProberDetection.count() << " ms + data call timeout "
            << kDataCallTimeout.count() << " ms); during the partition " << failed
            << " calls failed, " << unknown << " ended unknown; workload " << report.workload_ok
            << " ok, " << report.workload_failed << " failed, " << report.workload_unknown
            << " unknown\n";
  std::cout << "[ netns    ] direct reads at the healed " << report.victim << ": "
            << report.direct_served.load() << " served, " << report.direct_refused << " refused, "
            << report.direct_unanswered << " unanswered; first served "
            << (report.first_served_ns
                    ? std::to_string(
                          NanosToMillis(*report.first_served_ns - report.healed_ns).count()) +
                          " ms after healing, under map version " +
                          std::to_string(report.first_served_version)
                    : std::string("never"))
            << "\n";
  RecordProperty("cut_off_data_node_spliced_ms", static_cast<int>(since_cut(report.spliced_ns)));
  RecordProperty("cut_off_data_node_write_stall_ms", static_cast<int>(worst.count()));
  EXPECT_LT(worst, kProberDetection + kDataCallTimeout + milliseconds(3000))
      << "writes stalled longer than a splice and a data call timeout";
  EXPECT_TRUE(report.direct_errors.empty()) << report.direct_errors.front();

  // No stale read, no lost write: the whole history, the final reads included, is linearizable.
  LinearizabilityOptions check;
  check.budget = std::chrono::seconds(30);
  const LinearizabilityResult result = CheckLinearizability(history, check);
  std::cout << "[ netns    ] " << result.ToString() << "\n";
  EXPECT_TRUE(result.linearizable()) << result.ToString();
  if (!result.linearizable() || std::getenv("DKV_KEEP_TEST_DIRS") != nullptr) {
    const std::string path = dir_->Sub("history.txt");
    std::ofstream out(path);
    for (const Operation& op : history) out << op.ToString() << "\n";
    std::cout << "history written to " << path << "\n";
  }
  EXPECT_EQ(static_cast<int64_t>(report.keys.size()), result.keys);
  std::cout << "[ netns    ] whole test " << Since(test_start).count() << " ms\n";
}

}  // namespace
}  // namespace dkv::test
