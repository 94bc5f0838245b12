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
#include <chrono>
#include <cstdint>
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

#include "common/host_port.h"
#include "common/rpc/rpc_connection.h"
#include "gen-cpp/DataNode.h"
#include "gen-cpp/Dkv.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/test_util.h"
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

  void StartCluster() {
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

}  // namespace
}  // namespace dkv::test
