#include "bench/migration.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dkv/client.h"

extern char** environ;

namespace dkv::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPoll{20};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Key i: "mb" and i in decimal, zero-padded to key_bytes.
std::string Key(int64_t i, int32_t key_bytes) {
  std::string digits = std::to_string(i);
  return "mb" + std::string(static_cast<size_t>(key_bytes) - 2 - digits.size(), '0') + digits;
}

// The dkv-data the benchmark started; killed unless it exited.
class NodeProcess {
 public:
  ~NodeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  Status Start(const MigrationBenchOptions& o) {
    std::vector<std::string> args = {o.data_binary,
                                     "--zookeeper",
                                     o.zookeeper,
                                     "--cluster",
                                     o.cluster,
                                     "--id",
                                     o.node_id,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--session-timeout-ms",
                                     std::to_string(o.session_timeout.count())};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its log goes to a file of its own, not between the benchmark's lines.
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, o.node_log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    const int rc = posix_spawn(&pid_, o.data_binary.c_str(), &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (rc != 0) {
      pid_ = 0;
      return Status::IoError("starting " + o.data_binary + ": " + std::strerror(rc));
    }
    return Status::OK();
  }

  // Waits until it exits by itself; TIMED_OUT.
  Status WaitForExit(Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
        return Status::Internal("the new data node exited with status " + std::to_string(status));
      }
      std::this_thread::sleep_for(kPoll);
    }
    return Status::TimedOut("the drained data node did not exit");
  }

 private:
  pid_t pid_ = 0;
};

Status Load(client::Client& client, const MigrationBenchOptions& o) {
  const std::string value(static_cast<size_t>(o.value_bytes), 'v');
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  Status first_error;
  std::mutex error_mu;
  std::vector<std::thread> threads;
  for (int32_t t = 0; t < o.threads; ++t) {
    threads.emplace_back([&] {
      for (int64_t i = next++; i < o.keys && !failed; i = next++) {
        Status s = client.Set(Key(i, o.key_bytes), value);
        if (!s.ok()) {
          std::lock_guard<std::mutex> l(error_mu);
          if (!failed.exchange(true)) first_error = s;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return failed ? first_error.CloneAndPrepend("loading") : Status::OK();
}

const client::ClusterStatus::DataNode* FindNode(const client::ClusterStatus& s,
                                                const std::string& id) {
  for (const auto& d : s.data_nodes) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

// True when no move runs and the slot counts over the nodes not draining differ by at most one.
bool Settled(const client::ClusterStatus& s) {
  if (!s.moves.empty()) return false;
  int32_t lo = s.slot_count, hi = 0, total = 0;
  for (const auto& d : s.data_nodes) {
    const auto& draining = s.draining_data_nodes;
    if (std::find(draining.begin(), draining.end(), d.id) != draining.end()) {
      if (d.slots > 0) return false;
      continue;
    }
    lo = std::min(lo, d.slots);
    hi = std::max(hi, d.slots);
    total += d.slots;
  }
  return total == s.slot_count && hi - lo <= 1;
}

// Polls the status until `done` holds; TIMED_OUT naming `what`.
template <typename Done>
Result<client::ClusterStatus> WaitForStatus(client::Client& client, Clock::time_point deadline,
                                            const std::string& what, Done done) {
  while (Clock::now() < deadline) {
    auto status = client.GetStatus();
    if (status.ok() && done(*status)) return status;
    std::this_thread::sleep_for(kPoll);
  }
  return Status::TimedOut("waiting for " + what);
}

}  // namespace

Result<MigrationBenchResult> RunMigrationBench(const MigrationBenchOptions& o) {
  if (o.keys <= 0 || o.threads <= 0 || o.value_bytes < 0 || o.key_bytes < 10 ||
      o.key_bytes - 2 < static_cast<int32_t>(std::to_string(o.keys).size())) {
    return Status::InvalidArgument(
        "--keys and --threads must be positive, --key-bytes must hold 'mb' and the key count");
  }
  if (access(o.data_binary.c_str(), X_OK) != 0) {
    return Status::InvalidArgument("no dkv-data executable at '" + o.data_binary + "'");
  }
  client::ClientOptions co;
  co.zookeeper = o.zookeeper;
  co.cluster = o.cluster;
  co.session_timeout = o.session_timeout;
  co.timeout = std::chrono::milliseconds(10000);
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<client::Client> client, client::Client::Connect(co));
  DKV_ASSIGN_OR_RETURN(client::ClusterStatus before, client->GetStatus());
  if (before.data_nodes.empty()) return Status::Unavailable("the cluster has no data node");
  if (FindNode(before, o.node_id)) {
    return Status::InvalidArgument("data node " + o.node_id + " is already in the cluster");
  }

  MigrationBenchResult result;
  const auto load_start = Clock::now();
  DKV_RETURN_NOT_OK(Load(*client, o));
  result.load_seconds = Seconds(Clock::now() - load_start);
  DKV_ASSIGN_OR_RETURN(client::ClusterStatus loaded, client->GetStatus());
  int64_t held = 0;
  for (const auto& d : loaded.data_nodes) held += std::max<int64_t>(d.keys, 0);
  if (held < o.keys) {
    return Status::Internal("the data nodes hold " + std::to_string(held) + " keys after " +
                            std::to_string(o.keys) + " acknowledged writes");
  }
  result.keys_loaded = o.keys;

  NodeProcess node;
  DKV_RETURN_NOT_OK(node.Start(o));
  DKV_RETURN_NOT_OK(WaitForStatus(*client, Clock::now() + o.timeout, o.node_id + " to register",
                                  [&](const client::ClusterStatus& s) {
                                    return FindNode(s, o.node_id) != nullptr;
                                  })
                        .status());
  const auto join_start = Clock::now();
  DKV_ASSIGN_OR_RETURN(client::ClusterStatus joined,
                       WaitForStatus(*client, join_start + o.timeout, "the moves onto " + o.node_id,
                                     [&](const client::ClusterStatus& s) {
                                       const auto* n = FindNode(s, o.node_id);
                                       return n && n->slots > 0 && Settled(s);
                                     }));
  result.join.seconds = Seconds(Clock::now() - join_start);
  result.join.keys = FindNode(joined, o.node_id)->keys;
  result.join.slots = FindNode(joined, o.node_id)->slots;

  const auto drain_start = Clock::now();
  DKV_RETURN_NOT_OK(client->DrainDataNode(o.node_id).status());
  DKV_RETURN_NOT_OK(WaitForStatus(*client, drain_start + o.timeout, "the drain of " + o.node_id,
                                  [&](const client::ClusterStatus& s) {
                                    const auto* n = FindNode(s, o.node_id);
                                    return (!n || n->slots == 0) && s.moves.empty();
                                  })
                        .status());
  result.drain.seconds = Seconds(Clock::now() - drain_start);
  result.drain.keys = result.join.keys;
  result.drain.slots = result.join.slots;
  DKV_RETURN_NOT_OK(node.WaitForExit(Clock::now() + o.timeout));
  return result;
}

}  // namespace dkv::bench
