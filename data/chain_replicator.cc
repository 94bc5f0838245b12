#include "data/chain_replicator.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "common/logging.h"

namespace dkv::data {

ChainReplicator::ChainReplicator(std::function<ChainView()> view, EffectChannelFactory channels,
                                 ChainReplicatorOptions options)
    : view_(std::move(view)), channel_factory_(std::move(channels)), options_(options) {}

ChainReplicator::~ChainReplicator() { Stop(); }

void ChainReplicator::Start() {
  dispatcher_ = std::thread([this] { DispatchLoop(); });
}

void ChainReplicator::Stop() {
  std::map<std::string, std::thread> links;
  {
    MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
    work_cv_.SignalAll();
    acked_cv_.SignalAll();
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  {
    // The dispatcher starts links; once it is gone the set is final.
    MutexLock l(&mu_);
    links.swap(links_);
  }
  for (auto& [successor, thread] : links) thread.join();
}

void ChainReplicator::Append(std::vector<Effect> effects) {
  if (effects.empty()) return;
  MutexLock l(&mu_);
  for (Effect& effect : effects) queue_.push_back(Entry{next_id_++, std::move(effect)});
  ++work_epoch_;
  work_cv_.SignalAll();
}

void ChainReplicator::Kick() {
  MutexLock l(&mu_);
  ++work_epoch_;
  ++map_epoch_;
  work_cv_.SignalAll();
}

void ChainReplicator::Restart(Slot slot, uint64_t acked) {
  MutexLock l(&mu_);
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [&](const Entry& e) { return e.effect.slot == slot; }),
               queue_.end());
  SlotState& state = slots_[slot];
  state.acked = acked;
  state.failed = 0;
  ++state.generation;
  acked_cv_.SignalAll();
}

bool ChainReplicator::Settled(const SlotSeq& wait, uint64_t generation, bool* acked) {
  const SlotState& state = slots_[wait.slot];
  if (state.generation != generation) {
    *acked = false;
    return true;
  }
  *acked = state.acked >= wait.seq;
  return *acked || state.failed >= wait.seq;
}

std::vector<bool> ChainReplicator::Wait(const std::vector<SlotSeq>& waits,
                                        std::chrono::steady_clock::time_point deadline) {
  std::vector<bool> acked(waits.size(), false);
  MutexLock l(&mu_);
  std::vector<uint64_t> generations;
  generations.reserve(waits.size());
  for (const SlotSeq& wait : waits) generations.push_back(slots_[wait.slot].generation);
  for (size_t i = 0; i < waits.size(); ++i) {
    bool a = false;
    while (!Settled(waits[i], generations[i], &a) && !stopping_ && acked_cv_.WaitUntil(deadline)) {
    }
    acked[i] = a;
  }
  return acked;
}

uint64_t ChainReplicator::AckedSeq(Slot slot) const {
  MutexLock l(&mu_);
  auto it = slots_.find(slot);
  return it == slots_.end() ? 0 : it->second.acked;
}

size_t ChainReplicator::QueuedForTests() const {
  MutexLock l(&mu_);
  return queue_.size();
}

void ChainReplicator::WaitForChange(const uint64_t* epoch, uint64_t seen,
                                    std::chrono::steady_clock::time_point until) {
  while (!stopping_ && *epoch == seen && work_cv_.WaitUntil(until)) {
  }
}

void ChainReplicator::Settle(const std::unordered_set<uint64_t>& done,
                             const std::unordered_map<Slot, uint64_t>& acked,
                             const std::unordered_map<Slot, uint64_t>& failed) {
  if (!done.empty()) {
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                                [&](const Entry& e) { return done.count(e.id) != 0; }),
                 queue_.end());
  }
  for (const auto& [slot, seq] : acked) {
    SlotState& state = slots_[slot];
    state.acked = std::max(state.acked, seq);
  }
  for (const auto& [slot, seq] : failed) {
    SlotState& state = slots_[slot];
    state.failed = std::max(state.failed, seq);
  }
  if (!acked.empty() || !failed.empty()) acked_cv_.SignalAll();
}

void ChainReplicator::DispatchLoop() {
  // Effects that need no sending, and new successors, come from map changes (Kick); the sweep
  // also catches an effect appended while a map was being applied.
  constexpr auto kSweep = std::chrono::milliseconds(100);
  for (;;) {
    const ChainView view = view_();
    std::unordered_set<uint64_t> done;
    std::unordered_map<Slot, uint64_t> tails;    // chains ending here: acknowledged through
    std::unordered_map<Slot, uint64_t> dropped;  // slots this node left: failed through
    MutexLock l(&mu_);
    if (stopping_) return;
    if (view.map) {
      for (const Entry& entry : queue_) {
        const Effect& e = entry.effect;
        if (e.slot >= view.map->slot_count() || !view.map->IsMember(e.slot, view.self)) {
          dropped[e.slot] = std::max(dropped[e.slot], e.seq);
          done.insert(entry.id);
          continue;
        }
        const std::string successor = view.map->Successor(e.slot, view.self);
        if (successor.empty()) {
          tails[e.slot] = std::max(tails[e.slot], e.seq);
          done.insert(entry.id);
        } else if (links_.count(successor) == 0) {
          links_.emplace(successor, std::thread([this, successor] { LinkLoop(successor); }));
        }
      }
    }
    for (const auto& [slot, seq] : dropped) {
      DKV_LOG(WARNING) << "slot " << slot << ": this node left its chain; effects up to " << seq
                       << " not known to be replicated are given up";
    }
    Settle(done, tails, dropped);
    WaitForChange(&map_epoch_, map_epoch_, std::chrono::steady_clock::now() + kSweep);
  }
}

void ChainReplicator::TakeRound(const ChainView& view, const std::string& successor,
                                std::vector<Effect>* effects, std::vector<uint64_t>* ids) {
  size_t bytes = 0;
  std::unordered_set<Slot> held;  // slots with an effect left for the next round: none may pass it
  for (const Entry& entry : queue_) {
    const Effect& e = entry.effect;
    if (held.count(e.slot) || e.slot >= view.map->slot_count() ||
        view.map->Successor(e.slot, view.self) != successor) {
      continue;
    }
    if (effects->size() >= options_.max_round_effects || bytes >= options_.max_round_bytes) {
      held.insert(e.slot);
      continue;
    }
    effects->push_back(e);
    ids->push_back(entry.id);
    bytes += e.bytes();
  }
}

void ChainReplicator::LinkLoop(const std::string& successor) {
  // Used by this thread only.
  std::unique_ptr<EffectChannel> channel;
  std::chrono::steady_clock::time_point last_logged;
  auto log_failure = [&](const std::string& what, const Status& status) {
    // Retried every few milliseconds: logged once a second.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_logged < std::chrono::seconds(1)) return;
    last_logged = now;
    DKV_LOG(WARNING) << "replicating " << what << " to " << successor << ": " << status.ToString();
  };
  constexpr auto kForever = std::chrono::hours(24);
  for (;;) {
    const ChainView view = view_();
    std::vector<Effect> effects;
    std::vector<uint64_t> ids;
    uint64_t map_seen = 0;
    {
      MutexLock l(&mu_);
      if (stopping_) return;
      map_seen = map_epoch_;
      if (view.map) TakeRound(view, successor, &effects, &ids);
      if (effects.empty()) {
        WaitForChange(&work_epoch_, work_epoch_, std::chrono::steady_clock::now() + kForever);
        continue;
      }
    }
    bool complete = false;
    if (!channel) {
      Result<std::unique_ptr<EffectChannel>> opened = channel_factory_(successor);
      if (opened.ok()) {
        channel = std::move(*opened);
      } else {
        log_failure("effects", opened.status());
      }
    }
    if (channel) {
      const Fence fence{view.epoch, view.map->version()};
      Result<std::vector<SlotSeq>> reply = channel->Start(fence, view.self, effects)->Wait();
      if (reply.ok()) {
        std::unordered_map<Slot, uint64_t> through;
        for (const SlotSeq& s : *reply) through[s.slot] = std::max(through[s.slot], s.seq);
        std::unordered_set<uint64_t> done;
        std::unordered_map<Slot, uint64_t> acked;
        complete = true;
        for (size_t i = 0; i < effects.size(); ++i) {
          const Effect& e = effects[i];
          auto it = through.find(e.slot);
          if (it != through.end() && e.seq <= it->second) {
            done.insert(ids[i]);
            acked[e.slot] = std::max(acked[e.slot], e.seq);
          } else {
            complete = false;
          }
        }
        MutexLock l(&mu_);
        Settle(done, acked, {});
      } else {
        // Reopened next round: the node may have restarted elsewhere, or the map moved on.
        log_failure(std::to_string(effects.size()) + " effects (map version " +
                        std::to_string(fence.map_version) + ")",
                    reply.status());
        channel.reset();
      }
    }
    if (complete) continue;
    // A failed or partly refused round: again after a pause, or as soon as the map changes.
    MutexLock l(&mu_);
    WaitForChange(&map_epoch_, map_seen, std::chrono::steady_clock::now() + options_.retry_pause);
  }
}

}  // namespace dkv::data
