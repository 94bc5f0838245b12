// MiniCluster: see mini_cluster.h. Everything here runs on the test's thread; the only other
// threads are the Coordinator's and the client library's own.
#include "tests/mini_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "common/rpc/metadata_codec.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A file under $TMPDIR (or /tmp) made with mkstemp; removed by the destructor.
class ScratchFile {
 public:
  ScratchFile() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dkv-cmd-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    fd_ = ::mkstemp(buf.data());
    if (fd_ >= 0) path_ = buf.data();
  }
  ~ScratchFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// A znode-safe cluster name for the running test, unique within this process.
std::string ClusterNameForTest() {
  static std::atomic<int> counter{0};
  std::string name = "itest";
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info != nullptr) name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

std::string CommandResult::ToString() const {
  std::ostringstream s;
  s << "exit " << exit_code << (timed_out ? " (timed out)" : "") << " after " << elapsed.count()
    << " ms; stdout [" << out << "]; stderr [" << err << "]";
  return s.str();
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 const std::string& stdin_data, milliseconds timeout) {
  if (argv.empty()) return Status::InvalidArgument("RunCommand: empty argv");
  // Files rather than pipes: nothing to pump while waiting, so no pipe can fill up and block.
  ScratchFile in, out, err;
  if (!in.ok() || !out.ok() || !err.ok()) {
    return Status::IoError(std::string("mkstemp: ") + std::strerror(errno));
  }
  if (!stdin_data.empty() && ::write(in.fd(), stdin_data.data(), stdin_data.size()) !=
                                 static_cast<ssize_t>(stdin_data.size())) {
    return Status::IoError(std::string("writing stdin file: ") + std::strerror(errno));
  }
  ::lseek(in.fd(), 0, SEEK_SET);

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return Status::IoError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in.fd(), 0);
    ::dup2(out.fd(), 1);
    ::dup2(err.fd(), 2);
    ::execv(args[0], args.data());
    const char msg[] = "RunCommand: exec failed\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }

  CommandResult result;
  const Deadline deadline = Deadline::After(timeout);
  int wstatus = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &wstatus, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR)
      return Status::IoError(std::string("waitpid: ") + std::strerror(errno));
    if (deadline.Expired()) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  result.elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  result.exit_code = WIFEXITED(wstatus) && !result.timed_out ? WEXITSTATUS(wstatus) : -1;
  result.out = ReadWholeFile(out.path());
  result.err = ReadWholeFile(err.path());
  return result;
}

Result<std::string> SharedZooKeeper() {
  // Destroyed at exit in reverse order of declaration: the server stops, then its directory goes.
  static std::unique_ptr<TempDir> dir;
  static std::unique_ptr<ZooKeeperServer> server;
  static Status failure;
  if (server != nullptr) return server->connect_string();
  if (!failure.ok()) return failure;
  auto created = TempDir::Create("shared-zk");
  if (!created.ok()) {
    failure = created.status();
    return failure;
  }
  dir = std::make_unique<TempDir>(std::move(created).value());
  auto started = ZooKeeperServer::Start(dir->Sub("zookeeper"));
  if (!started.ok()) {
    failure = started.status();
    return failure;
  }
  server = std::move(started).value();
  return server->connect_string();
}

MiniCluster::MiniCluster(MiniClusterOptions options)
    : options_(std::move(options)),
      cluster_(options_.cluster.empty() ? ClusterNameForTest() : options_.cluster),
      paths_(cluster_) {
  auto dir = TempDir::Create("minicluster");
  if (!dir.ok()) {
    std::cerr << "MiniCluster: " << dir.status().ToString() << "\n";
    std::abort();
  }
  dir_ = std::make_unique<TempDir>(std::move(dir).value());
}

MiniCluster::~MiniCluster() {
  if (::testing::Test::HasFailure()) PrintLogs();
  // A process the test did not stop must still be running: a crash is a failure of the test.
  auto check = [](const std::string& what, Process& p) {
    if (!p.expect_running || p.process->IsRunning()) return;
    auto status = p.process->exit_status();
    ADD_FAILURE() << what << " exited unexpectedly ("
                  << (status ? status->ToString() : std::string("?")) << "); log " << p.log_path
                  << ":\n"
                  << ReadFileTail(p.log_path, 3000);
  };
  for (size_t i = 0; i < servers_.size(); ++i)
    check("dkv-server #" + std::to_string(i), servers_[i]);
  for (auto& [id, p] : data_nodes_) check("dkv-data " + id, p);
  // Members go in reverse order of declaration: children (SIGKILLed by ~Subprocess), then our
  // ZooKeeper session, then the ZooKeeper we started, then the directory.
}

Status MiniCluster::Init() {
  if (coordinator_ != nullptr) return Status::OK();
  zookeeper_ = options_.zookeeper;
  if (zookeeper_.empty()) {
    DKV_ASSIGN_OR_RETURN(own_zookeeper_, ZooKeeperServer::Start(dir_->Sub("zookeeper")));
    zookeeper_ = own_zookeeper_->connect_string();
  }
  coord::ZooKeeperOptions zk;
  zk.connect_string = zookeeper_;
  zk.session_timeout = milliseconds(10000);
  zk.connect_timeout = milliseconds(10000);
  DKV_ASSIGN_OR_RETURN(coordinator_, coord::ConnectZooKeeper(zk));
  return Status::OK();
}

Result<std::unique_ptr<Subprocess>> MiniCluster::Launch(const std::string& binary,
                                                        std::vector<std::string> args,
                                                        const std::string& log_path) {
  DKV_RETURN_NOT_OK(Init());
  SubprocessOptions so;
  so.argv.push_back(BinaryPath(binary));
  so.argv.insert(so.argv.end(), args.begin(), args.end());
  so.log_path = log_path;
  {
    std::ofstream log(log_path, std::ios::app);
    log << "$";
    for (const std::string& a : so.argv) log << " " << a;
    log << "\n";
  }
  return Subprocess::Start(std::move(so));
}

std::vector<std::string> MiniCluster::ClusterFlags() const {
  return {"--zookeeper",
          zookeeper_,
          "--cluster",
          cluster_,
          "--session-timeout-ms",
          std::to_string(options_.session_timeout.count())};
}

Result<int> MiniCluster::StartServer(const std::vector<std::string>& extra_flags) {
  DKV_RETURN_NOT_OK(Init());
  std::vector<std::string> args = ClusterFlags();
  args.insert(args.end(), {"--data-grace-ms", std::to_string(options_.data_grace.count()),
                           "--listen", "127.0.0.1:0"});
  args.insert(args.end(), options_.server_flags.begin(), options_.server_flags.end());
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  const int index = static_cast<int>(servers_.size());
  const std::string log = dir_->Sub("server-" + std::to_string(index) + ".log");
  DKV_ASSIGN_OR_RETURN(auto process, Launch("dkv-server", std::move(args), log));
  servers_.push_back(Process{std::move(process), log});
  return index;
}

Status MiniCluster::KillServer(int i) {
  if (i < 0 || i >= server_count())
    return Status::InvalidArgument("no server #" + std::to_string(i));
  servers_[i].expect_running = false;
  return servers_[i].process->Kill();
}

Status MiniCluster::StopServer(int i) {
  if (i < 0 || i >= server_count())
    return Status::InvalidArgument("no server #" + std::to_string(i));
  servers_[i].expect_running = false;
  DKV_ASSIGN_OR_RETURN(ExitStatus status, servers_[i].process->Stop());
  if (!status.success()) {
    return Status::Internal("dkv-server #" + std::to_string(i) +
                            " did not exit cleanly on SIGTERM: " + status.ToString());
  }
  return Status::OK();
}

bool MiniCluster::ServerRunning(int i) {
  return i >= 0 && i < server_count() && servers_[i].process->IsRunning();
}

Result<std::map<std::string, MemberInfo>> MiniCluster::ReadServers() {
  DKV_RETURN_NOT_OK(Init());
  std::map<std::string, MemberInfo> members;
  auto children = coordinator_->GetChildren(paths_.servers());
  if (!children.ok()) {
    if (children.status().IsNotFound()) return members;
    return children.status();
  }
  for (const std::string& child : *children) {
    auto node = coordinator_->Get(paths_.servers() + "/" + child);
    if (!node.ok()) continue;  // gone since the listing
    MemberInfo member;
    if (!rpc::DecodeMember(node->data, &member).ok()) continue;
    members[child] = member;
  }
  return members;
}

Result<std::string> MiniCluster::ServerAddress(int i, milliseconds timeout) {
  if (i < 0 || i >= server_count())
    return Status::InvalidArgument("no server #" + std::to_string(i));
  const pid_t pid = servers_[i].process->pid();
  std::string address;
  Status s = WaitFor(
      [&] {
        auto members = ReadServers();
        if (!members.ok()) return false;
        for (const auto& [name, m] : *members) {
          if (m.pid == pid) {
            address = m.address;
            return true;
          }
        }
        return false;
      },
      timeout, milliseconds(20), "server #" + std::to_string(i) + " registered in servers/");
  DKV_RETURN_NOT_OK(s);
  return address;
}

Status MiniCluster::StartDataNode(const std::string& id,
                                  const std::vector<std::string>& extra_flags) {
  DKV_RETURN_NOT_OK(Init());
  auto it = data_nodes_.find(id);
  if (it != data_nodes_.end() && it->second.process->IsRunning()) {
    return Status::AlreadyExists("data node " + id + " is running");
  }
  std::vector<std::string> args = ClusterFlags();
  args.insert(args.end(), {"--listen", "127.0.0.1:0", "--id", id, "--drain-timeout-ms",
                           std::to_string(options_.data_drain_timeout.count())});
  args.insert(args.end(), options_.data_flags.begin(), options_.data_flags.end());
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  const std::string log = dir_->Sub("data-" + id + "-" + std::to_string(data_starts_++) + ".log");
  DKV_ASSIGN_OR_RETURN(auto process, Launch("dkv-data", std::move(args), log));
  data_nodes_[id] = Process{std::move(process), log};
  return Status::OK();
}

Status MiniCluster::StopDataNode(const std::string& id) {
  auto it = data_nodes_.find(id);
  if (it == data_nodes_.end()) return Status::NotFound("no data node " + id);
  it->second.expect_running = false;
  DKV_ASSIGN_OR_RETURN(ExitStatus status, it->second.process->Stop(options_.data_drain_timeout +
                                                                   std::chrono::seconds(5)));
  if (!status.success()) {
    return Status::Internal("dkv-data " + id +
                            " did not exit cleanly on SIGTERM: " + status.ToString());
  }
  return Status::OK();
}

Status MiniCluster::KillDataNode(const std::string& id) {
  auto it = data_nodes_.find(id);
  if (it == data_nodes_.end()) return Status::NotFound("no data node " + id);
  it->second.expect_running = false;
  return it->second.process->Kill();
}

Status MiniCluster::WaitForDataNodeExit(const std::string& id, milliseconds timeout) {
  auto it = data_nodes_.find(id);
  if (it == data_nodes_.end()) return Status::NotFound("no data node " + id);
  DKV_ASSIGN_OR_RETURN(ExitStatus status, it->second.process->Wait(Deadline::After(timeout)));
  it->second.expect_running = false;
  if (!status.success()) {
    return Status::Internal("dkv-data " + id + " did not exit cleanly: " + status.ToString());
  }
  return Status::OK();
}

Status MiniCluster::SignalDataNode(const std::string& id, int signal) {
  auto it = data_nodes_.find(id);
  if (it == data_nodes_.end()) return Status::NotFound("no data node " + id);
  return it->second.process->Signal(signal);
}

Result<MasterInfo> MiniCluster::WaitForMaster(milliseconds timeout) {
  DKV_RETURN_NOT_OK(Init());
  MasterInfo master;
  std::string last = "no master znode";
  Status s = WaitFor(
      [&] {
        auto node = coordinator_->Get(paths_.master());
        if (!node.ok()) {
          last = node.status().ToString();
          return false;
        }
        if (!rpc::DecodeMaster(node->data, &master).ok()) {
          last = "undecodable master znode";
          return false;
        }
        // The master znode of a killed server lingers until its session expires: it counts only
        // if it names a server of ours that still runs.
        auto members = ReadServers();
        if (!members.ok()) return false;
        for (const auto& [name, m] : *members) {
          if (m.address != master.address) continue;
          for (auto& p : servers_) {
            if (p.process->pid() == m.pid && p.process->IsRunning()) return true;
          }
        }
        last = "master " + master.server_id + " at " + master.address + " is not a running server";
        return false;
      },
      timeout, milliseconds(20), "a master for cluster " + cluster_);
  if (!s.ok()) return Status(s.code(), s.message() + " (last: " + last + ")");
  return master;
}

Result<int> MiniCluster::WaitForMasterIndex(milliseconds timeout) {
  DKV_ASSIGN_OR_RETURN(MasterInfo master, WaitForMaster(timeout));
  DKV_ASSIGN_OR_RETURN(auto members, ReadServers());
  for (const auto& [name, m] : members) {
    if (m.address != master.address) continue;
    for (int i = 0; i < server_count(); ++i) {
      if (servers_[i].process->pid() == m.pid) return i;
    }
  }
  return Status::NotFound("master " + master.address + " is not one of this cluster's servers");
}

Result<SlotMap> MiniCluster::ReadSlotMap() {
  DKV_RETURN_NOT_OK(Init());
  DKV_ASSIGN_OR_RETURN(coord::NodeData node, coordinator_->Get(paths_.slotmap()));
  SlotMap map;
  DKV_RETURN_NOT_OK(rpc::DecodeSlotMap(node.data, &map));
  return map;
}

Result<SlotMap> MiniCluster::WaitForDataNodes(int n, milliseconds timeout) {
  return WaitForChains(n, /*balanced=*/true, timeout);
}

Result<SlotMap> MiniCluster::WaitForFullChains(int n, milliseconds timeout) {
  return WaitForChains(n, /*balanced=*/false, timeout);
}

Result<SlotMap> MiniCluster::WaitForChains(int n, bool balanced, milliseconds timeout) {
  DKV_RETURN_NOT_OK(Init());
  SlotMap map;
  std::string last;
  Status s = WaitFor(
      [&] {
        auto children = coordinator_->GetChildren(paths_.data());
        if (!children.ok()) {
          last = children.status().ToString();
          return false;
        }
        if (static_cast<int>(children->size()) != n) {
          last = std::to_string(children->size()) + " data nodes registered";
          return false;
        }
        // A SIGKILLed node's znode lingers until its session expires: every member must be a
        // data node of ours that runs now (a restarted id registers under its new pid).
        for (const std::string& child : *children) {
          auto node = coordinator_->Get(paths_.data_node(child));
          MemberInfo member;
          if (!node.ok() || !rpc::DecodeMember(node->data, &member).ok()) {
            last = "data node " + child + " unreadable";
            return false;
          }
          auto it = data_nodes_.find(child);
          if (it == data_nodes_.end() || it->second.process->pid() != member.pid ||
              !it->second.process->IsRunning()) {
            last = "data/" + child + " is held by pid " + std::to_string(member.pid) +
                   ", not by a running data node of this cluster";
            return false;
          }
        }
        auto read = ReadSlotMap();
        if (!read.ok()) {
          last = "slot map: " + read.status().ToString();
          return false;
        }
        map = std::move(read).value();
        // Memberships (with R = 1, owners) spread evenly; heads go where chains put them.
        const std::map<std::string, int32_t> counts = map.MemberCounts();
        std::set<std::string> owners, members(children->begin(), children->end());
        int32_t assigned = 0, lo = map.slot_count(), hi = 0;
        for (const auto& [node, count] : counts) {
          owners.insert(node);
          assigned += count;
          lo = std::min(lo, count);
          hi = std::max(hi, count);
        }
        const size_t chain = std::min<size_t>(map.replication_factor(), children->size());
        if (owners != members || assigned != map.slot_count() * static_cast<int32_t>(chain) ||
            (balanced && hi - lo > 1)) {
          last = "slot map version " + std::to_string(map.version()) + " gives " +
                 std::to_string(assigned) + " memberships of " + std::to_string(map.slot_count()) +
                 " slots to " + std::to_string(owners.size()) + " nodes, " + std::to_string(lo) +
                 " to " + std::to_string(hi) + " each";
          return false;
        }
        // Every chain as long as R and the nodes allow (re-replication done).
        for (Slot slot = 0; slot < map.slot_count(); ++slot) {
          if (map.Chain(slot).size() != chain) {
            last = "slot map version " + std::to_string(map.version()) + ": slot " +
                   std::to_string(slot) + " has a chain of " +
                   std::to_string(map.Chain(slot).size()) + ", not " + std::to_string(chain);
            return false;
          }
        }
        // The master writes the map before it routes by it: ready once it reports that version.
        if (status_client_ == nullptr) {
          auto connected = client::Client::Connect(ClientOptionsForTests());
          if (!connected.ok()) {
            last = "status client: " + connected.status().ToString();
            return false;
          }
          status_client_ = std::move(connected).value();
        }
        auto status = status_client_->GetStatus(milliseconds(1000));
        if (!status.ok()) {
          last = "master status: " + status.status().ToString();
          return false;
        }
        if (status->slot_map_version != map.version() ||
            static_cast<int>(status->data_nodes.size()) != n) {
          last = "master routes by slot map version " + std::to_string(status->slot_map_version) +
                 " over " + std::to_string(status->data_nodes.size()) +
                 " data nodes; ZooKeeper has version " + std::to_string(map.version());
          return false;
        }
        return true;
      },
      timeout, milliseconds(20), std::to_string(n) + " data nodes in the slot map");
  if (!s.ok()) return Status(s.code(), s.message() + " (last: " + last + ")");
  return map;
}

Result<CommandResult> MiniCluster::RunCli(const std::vector<std::string>& args,
                                          const std::string& stdin_data) {
  DKV_RETURN_NOT_OK(Init());
  std::vector<std::string> argv = {BinaryPath("dkv")};
  const std::vector<std::string> cluster_flags = ClusterFlags();
  argv.insert(argv.end(), cluster_flags.begin(), cluster_flags.end());
  argv.insert(argv.end(), {"--timeout-ms", std::to_string(options_.client_timeout.count())});
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, stdin_data, 2 * options_.client_timeout + milliseconds(5000));
}

client::ClientOptions MiniCluster::ClientOptionsForTests() const {
  client::ClientOptions o;
  o.zookeeper = zookeeper_;
  o.cluster = cluster_;
  o.timeout = options_.client_timeout;
  o.session_timeout = options_.session_timeout;
  return o;
}

Result<std::unique_ptr<client::Client>> MiniCluster::Connect() {
  DKV_RETURN_NOT_OK(Init());
  return client::Client::Connect(ClientOptionsForTests());
}

void MiniCluster::PrintLogs() {
  auto print = [](const std::string& what, const std::string& path) {
    std::cerr << "---- " << what << " (" << path << ") ----\n" << ReadFileTail(path, 3000) << "\n";
  };
  for (size_t i = 0; i < servers_.size(); ++i) {
    print("dkv-server #" + std::to_string(i), servers_[i].log_path);
  }
  for (const auto& [id, p] : data_nodes_) print("dkv-data " + id, p.log_path);
  if (own_zookeeper_ != nullptr) print("zookeeper", own_zookeeper_->dir() + "/zookeeper.log");
}

}  // namespace dkv::test
