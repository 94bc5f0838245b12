#include "bench/data_failover.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "bench/cluster_members.h"
#include "bench/outage_tracker.h"
#include "common/coord/cluster_paths.h"
#include "common/deadline.h"
#include "common/logging.h"
#include "common/rpc/metadata_codec.h"
#include "common/slot.h"

namespace dkv::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// How long writes must go on without a failure, once the node is back, before a round ends: a
// failure later than that is not counted.
constexpr milliseconds kQuiet{1000};

microseconds Micros(Clock::duration d) { return std::chrono::duration_cast<microseconds>(d); }

Result<SlotMap> ReadSlotMap(coord::Coordinator* coord, const coord::ClusterPaths& paths) {
  DKV_ASSIGN_OR_RETURN(coord::NodeData node, coord->Get(paths.slotmap()));
  SlotMap map;
  DKV_RETURN_NOT_OK(rpc::DecodeSlotMap(node.data, &map));
  return map;
}

// The writer threads of one round: writer w Sets keys w, w + n, w + 2n, ... in turn through
// clients[w], reporting each call to the tracker, until destroyed. Started by the constructor,
// stopped and joined by the destructor (also on a round's error paths).
class Writers {
 public:
  Writers(const std::vector<std::unique_ptr<client::Client>>& clients,
          const std::vector<std::string>& keys, milliseconds timeout, OutageTracker* tracker) {
    const size_t n = std::min(clients.size(), keys.size());
    for (size_t w = 0; w < n; ++w) {
      threads_.emplace_back([this, &keys, timeout, tracker, n, w, c = clients[w].get()] {
        for (int64_t i = 0; !stop_.load(std::memory_order_relaxed); ++i) {
          for (size_t k = w; k < keys.size() && !stop_.load(std::memory_order_relaxed); k += n) {
            const auto start = Clock::now();
            const bool ok = c->Set(keys[k], std::to_string(i), timeout).ok();
            tracker->Record(static_cast<int>(k), start, Clock::now(), ok);
          }
        }
      });
    }
  }
  ~Writers() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
  }
  Writers(const Writers&) = delete;
  Writers& operator=(const Writers&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace

std::vector<std::string> KeysServedBy(const SlotMap& map, const std::string& node, int count,
                                      const std::string& prefix) {
  std::vector<std::string> keys;
  bool serves_any = false;
  for (Slot s = 0; s < map.slot_count() && !serves_any; ++s) serves_any = ServesSlot(map, s, node);
  if (!serves_any) return keys;
  // A node serving one slot in S takes ~S candidates per key; the bound only guards the loop.
  const int64_t max_candidates = int64_t{count} * map.slot_count() * 100;
  for (int64_t i = 0; static_cast<int>(keys.size()) < count && i < max_candidates; ++i) {
    std::string key = prefix + std::to_string(i);
    if (ServesSlot(map, SlotOf(key, map.slot_count()), node)) keys.push_back(std::move(key));
  }
  return keys;
}

Result<std::vector<DataFailoverRound>> RunDataFailover(const DataFailoverOptions& options) {
  const FailoverOptions& o = options.cluster;
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<coord::Coordinator> coord, ConnectCoordinator(o));
  const coord::ClusterPaths paths(o.cluster);
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<client::Client> probe, ConnectClient(o));
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int w = 0; w < std::min(options.writers, options.keys); ++w) {
    DKV_ASSIGN_OR_RETURN(std::unique_ptr<client::Client> c, ConnectClient(o));
    clients.push_back(std::move(c));
  }

  DKV_ASSIGN_OR_RETURN(size_t data_nodes, CountChildren(coord.get(), paths.data()));
  if (data_nodes == 0) {
    return Status::Unavailable("cluster '" + o.cluster + "' has no data node registered");
  }
  std::vector<DataFailoverRound> rounds;
  for (int i = 0; i < o.kills; ++i) {
    const Deadline deadline = Deadline::After(o.round_timeout);
    DataFailoverRound round;
    std::vector<std::string> keys;
    MemberInfo victim;
    // The previous round's victim must be back (restarted by its supervisor), a master must
    // serve, and the slot map must give the next victim slots, before the next kill.
    DKV_RETURN_NOT_OK(PollUntil(
        [&] {
          auto nodes = coord->GetChildren(paths.data());
          if (!nodes.ok() || nodes->size() < data_nodes ||
              !probe->Set("failover-probe", "up", milliseconds(500)).ok()) {
            return false;
          }
          std::sort(nodes->begin(), nodes->end());
          round.killed = (*nodes)[i % nodes->size()];
          auto member = ReadMember(coord.get(), paths.data_node(round.killed));
          auto map = ReadSlotMap(coord.get(), paths);
          if (!member.ok() || !map.ok()) return false;
          victim = *member;
          keys = KeysServedBy(*map, round.killed, options.keys,
                              "data-failover-" + std::to_string(i) + "-");
          return !keys.empty();
        },
        deadline, std::to_string(data_nodes) + " data nodes, a serving master and a slot map"));
    round.keys = static_cast<int>(keys.size());

    OutageTracker tracker(round.keys);
    Writers writers(clients, keys, options.write_timeout, &tracker);
    DKV_RETURN_NOT_OK(PollUntil([&] { return tracker.Summarize().warmed_up; }, deadline,
                                "a write of each key before killing " + round.killed));
    const auto killed_at = Clock::now();
    tracker.SetKilledAt(killed_at);
    DKV_RETURN_NOT_OK(KillMember("data node " + round.killed, victim));

    // Done when the node has registered again (a new pid: the old znode lives until its session
    // expires), every key is back, and nothing has failed for kQuiet.
    bool back = false;
    OutageTracker::Summary summary;
    DKV_RETURN_NOT_OK(PollUntil(
        [&] {
          if (!back) {
            auto member = ReadMember(coord.get(), paths.data_node(round.killed));
            back = member.ok() && member->pid != victim.pid;
          }
          summary = tracker.Summarize();
          const auto now = Clock::now() - killed_at;
          // recovered is past every failure (a failure reopens the outage).
          return back && summary.recovered && now - *summary.recovered >= kQuiet;
        },
        deadline, "writes to the slots of " + round.killed + " to succeed again"));
    if (summary.first_failure) round.first_failure = Micros(*summary.first_failure);
    round.recovered = Micros(*summary.recovered);
    round.writes = summary.writes;
    round.failed_writes = summary.failed_writes;
    if (summary.failed_before_kill > 0) {
      DKV_LOG(WARNING) << "round " << i + 1 << ": " << summary.failed_before_kill
                       << " writes failed before the kill";
    }
    DKV_LOG(INFO) << "round " << i + 1 << ": killed " << round.killed << " (" << round.keys
                  << " keys), first failure after "
                  << (round.first_failure ? std::to_string(round.first_failure->count() / 1000)
                                          : std::string("-"))
                  << " ms, recovered after " << round.recovered.count() / 1000 << " ms, "
                  << round.failed_writes << " of " << round.writes << " writes failed";
    rounds.push_back(round);
  }
  return rounds;
}

}  // namespace dkv::bench
