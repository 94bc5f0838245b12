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
  sender_ = std::thread([this] { SenderLoop(); });
}

void ChainReplicator::Stop() {
  {
    MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
    work_cv_.SignalAll();
    acked_cv_.SignalAll();
  }
  if (sender_.joinable()) sender_.join();
}

void ChainReplicator::Append(std::vector<Effect> effects) {
  if (effects.empty()) return;
  MutexLock l(&mu_);
  for (Effect& effect : effects) queue_.push_back(Entry{next_id_++, std::move(effect)});
  work_cv_.Signal();
}

void ChainReplicator::Kick() {
  MutexLock l(&mu_);
  kicked_ = true;
  work_cv_.Signal();
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

void ChainReplicator::LogFailure(const std::string& successor, const std::string& what,
                                 const Status& status) {
  // Retried every few milliseconds: logged once a second per successor.
  const auto now = std::chrono::steady_clock::now();
  auto& logged = last_failure_log_[successor];
  if (now - logged < std::chrono::seconds(1)) return;
  logged = now;
  DKV_LOG(WARNING) << "replicating " << what << " to " << successor << ": " << status.ToString();
}

void ChainReplicator::SenderLoop() {
  for (;;) {
    {
      MutexLock l(&mu_);
      while (!stopping_ && queue_.empty()) work_cv_.Wait();
      if (stopping_) return;
      kicked_ = false;
    }
    if (Round()) continue;
    // A send failed (or nothing could be sent yet): pause, unless the map changes meanwhile.
    MutexLock l(&mu_);
    const auto until = std::chrono::steady_clock::now() + options_.retry_pause;
    while (!stopping_ && !kicked_ && work_cv_.WaitUntil(until)) {
    }
  }
}

bool ChainReplicator::Round() {
  const ChainView view = view_();
  if (!view.map) return false;  // no slot map read yet: nothing can be routed
  // What to send, per successor: a copy of the queue's first effects (they stay queued until
  // acknowledged, so an effect is never lost between rounds).
  struct Batch {
    std::vector<Effect> effects;
    std::vector<uint64_t> ids;
    size_t bytes = 0;
    std::unique_ptr<PendingReplicate> pending;
  };
  std::map<std::string, Batch> batches;
  std::unordered_set<uint64_t> done;           // acknowledged or dropped this round
  std::unordered_map<Slot, uint64_t> tails;    // slots whose chain ends here: acked through
  std::unordered_map<Slot, uint64_t> dropped;  // slots this node left: failed through
  std::unordered_set<Slot> held;  // slots with an effect left for the next round: none may pass it
  {
    MutexLock l(&mu_);
    for (const Entry& entry : queue_) {
      const Effect& e = entry.effect;
      if (held.count(e.slot)) continue;
      if (e.slot >= view.map->slot_count() || !view.map->IsMember(e.slot, view.self)) {
        dropped[e.slot] = std::max(dropped[e.slot], e.seq);
        done.insert(entry.id);
        continue;
      }
      const std::string successor = view.map->Successor(e.slot, view.self);
      if (successor.empty()) {
        tails[e.slot] = std::max(tails[e.slot], e.seq);
        done.insert(entry.id);
        continue;
      }
      Batch& batch = batches[successor];
      if (batch.effects.size() >= options_.max_round_effects ||
          batch.bytes >= options_.max_round_bytes) {
        held.insert(e.slot);
        continue;
      }
      batch.effects.push_back(e);
      batch.ids.push_back(entry.id);
      batch.bytes += e.bytes();
    }
  }
  for (const auto& [slot, seq] : dropped) {
    DKV_LOG(WARNING) << "slot " << slot << ": this node left its chain; effects up to " << seq
                     << " not known to be replicated are given up";
  }

  // Every request goes out before any reply is awaited: the successors work in parallel.
  const Fence fence{view.epoch, view.map->version()};
  bool all_sent = true;
  for (auto& [successor, batch] : batches) {
    auto channel = channels_.find(successor);
    if (channel == channels_.end()) {
      Result<std::unique_ptr<EffectChannel>> opened = channel_factory_(successor);
      if (!opened.ok()) {
        LogFailure(successor, "effects", opened.status());
        all_sent = false;
        continue;
      }
      channel = channels_.emplace(successor, std::move(*opened)).first;
    }
    batch.pending = channel->second->Start(fence, view.self, batch.effects);
  }
  std::unordered_map<Slot, uint64_t> acked = tails;
  for (auto& [successor, batch] : batches) {
    if (!batch.pending) continue;
    Result<std::vector<SlotSeq>> reply = batch.pending->Wait();
    if (!reply.ok()) {
      // Reopened next round: the node may have restarted elsewhere, or the map moved on.
      LogFailure(successor, std::to_string(batch.effects.size()) + " effects (map version " +
                                std::to_string(fence.map_version) + ")",
                 reply.status());
      channels_.erase(successor);
      all_sent = false;
      continue;
    }
    std::unordered_map<Slot, uint64_t> through;
    for (const SlotSeq& s : *reply) through[s.slot] = std::max(through[s.slot], s.seq);
    bool complete = true;
    for (size_t i = 0; i < batch.effects.size(); ++i) {
      const Effect& e = batch.effects[i];
      auto it = through.find(e.slot);
      if (it != through.end() && e.seq <= it->second) {
        done.insert(batch.ids[i]);
        acked[e.slot] = std::max(acked[e.slot], e.seq);
      } else {
        complete = false;
      }
    }
    if (!complete) all_sent = false;
  }

  MutexLock l(&mu_);
  if (!done.empty()) {
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                                [&](const Entry& e) { return done.count(e.id) != 0; }),
                 queue_.end());
  }
  for (const auto& [slot, seq] : acked) {
    SlotState& state = slots_[slot];
    state.acked = std::max(state.acked, seq);
  }
  for (const auto& [slot, seq] : dropped) {
    SlotState& state = slots_[slot];
    state.failed = std::max(state.failed, seq);
  }
  if (!acked.empty() || !dropped.empty()) acked_cv_.SignalAll();
  // Slots held back by a full batch go in the next round at once.
  return all_sent;
}

}  // namespace dkv::data
