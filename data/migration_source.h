// MigrationSource: the outgoing side of one slot move on a data node (docs/migration.md).
//
// The master starts it with migrate_slots: the source tracks the writes to the slots
// (Store::StartTracking), snapshots their keys (Store::SlotKeys) and streams them to the target
// node in the background through an ImportChannel (import_begin, then import_chunk calls of up to
// chunk_bytes each; a value bigger than that goes in ordered parts). finish_migration then runs
// delta rounds (the keys written since they were sent: Store::TakeDirty, resent with their current
// value or as deleted) until one round sends at most final_delta_bytes, pauses the slots' writes
// (Store::PauseWrites: writes answer MOVING), sends the last delta and has the target commit. The
// pause thus lasts about the time of sending what was written during one small round, and never
// longer than max_pause (the move fails and writes resume). After the commit the slots stay paused
// until the new slot map takes them away (SlotsDropped) or the move is aborted. Before the commit
// the chain after this node must have acknowledged everything the slots' tables reflect
// (chain_drained), and the commit carries each slot's seq: the target's copy continues the slots'
// effect streams from there (docs/replication.md).
//
// Any failure, Abort and a newer master epoch (Supersede) end the move: writes resume, tracking
// stops, and the target is told to discard its import (not on Supersede, which must not block:
// the target drops an older epoch's staged import by itself). A move never leaves a slot paused.
//
// Lifecycle: construct, Start() once, then Progress/Finish/Abort/Supersede/SlotsDropped from any
// thread; the destructor aborts a move still running and joins its thread.
// Threads: one copy thread of its own (Start to the end of the copy); Finish runs the delta rounds
// on the caller's thread. Lock order: finish_mu_, then channel_mu_, then mu_, then the Store's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "common/slot.h"
#include "common/slot_map.h"
#include "data/import_channel.h"
#include "data/store.h"
#include "dkv/status.h"

namespace dkv::data {

// What migration_status reports (the IDL's MigrationStatus).
struct MigrationProgress {
  int64_t migration_id = 0;
  // "copying", "delta" (copy done, waiting for finish), "frozen" (writes paused, final delta),
  // "committed", "failed", "aborted".
  std::string phase;
  int64_t keys_copied = 0;   // keys of the snapshot sent so far
  int64_t keys_total = 0;    // keys in the slots when the copy started
  int64_t bytes_copied = 0;  // key and value bytes sent, deltas included
  std::string error;         // why, when failed or aborted
};

struct MigrationSourceOptions {
  // Key and value bytes per import_chunk call, and the largest part of a big value.
  size_t chunk_bytes = 1 << 20;
  // Writes are paused once a delta round sent at most this many bytes.
  size_t final_delta_bytes = 1 << 20;
  // Delta rounds before giving up on a dirty set that does not shrink (writes outpace the move).
  int max_delta_rounds = 20;
  // The longest the slots' writes stay paused before the commit; past it the move fails.
  std::chrono::milliseconds max_pause{1000};
  // Waits (until the deadline) for the chain after this node to acknowledge the slots up to
  // their seqs, so that the target, which takes this node's place or follows it, leaves no
  // successor short of an effect; an error when it does not. Unset: nothing to wait for.
  std::function<Status(const std::vector<SlotSeq>&, std::chrono::steady_clock::time_point)>
      chain_drained;
};

class MigrationSource {
 public:
  // `store` is not owned and must outlive this object; `slots` are owned by this node (the caller
  // checked) and not part of another running move.
  MigrationSource(Store* store, Fence fence, int64_t migration_id, std::vector<Slot> slots,
                  std::string target_id, std::unique_ptr<ImportChannel> channel,
                  MigrationSourceOptions options);
  ~MigrationSource();
  MigrationSource(const MigrationSource&) = delete;
  MigrationSource& operator=(const MigrationSource&) = delete;

  // Starts tracking the slots' writes, snapshots their keys and starts the copy thread.
  void Start();

  MigrationProgress Progress() const EXCLUDES(mu_);

  // Waits for the copy, runs the delta rounds, pauses the writes, sends the final delta and
  // commits on the target. Returns the outcome: phase "committed", or "failed"/"aborted" with the
  // error. Calls are serialized; once the move has ended it returns the same outcome at once.
  MigrationProgress Finish() EXCLUDES(finish_mu_, channel_mu_, mu_);

  // Ends the move (phase "aborted" unless it already ended otherwise): writes resume, tracking
  // stops, then the target is told to discard its import, which waits for a chunk in flight.
  // Idempotent.
  void Abort(const std::string& why) EXCLUDES(channel_mu_, mu_);

  // A master epoch above the move's was seen: as Abort, without calling the target. Never blocks
  // beyond this object's mutex.
  void Supersede(int64_t epoch) EXCLUDES(mu_);

  // The slot map took these slots away and they were dropped, or the move is complete for them:
  // forget their pause and tracking.
  void SlotsDropped(const std::vector<Slot>& slots) EXCLUDES(mu_);

  // The slots still held by a committed move whose target `map` puts in their chains: the move is
  // done for them though this node stays a member (it added a member, or the target replaced
  // another member).
  std::vector<Slot> CompletedBy(const SlotMap& map) const EXCLUDES(mu_);

  // Whether the move still pauses or tracks one of its slots (or may still do so).
  bool Active() const EXCLUDES(mu_);

  int64_t migration_id() const { return migration_id_; }
  int64_t epoch() const { return fence_.epoch; }
  const std::vector<Slot>& slots() const { return slots_; }
  const std::string& target_id() const { return target_id_; }

 private:
  // Collects entries into chunks of up to chunk_bytes and sends them.
  class ChunkWriter;

  void CopyThread() EXCLUDES(channel_mu_, mu_);
  Status Copy() EXCLUDES(mu_);
  Status FinishImpl() EXCLUDES(mu_);
  // Sends the dirty keys of every slot; *bytes receives what they took.
  Status SendDelta(ChunkWriter* writer, int64_t* bytes) EXCLUDES(mu_);
  // Sends `key` of `slot` whole (in parts if big), or as deleted when it is gone. `counts_key`:
  // a key of the snapshot (keys_copied).
  Status SendKey(ChunkWriter* writer, Slot slot, int32_t db, const std::string& key,
                 bool counts_key);
  // OK while the move runs; the reason it ended otherwise.
  Status CheckRunning() const EXCLUDES(mu_);
  // Ends the move with `phase` unless it has ended already; resumes writes, stops tracking.
  // True when this call ended it.
  bool EndLocked(const std::string& phase, const std::string& error) REQUIRES(mu_);
  void ReleaseSlotsLocked() REQUIRES(mu_);
  // Fails the move with `status` and tells the target to discard the import.
  void Fail(const Status& status) EXCLUDES(channel_mu_, mu_);

  // Constant after construction.
  Store* const store_;
  const Fence fence_;
  const int64_t migration_id_;
  const std::vector<Slot> slots_;
  const std::string target_id_;
  const MigrationSourceOptions options_;

  // Internally synchronized.
  std::atomic<int64_t> keys_copied_{0};
  std::atomic<int64_t> bytes_copied_{0};

  // Serializes Finish calls; guards joining the copy thread.
  Mutex finish_mu_;
  std::thread copy_thread_ GUARDED_BY(finish_mu_);

  // One call on the channel at a time (the copy thread, Finish, Abort).
  Mutex channel_mu_;
  const std::unique_ptr<ImportChannel> channel_ PT_GUARDED_BY(channel_mu_);

  mutable Mutex mu_;
  std::string phase_ GUARDED_BY(mu_) = "copying";
  std::string error_ GUARDED_BY(mu_);
  int64_t keys_total_ GUARDED_BY(mu_) = 0;
  bool ended_ GUARDED_BY(mu_) = false;  // failed, aborted or superseded
  bool committed_ GUARDED_BY(mu_) = false;
  std::vector<Slot> held_ GUARDED_BY(mu_);  // slots still tracked (and paused when paused_)
  bool paused_ GUARDED_BY(mu_) = false;
  // The snapshot, handed from Start to the copy thread.
  std::vector<std::pair<Slot, std::vector<DbKey>>> snapshot_ GUARDED_BY(mu_);
};

}  // namespace dkv::data
