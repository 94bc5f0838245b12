// ChainReplicator: a data node's outgoing effect stream (docs/replication.md). Every slot this node
// heads or relays (a chain member with a successor) hands its effects here, in sequence order,
// under the slot's lock (Store's EffectSink); they are sent down the chains, and each successor
// says up to which seq it, and everything after it, applied them. Replies wait for that (Wait): a
// write is acknowledged only once the tail applied it.
//
// Each effect's successor is decided anew at every send from the node's current slot map
// (ChainView), so a chain change needs nothing special: after a member is spliced out, the effects
// it may lack are simply sent to the new successor (which skips what it has, by seq), an effect of
// a slot whose chain now ends at this node is acknowledged, and one of a slot this node left is
// dropped (its waiters fail: the write may or may not survive, which the client learns as
// UNAVAILABLE). Every successor has a link of its own, which sends it rounds (the effects queued
// for it, in order), up to max_rounds_in_flight at once on connections of their own but never two
// with effects of the same slot, so a successor sees each slot's effects in order; it retries after
// a short pause or as soon as the map changes (Kick). A successor that hangs (a partition: no
// answer, no reset) holds up its own rounds only, never the other successors' nor the effects the
// new map routes elsewhere. Effects stay queued until acknowledged, so none is lost between rounds.
//
// A round is run by whoever finds the link free: a thread waiting for its effects (Wait) runs it
// itself rather than waking the link's thread and being woken again (two thread switches fewer
// on every write's path, and a round carries every effect queued by then), and the link's thread
// runs, within a few milliseconds, the rounds nobody waits for (unsafe_put, expiry, retries).
//
// Thread-safety: every method is thread-safe. Append is called with a stripe lock of the Store
// held and only takes mu_. `view` is called with mu_ held and must not call the replicator; the
// channels are called with no lock held. Lock order: Store stripe, then mu_, then what `view`
// locks. Threads: the dispatcher (settles what needs no sending, starts the links) and a thread
// per link, all started by Start and joined by Stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/effect.h"
#include "common/fence.h"
#include "common/mutex.h"
#include "common/slot_map.h"
#include "data/effect_channel.h"
#include "data/store.h"
#include "dkv/result.h"

namespace dkv::data {

// What the sender routes by: this node's id, the highest master epoch it saw and its slot map.
struct ChainView {
  std::string self;
  int64_t epoch = 0;
  std::shared_ptr<const SlotMap> map;  // null before the node read any map
};

// Opens a channel to data node `node_id` (resolving its address); an error when it cannot.
using EffectChannelFactory =
    std::function<Result<std::unique_ptr<EffectChannel>>(const std::string& node_id)>;

struct ChainReplicatorOptions {
  size_t max_round_effects = 4096;  // per successor and round
  size_t max_round_bytes = size_t{8} << 20;
  int max_rounds_in_flight = 4;               // per successor, no two carrying the same slot
  std::chrono::milliseconds retry_pause{20};  // after a failed send, unless the map changes
};

class ChainReplicator : public EffectSink {
 public:
  ChainReplicator(std::function<ChainView()> view, EffectChannelFactory channels,
                  ChainReplicatorOptions options = {});
  ~ChainReplicator() override;  // Stop()
  ChainReplicator(const ChainReplicator&) = delete;
  ChainReplicator& operator=(const ChainReplicator&) = delete;

  void Start();
  // Stops the sender; waiters fail. Idempotent.
  void Stop() EXCLUDES(mu_);

  // EffectSink: queues the effects (one slot's, ascending seq).
  void Append(std::vector<Effect> effects) override EXCLUDES(mu_);

  // The map changed: route again now.
  void Kick() EXCLUDES(mu_);

  // `slot`'s stream starts over: its table was dropped or re-created, or the node just got a
  // successor for it. What was queued for it goes, its waiters fail, and effects up to `acked`
  // count as applied by the chain after this node (a new successor was copied from this table).
  void Restart(Slot slot, uint64_t acked) EXCLUDES(mu_);

  // Waits until every (slot, seq) of `waits` is acknowledged or given up, or `deadline` passed;
  // returns, for each, whether it was acknowledged.
  std::vector<bool> Wait(const std::vector<SlotSeq>& waits,
                         std::chrono::steady_clock::time_point deadline) EXCLUDES(mu_);
  // The seq up to which `slot` is acknowledged (0 when nothing was).
  uint64_t AckedSeq(Slot slot) const EXCLUDES(mu_);

  // Effects queued and not yet acknowledged.
  size_t QueuedForTests() const EXCLUDES(mu_);

 private:
  struct Entry {
    uint64_t id = 0;
    Effect effect;
  };
  struct SlotState {
    uint64_t acked = 0;       // acknowledged through
    uint64_t failed = 0;      // dropped through: waiters up to it fail
    uint64_t generation = 0;  // raised by Restart: earlier waiters fail
  };

  // One successor's sending state.
  struct Link {
    explicit Link(std::string id) : successor(std::move(id)) {}
    const std::string successor;
    int in_flight = 0;                 // rounds under way (run by the link's thread or by waiters)
    std::unordered_set<Slot> sending;  // the slots of those rounds: no other round may carry them
    // After a failed or partly refused round: no round before retry_at unless the map changed
    // since retry_map_epoch.
    std::chrono::steady_clock::time_point retry_at;
    uint64_t retry_map_epoch = 0;
    // Connections not in use by a round (a round takes one, or opens one).
    std::vector<std::unique_ptr<EffectChannel>> idle_channels;
    std::chrono::steady_clock::time_point last_logged;
    std::thread thread;
  };

  // Settles what needs no sending (slots whose chain ends here, or that this node left) and starts
  // a link for every successor the queue needs.
  void DispatchLoop() EXCLUDES(mu_);
  // Runs the link's rounds nobody else runs, until Stop.
  void LinkLoop(Link* link) EXCLUDES(mu_);
  // Whether a round may start on `link` now (below its rounds in flight, not in its retry pause).
  bool CanRun(const Link& link) const REQUIRES(mu_);
  // Runs one round on `link`: sends the effects queued for its successor (of slots no other round
  // carries) and settles the answer, with mu_ released meanwhile. False when there was nothing to
  // send.
  bool RunRound(Link* link) REQUIRES(mu_);
  // The first effects queued for `successor` under `view`, in order, within the round limits,
  // leaving out the slots in `skip`.
  void TakeRound(const ChainView& view, const std::string& successor,
                 const std::unordered_set<Slot>& skip, std::vector<Effect>* effects,
                 std::vector<uint64_t>* ids) REQUIRES(mu_);
  // Removes the `done` entries and raises the slots' acknowledged (and failed) seqs.
  void Settle(const std::unordered_set<uint64_t>& done,
              const std::unordered_map<Slot, uint64_t>& acked,
              const std::unordered_map<Slot, uint64_t>& failed) REQUIRES(mu_);
  // Waits until `*epoch` moves past `seen`, Stop, or `until`.
  void WaitForChange(const uint64_t* epoch, uint64_t seen,
                     std::chrono::steady_clock::time_point until) REQUIRES(mu_);
  // Whether a wait for `wait` that started in `generation` is over; *acked: acknowledged.
  bool Settled(const SlotSeq& wait, uint64_t generation, bool* acked) REQUIRES(mu_);

  const std::function<ChainView()> view_;
  const EffectChannelFactory channel_factory_;
  const ChainReplicatorOptions options_;

  mutable Mutex mu_;
  CondVar work_cv_{&mu_};   // the dispatcher and idle links wait for work
  CondVar acked_cv_{&mu_};  // waiters wait for acknowledgements
  std::deque<Entry> queue_ GUARDED_BY(mu_);
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  uint64_t map_epoch_ GUARDED_BY(mu_) = 0;  // raised by Kick: routes may have changed
  std::unordered_map<Slot, SlotState> slots_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  // By successor; never removed before Stop, so a Link* stays valid.
  std::map<std::string, std::unique_ptr<Link>> links_ GUARDED_BY(mu_);
  std::thread dispatcher_;  // started by Start, joined by Stop
};

}  // namespace dkv::data
