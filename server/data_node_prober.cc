#include "server/data_node_prober.h"

#include <utility>
#include <vector>

#include "common/logging.h"

namespace dkv::server {

DataNodeProber::DataNodeProber(Router* router, DataNodeProberOptions options,
                               std::function<void()> on_change)
    : router_(router), options_(options), on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { Loop(); });
}

DataNodeProber::~DataNodeProber() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
    stop_cv_.SignalAll();
  }
  thread_.join();
}

std::set<std::string> DataNodeProber::Unreachable() const {
  MutexLock l(&mu_);
  return unreachable_;
}

std::set<std::string> DataNodeProber::Restarted() const {
  MutexLock l(&mu_);
  return restarted_;
}

std::map<std::string, std::vector<Slot>> DataNodeProber::Stale() const {
  MutexLock l(&mu_);
  return stale_;
}

void DataNodeProber::ClearRestarted(const std::set<std::string>& ids) {
  MutexLock l(&mu_);
  for (const std::string& id : ids) restarted_.erase(id);
}

void DataNodeProber::Loop() {
  for (;;) {
    {
      MutexLock l(&mu_);
      const auto until = std::chrono::steady_clock::now() + options_.interval;
      while (!stopping_ && stop_cv_.WaitUntil(until)) {
      }
      if (stopping_) return;
    }
    // Probes go out with no lock held: a hung node costs this thread its timeout, nobody else.
    const std::vector<DataNodeRoute> nodes = router_->Summarize().data_nodes;
    std::map<std::string, Result<DataNodeStats>> results;
    std::map<std::string, int32_t> pids;  // as data/ names them
    for (const DataNodeRoute& node : nodes) {
      results.emplace(node.id, node.channel->Stats(options_.timeout));
      pids[node.id] = node.pid;
    }
    bool changed = false;
    {
      MutexLock l(&mu_);
      std::map<std::string, int> failed;
      std::set<std::string> unreachable;
      std::map<std::string, std::vector<Slot>> stale;
      for (const auto& [id, result] : results) {
        const Status& status = result.status();
        if (status.ok() && !result->stale_slots.empty()) stale[id] = result->stale_slots;
        if (status.ok()) {
          // pid 0: not known (a test fake, or a member record without one).
          if (result->pid != 0 && pids[id] != 0 && result->pid != pids[id] &&
              !restarted_.count(id)) {
            DKV_LOG(WARNING) << "data node " << id << " restarted: pid " << result->pid
                             << " answers at its address, data/ still names pid " << pids[id];
            restarted_.insert(id);
            changed = true;
          }
        }
        const int count = status.ok() ? 0 : failed_[id] + 1;
        failed[id] = count;
        if (count >= options_.failures) unreachable.insert(id);
        if (count == options_.failures) {
          DKV_LOG(WARNING) << "data node " << id << " is unreachable (" << count
                           << " probes failed): " << status.ToString();
        } else if (status.ok() && unreachable_.count(id)) {
          DKV_LOG(INFO) << "data node " << id << " answers again";
        }
      }
      changed = changed || unreachable != unreachable_ || stale != stale_;
      failed_ = std::move(failed);
      unreachable_ = std::move(unreachable);
      stale_ = std::move(stale);
    }
    if (changed) on_change_();
  }
}

}  // namespace dkv::server
