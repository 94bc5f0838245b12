// VirtualNetwork: see netns.h. Every change goes through the `ip` tool (RunCommand), always with
// `-n <namespace>` so nothing is configured in the root namespace; RunInNamespace uses setns(2).
#include "tests/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "common/logging.h"
#include "tests/mini_cluster.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;

constexpr char kNamePrefix[] = "dkvnt-";
constexpr char kSwitchHost[] = "sw";
constexpr milliseconds kIpTimeout{10000};

// The iproute2 binary, or "" when there is none.
std::string FindIp() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

std::string Joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// Runs `argv`; IO_ERROR naming the command and what it printed unless it exits 0.
Status Run(const std::vector<std::string>& argv, std::string* out = nullptr) {
  Result<CommandResult> r = RunCommand(argv, "", kIpTimeout);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return Status::IoError(Joined(argv) + ": " + r->ToString());
  }
  if (out != nullptr) *out = r->out;
  return Status::OK();
}

// Names listed by `ip netns list` ("NAME" or "NAME (id: N)" per line).
std::vector<std::string> ListNamespaces(const std::string& ip) {
  std::string out;
  std::vector<std::string> names;
  if (!Run({ip, "netns", "list"}, &out).ok()) return names;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::string name = line.substr(0, line.find(' '));
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

// Whether process `pid` is gone: no such process, or a zombie (a crashed run not yet reaped).
bool ProcessGone(long pid) {
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // "pid (comm) S ...": comm may hold spaces
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

// SIGKILLs every process in namespace `ns` (`ip netns pids`). Only called for namespaces this test
// process (or a crashed run of it) created, so whatever runs there is a test's own child.
void KillProcessesIn(const std::string& ip, const std::string& ns) {
  std::string out;
  if (!Run({ip, "netns", "pids", ns}, &out).ok()) return;
  std::istringstream pids(out);
  long pid = 0;
  while (pids >> pid) {
    if (pid > 1 && pid != getpid()) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

}  // namespace

std::string VirtualNetwork::UnavailableReason() {
  if (geteuid() != 0) {
    return "needs root: it creates network namespaces, veth pairs and a bridge (run as root)";
  }
  const std::string ip = FindIp();
  if (ip.empty()) return "`ip` (iproute2) not found, so `ip netns` is unavailable";
  // A namespace of our own, made and removed at once: proves `ip netns add` works here (a
  // container without CAP_SYS_ADMIN, or no /var/run/netns mount, refuses it).
  const std::string probe = kNamePrefix + std::to_string(getpid()) + "-probe";
  Status s = Run({ip, "netns", "add", probe});
  if (!s.ok()) return "`ip netns add` does not work here: " + s.ToString();
  s = Run({ip, "netns", "delete", probe});
  if (!s.ok()) return "`ip netns delete` does not work here: " + s.ToString();
  return "";
}

void VirtualNetwork::RemoveStale() {
  const std::string ip = FindIp();
  if (ip.empty()) return;
  for (const std::string& name : ListNamespaces(ip)) {
    if (name.rfind(kNamePrefix, 0) != 0) continue;
    // dkvnt-<pid>-<host>: stale when that pid is gone.
    const std::string rest = name.substr(sizeof(kNamePrefix) - 1);
    char* end = nullptr;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (end == rest.c_str() || *end != '-' || pid <= 0) continue;
    if (pid == getpid() || !ProcessGone(pid)) continue;
    DKV_LOG(WARNING) << "removing stale network namespace " << name << " of a run that is gone";
    KillProcessesIn(ip, name);
    Status s = Run({ip, "netns", "delete", name});
    if (!s.ok()) DKV_LOG(WARNING) << s.ToString();
  }
}

Result<std::unique_ptr<VirtualNetwork>> VirtualNetwork::Create() {
  const std::string ip = FindIp();
  if (ip.empty()) return Status::IoError("`ip` (iproute2) not found");
  std::unique_ptr<VirtualNetwork> net(
      new VirtualNetwork(ip, kNamePrefix + std::to_string(getpid()) + "-"));
  net->switch_ns_ = net->prefix_ + kSwitchHost;
  DKV_RETURN_NOT_OK(net->AddNamespace(net->switch_ns_));
  // A bridge without STP forwards as soon as a port is up.
  DKV_RETURN_NOT_OK(net->IpIn(net->switch_ns_, {"link", "add", "br0", "type", "bridge"}));
  DKV_RETURN_NOT_OK(net->IpIn(net->switch_ns_, {"link", "set", "br0", "up"}));
  return net;
}

VirtualNetwork::VirtualNetwork(std::string ip, std::string prefix)
    : ip_(std::move(ip)), prefix_(std::move(prefix)) {}

VirtualNetwork::~VirtualNetwork() {
  Status s = Destroy();
  if (!s.ok()) DKV_LOG(ERROR) << "VirtualNetwork: " << s.ToString();
}

Status VirtualNetwork::AddNamespace(const std::string& ns) {
  DKV_RETURN_NOT_OK(Run({ip_, "netns", "add", ns}));
  namespaces_.push_back(ns);  // before anything else can fail: Destroy() removes it
  return IpIn(ns, {"link", "set", "lo", "up"});
}

Status VirtualNetwork::AddHost(const std::string& name, const std::string& address) {
  DKV_CHECK(name != kSwitchHost && addresses_.count(name) == 0) << "bad or duplicate host " << name;
  const std::string ns = prefix_ + name;
  DKV_RETURN_NOT_OK(AddNamespace(ns));
  addresses_[name] = address;
  // Made from inside the switch namespace with the peer put straight into the host's, so no
  // interface ever exists in the root namespace. Names are per namespace: no clash across runs.
  const std::string port = "v-" + name;
  DKV_RETURN_NOT_OK(
      IpIn(switch_ns_, {"link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns}));
  DKV_RETURN_NOT_OK(IpIn(switch_ns_, {"link", "set", port, "master", "br0", "up"}));
  DKV_RETURN_NOT_OK(IpIn(ns, {"addr", "add", address + "/24", "dev", "eth0"}));
  return IpIn(ns, {"link", "set", "eth0", "up"});
}

std::string VirtualNetwork::Namespace(const std::string& name) const {
  DKV_CHECK(addresses_.count(name) == 1) << "unknown host " << name;
  return prefix_ + name;
}

const std::string& VirtualNetwork::Address(const std::string& name) const {
  auto it = addresses_.find(name);
  DKV_CHECK(it != addresses_.end()) << "unknown host " << name;
  return it->second;
}

std::vector<std::string> VirtualNetwork::Exec(const std::string& name,
                                              const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {ip_, "netns", "exec", Namespace(name)};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Status VirtualNetwork::Ip(const std::string& name, const std::vector<std::string>& args) {
  return IpIn(Namespace(name), args);
}

Status VirtualNetwork::IpIn(const std::string& ns, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ip_, "-n", ns};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

Status VirtualNetwork::Destroy() {
  Status first;
  // Hosts first, the switch last (deleting a host also deletes its veth pair).
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    KillProcessesIn(ip_, *it);
    Status s = Run({ip_, "netns", "delete", *it});
    if (!s.ok() && first.ok()) first = s;
  }
  namespaces_.clear();
  addresses_.clear();
  return first;
}

Status RunInNamespace(const std::string& ns, const std::function<void()>& fn) {
  Status result;
  // A thread of its own: setns(CLONE_NEWNET) changes only the calling thread's namespace, and the
  // test's main thread must stay in the root namespace.
  std::thread worker([&] {
    const std::string path = "/var/run/netns/" + ns;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      result = Status::IoError("open " + path + ": " + strerror(errno));
      return;
    }
    const int rc = ::setns(fd, CLONE_NEWNET);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
      result = Status::IoError("setns " + path + ": " + strerror(err));
      return;
    }
    fn();
  });
  worker.join();
  return result;
}

}  // namespace dkv::test
