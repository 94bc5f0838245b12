#include "bench/migration.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "bench/latency_histogram.h"
#include "common/slot.h"
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

Status CheckLoadOptions(const MigrationBenchOptions& o) {
  if (o.keys <= 0 || o.threads <= 0 || o.value_bytes < 0 || o.key_bytes < 10 ||
      o.key_bytes - 2 < static_cast<int32_t>(std::to_string(o.keys).size())) {
    return Status::InvalidArgument(
        "--keys and --threads must be positive, --key-bytes must hold 'mb' and the key count");
  }
  return Status::OK();
}

Result<std::unique_ptr<client::Client>> Connect(const MigrationBenchOptions& o) {
  client::ClientOptions co;
  co.zookeeper = o.zookeeper;
  co.cluster = o.cluster;
  co.session_timeout = o.session_timeout;
  co.timeout = std::chrono::milliseconds(10000);
  return client::Client::Connect(co);
}

// Keys held over all data nodes (a node that did not answer counts none).
int64_t KeysHeld(const client::ClusterStatus& s) {
  int64_t held = 0;
  for (const auto& d : s.data_nodes) held += std::max<int64_t>(d.keys, 0);
  return held;
}

// Loads the keys and checks that the data nodes hold at least as many.
Status LoadAndCount(client::Client& client, const MigrationBenchOptions& o, double* seconds) {
  const auto start = Clock::now();
  DKV_RETURN_NOT_OK(Load(client, o));
  *seconds = Seconds(Clock::now() - start);
  DKV_ASSIGN_OR_RETURN(client::ClusterStatus loaded, client.GetStatus());
  const int64_t held = KeysHeld(loaded);
  if (held < o.keys) {
    return Status::Internal("the data nodes hold " + std::to_string(held) + " keys after " +
                            std::to_string(o.keys) + " acknowledged writes");
  }
  return Status::OK();
}

// GETs of random loaded keys from `reader_threads` threads sharing one Client, from Start until
// Stop. Each GET is counted in the phase current when it started (none while kWarmup); during
// kCopying, a GET whose slot was in no move at its start (as last told by SetMoving) is also
// counted in kCopyingOther. Start, SetPhase, SetMoving and Stop are called from one thread, the
// runner's; the counts are read (Summary) only after Stop, when the threads have joined.
class Reader {
 public:
  enum Phase { kWarmup = -1, kQuiet = 0, kCopying = 1, kCopyingOther = 2, kPhases = 3 };

  Reader(client::Client& client, const MigrationBenchOptions& o, int32_t slot_count)
      : client_(client),
        o_(o),
        slot_count_(slot_count),
        moving_(new std::atomic<bool>[static_cast<size_t>(slot_count)]),
        workers_(static_cast<size_t>(o.reader_threads)) {
    for (int32_t s = 0; s < slot_count; ++s) moving_[s] = false;
  }
  ~Reader() { Stop(); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  void Start() {
    for (size_t t = 0; t < workers_.size(); ++t) {
      threads_.emplace_back([this, t] { Run(&workers_[t], t); });
    }
  }

  void SetPhase(Phase phase) {
    const auto now = Clock::now();
    const int old = phase_.exchange(phase);
    if (old >= 0) seconds_[old] += Seconds(now - phase_start_);
    if (old == kCopying) seconds_[kCopyingOther] = seconds_[kCopying];
    phase_start_ = now;
  }

  // The slots of `moves` are being copied; no other slot is.
  void SetMoving(const std::vector<client::ClusterStatus::Move>& moves) {
    std::vector<bool> moving(static_cast<size_t>(slot_count_));
    for (const auto& m : moves) {
      for (int32_t s : m.slots) {
        if (s >= 0 && s < slot_count_) moving[static_cast<size_t>(s)] = true;
      }
    }
    for (int32_t s = 0; s < slot_count_; ++s) moving_[s] = moving[static_cast<size_t>(s)];
  }

  void Stop() {
    if (threads_.empty()) return;
    SetPhase(kWarmup);
    stop_ = true;
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  ReadPhase Summary(Phase phase) const {
    LatencyHistogram merged;
    ReadPhase r;
    for (const Worker& w : workers_) {
      merged.Merge(w.latency[phase]);
      r.errors += w.errors[phase];
    }
    r.gets = static_cast<int64_t>(merged.count());
    r.seconds = seconds_[phase];
    r.p50_us = merged.Percentile(50) / 1e3;
    r.p99_us = merged.Percentile(99) / 1e3;
    r.max_us = merged.max() / 1e3;
    return r;
  }

 private:
  struct Worker {
    LatencyHistogram latency[kPhases];
    int64_t errors[kPhases] = {};
  };

  void Run(Worker* w, size_t index) {
    std::mt19937_64 random(index + 1);
    std::uniform_int_distribution<int64_t> pick(0, o_.keys - 1);
    while (!stop_) {
      const std::string key = Key(pick(random), o_.key_bytes);
      const int phase = phase_;
      const bool other = phase == kCopying && !moving_[SlotOf(key, slot_count_)];
      const auto start = Clock::now();
      const bool ok = client_.Get(key).ok();
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
      if (phase < 0) continue;
      for (int p : {phase, other ? int{kCopyingOther} : -1}) {
        if (p < 0) continue;
        if (ok) {
          w->latency[p].Record(static_cast<uint64_t>(ns.count()));
        } else {
          ++w->errors[p];
        }
      }
    }
  }

  client::Client& client_;
  const MigrationBenchOptions& o_;
  const int32_t slot_count_;
  const std::unique_ptr<std::atomic<bool>[]> moving_;  // per slot
  std::vector<Worker> workers_;  // one per thread, touched only by it until Stop
  std::vector<std::thread> threads_;
  std::atomic<int> phase_{kWarmup};
  std::atomic<bool> stop_{false};
  // The runner's own.
  Clock::time_point phase_start_ = Clock::now();
  double seconds_[kPhases] = {};
};

}  // namespace

Result<MigrationBenchResult> RunMigrationBench(const MigrationBenchOptions& o) {
  DKV_RETURN_NOT_OK(CheckLoadOptions(o));
  if (access(o.data_binary.c_str(), X_OK) != 0) {
    return Status::InvalidArgument("no dkv-data executable at '" + o.data_binary + "'");
  }
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<client::Client> client, Connect(o));
  DKV_ASSIGN_OR_RETURN(client::ClusterStatus before, client->GetStatus());
  if (before.data_nodes.empty()) return Status::Unavailable("the cluster has no data node");
  if (FindNode(before, o.node_id)) {
    return Status::InvalidArgument("data node " + o.node_id + " is already in the cluster");
  }

  MigrationBenchResult result;
  DKV_RETURN_NOT_OK(LoadAndCount(*client, o, &result.load_seconds));
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

Result<ReplicationBenchResult> RunReplicationBench(const MigrationBenchOptions& o) {
  DKV_RETURN_NOT_OK(CheckLoadOptions(o));
  if (o.reader_threads <= 0 || o.quiet.count() <= 0 || o.replication_factor < 2) {
    return Status::InvalidArgument(
        "--reader-threads and --quiet-ms must be positive, --replication-factor at least 2");
  }
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<client::Client> client, Connect(o));
  DKV_ASSIGN_OR_RETURN(client::ClusterStatus before, client->GetStatus());
  if (static_cast<int32_t>(before.data_nodes.size()) < o.replication_factor) {
    return Status::Unavailable("the cluster has fewer than " +
                               std::to_string(o.replication_factor) + " data nodes");
  }
  if (before.replication_factor >= o.replication_factor) {
    return Status::InvalidArgument("the cluster's R is " +
                                   std::to_string(before.replication_factor) + " already");
  }

  ReplicationBenchResult result;
  result.replication_factor_before = before.replication_factor;
  result.replication_factor = o.replication_factor;
  DKV_RETURN_NOT_OK(LoadAndCount(*client, o, &result.load_seconds));
  result.keys_loaded = o.keys;

  Reader reader(*client, o, before.slot_count);
  reader.Start();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  reader.SetPhase(Reader::kQuiet);
  std::this_thread::sleep_for(o.quiet);
  DKV_ASSIGN_OR_RETURN(client::ClusterStatus quiet, client->GetStatus());
  const int64_t held_before = KeysHeld(quiet);

  reader.SetPhase(Reader::kCopying);
  const auto copy_start = Clock::now();
  DKV_RETURN_NOT_OK(client->SetReplicationFactor(o.replication_factor).status());
  std::map<int64_t, int64_t> move_rates;  // id -> the last keys_per_second seen
  auto copied = WaitForStatus(
      *client, copy_start + o.timeout, "the copies to R = " + std::to_string(o.replication_factor),
      [&](const client::ClusterStatus& s) {
        result.copy.slots = std::max(result.copy.slots, s.under_replicated_slots);
        for (const auto& m : s.moves) move_rates[m.id] = m.keys_per_second;
        reader.SetMoving(s.moves);
        return s.replication_factor == o.replication_factor && s.under_replicated_slots == 0 &&
               s.moves.empty();
      });
  result.copy.seconds = Seconds(Clock::now() - copy_start);
  reader.Stop();
  const Status restored = client->SetReplicationFactor(result.replication_factor_before).status();
  DKV_RETURN_NOT_OK(copied.status().CloneAndPrepend(
      (restored.ok() ? "R set back to " + std::to_string(result.replication_factor_before)
                     : "R left at " + std::to_string(o.replication_factor)) +
      " after"));
  DKV_RETURN_NOT_OK(restored.CloneAndPrepend("setting R back"));

  result.copy.keys = KeysHeld(*copied) - held_before;
  result.moves = static_cast<int32_t>(move_rates.size());
  std::vector<int64_t> rates;
  for (const auto& [id, rate] : move_rates) rates.push_back(rate);
  if (!rates.empty()) {
    std::nth_element(rates.begin(), rates.begin() + rates.size() / 2, rates.end());
    result.median_move_keys_per_second = rates[rates.size() / 2];
  }
  result.quiet = reader.Summary(Reader::kQuiet);
  result.copying = reader.Summary(Reader::kCopying);
  result.copying_other = reader.Summary(Reader::kCopyingOther);
  return result;
}

}  // namespace dkv::bench
