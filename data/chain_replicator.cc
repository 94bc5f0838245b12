#include "data/chain_replicator.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "common/logging.h"

namespace dkv::data {

namespace {

// How soon a link's thread sends the effects nobody waits for (unsafe_put, expiry).
constexpr std::chrono::milliseconds kIdlePoll{2};

}  // namespace

ChainReplicator::ChainReplicator(std::function<ChainView()> view, EffectChannelFactory channels,
                                 ChainReplicatorOptions options)
    : view_(std::move(view)), channel_factory_(std::move(channels)), options_(options) {}

ChainReplicator::~ChainReplicator() { Stop(); }

void ChainReplicator::Start() {
  dispatcher_ = std::thread([this] { DispatchLoop(); });
}

void ChainReplicator::Stop() {
  std::vector<Link*> links;
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
    for (auto& [successor, link] : links_) links.push_back(link.get());
  }
  for (Link* link : links) link->thread.join();
}

void ChainReplicator::Append(std::vector<Effect> effects) {
  if (effects.empty()) return;
  MutexLock l(&mu_);
  // Nobody is woken: the thread that waits for these effects sends them (Wait), and the link's
  // thread picks up the ones nobody waits for within kIdlePoll. Waking a thread for every
  // effect would send rounds of one effect each, at the cost of two thread switches apiece.
  for (Effect& effect : effects) queue_.push_back(Entry{next_id_++, std::move(effect)});
}

void ChainReplicator::Kick() {
  MutexLock l(&mu_);
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
    while (!Settled(waits[i], generations[i], &a) && !stopping_) {
      // Run the round that carries this effect if its link is idle; else wait for whoever runs it.
      const ChainView view = view_();
      Link* link = nullptr;
      if (view.map && waits[i].slot < view.map->slot_count()) {
        auto it = links_.find(view.map->Successor(waits[i].slot, view.self));
        if (it != links_.end()) link = it->second.get();
      }
      if (link != nullptr && !link->sending.count(waits[i].slot) && CanRun(*link) &&
          RunRound(link)) {
        continue;
      }
      if (!acked_cv_.WaitUntil(deadline)) break;
    }
    acked[i] = Settled(waits[i], generations[i], &a) && a;
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
          Link* link =
              links_.emplace(successor, std::make_unique<Link>(successor)).first->second.get();
          link->thread = std::thread([this, link] { LinkLoop(link); });
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
                                const std::unordered_set<Slot>& skip, std::vector<Effect>* effects,
                                std::vector<uint64_t>* ids) {
  size_t bytes = 0;
  std::unordered_set<Slot> held;  // slots with an effect left for the next round: none may pass it
  for (const Entry& entry : queue_) {
    const Effect& e = entry.effect;
    if (held.count(e.slot) || skip.count(e.slot) || e.slot >= view.map->slot_count() ||
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

bool ChainReplicator::CanRun(const Link& link) const {
  return link.in_flight < options_.max_rounds_in_flight &&
         (map_epoch_ != link.retry_map_epoch || std::chrono::steady_clock::now() >= link.retry_at);
}

void ChainReplicator::LinkLoop(Link* link) {
  MutexLock l(&mu_);
  while (!stopping_) {
    const uint64_t seen = map_epoch_;
    if (CanRun(*link) && RunRound(link)) continue;
    // Nothing to send, or others send, or a retry pause: look again after a short while, at the
    // end of the pause, or at once when the map changes.
    const auto now = std::chrono::steady_clock::now();
    WaitForChange(&map_epoch_, seen, std::max(link->retry_at, now + kIdlePoll));
  }
}

bool ChainReplicator::RunRound(Link* link) {
  const ChainView view = view_();
  std::vector<Effect> effects;
  std::vector<uint64_t> ids;
  if (view.map) TakeRound(view, link->successor, link->sending, &effects, &ids);
  if (effects.empty()) return false;
  ++link->in_flight;
  // The streams the round belongs to: an answer for a slot restarted meanwhile (its table dropped
  // or re-created) acknowledges nothing of the new stream.
  std::unordered_map<Slot, uint64_t> generations;
  for (const Effect& e : effects) {
    link->sending.insert(e.slot);
    generations.emplace(e.slot, slots_[e.slot].generation);
  }
  std::unique_ptr<EffectChannel> channel;
  if (!link->idle_channels.empty()) {
    channel = std::move(link->idle_channels.back());
    link->idle_channels.pop_back();
  }
  const uint64_t map_seen = map_epoch_;
  bool complete = false;
  std::unordered_set<uint64_t> done;
  std::unordered_map<Slot, uint64_t> acked;
  mu_.Unlock();
  Status failure;  // of the round, logged below
  if (!channel) {
    Result<std::unique_ptr<EffectChannel>> opened = channel_factory_(link->successor);
    if (opened.ok()) {
      channel = std::move(*opened);
    } else {
      failure = opened.status();
    }
  }
  const Fence fence{view.epoch, view.map->version()};
  if (channel) {
    Result<std::vector<SlotSeq>> reply = channel->Start(fence, view.self, effects)->Wait();
    if (reply.ok()) {
      std::unordered_map<Slot, uint64_t> through;
      for (const SlotSeq& s : *reply) through[s.slot] = std::max(through[s.slot], s.seq);
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
    } else {
      // Reopened next round: the node may have restarted elsewhere, or the map moved on.
      failure = reply.status();
      channel.reset();
    }
  }
  mu_.Lock();
  for (auto it = acked.begin(); it != acked.end();) {
    it = slots_[it->first].generation == generations[it->first] ? std::next(it) : acked.erase(it);
  }
  Settle(done, acked, {});
  --link->in_flight;
  for (const Effect& e : effects) link->sending.erase(e.slot);
  if (channel) link->idle_channels.push_back(std::move(channel));
  const auto now = std::chrono::steady_clock::now();
  if (!failure.ok() && now - link->last_logged >= std::chrono::seconds(1)) {
    // Retried every few milliseconds: logged once a second.
    link->last_logged = now;
    DKV_LOG(WARNING) << "replicating " << effects.size() << " effects to " << link->successor
                     << " (map version " << fence.map_version << "): " << failure.ToString();
  }
  if (!complete) {
    // A failed or partly refused round: again after a pause, or as soon as the map changes.
    link->retry_at = now + options_.retry_pause;
    link->retry_map_epoch = map_seen;
  }
  // Waiters may run the next round now.
  acked_cv_.SignalAll();
  return true;
}

}  // namespace dkv::data
