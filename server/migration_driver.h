// MigrationDriver: the master's background worker that carries out slot moves (docs/migration.md,
// "Master"). It asks its Host (the Master) for the moves the cluster needs, groups them into
// batches per (source, target, kind), and runs a few batches at once. Each batch: migrate_slots on
// the source, poll migration_status until the bulk copy is done, finish_migration, then the Host
// changes the slots' chains in the slot map (one versioned ZooKeeper write per batch): the target
// replaces the source (kReplace) or is appended after it, the tail (kAdd). On any error it
// aborts the move on the data nodes, backs off, and plans again from the current map, so a node
// that died, a master that stepped down, or a map that changed meanwhile never leaves a half-done
// move behind: until the flip, the source still owns the slots and serves them.
//
// After every finished batch (and on Kick) it plans again, so a node joining or draining in the
// middle of a rebalance changes the remaining moves. Draining nodes that own no slot any more are
// told to leave (the Host lists them).
//
// Lifecycle and threads: the constructor starts `parallel` worker threads; the destructor stops
// and joins them. Kick and Reset may be called from any thread, with no lock of the Host held
// that a Host method takes (the workers call the Host without holding the driver's lock; lock
// order: Host's lock, then mu_). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "common/slot.h"
#include "dkv/result.h"
#include "dkv/status.h"
#include "server/data_channel.h"
#include "server/move_planner.h"

namespace dkv::server {

// One move in progress, for status.
struct MoveStatus {
  int64_t migration_id = 0;
  std::string from;
  std::string to;
  std::vector<Slot> slots;
  std::string phase;  // the source's phase; "starting" before it answered
  int64_t keys_copied = 0;
  int64_t keys_total = 0;
  int64_t bytes_copied = 0;
  SlotMove::Kind kind = SlotMove::Kind::kReplace;
  std::chrono::steady_clock::time_point started;  // when the driver started the move
  int64_t keys_per_second = 0;  // keys_copied over the time since `started`, as of InFlight()
};

struct MigrationDriverOptions {
  int32_t parallel = 4;                         // batches running at once
  int32_t batch_slots = 64;                     // slots per batch at most
  std::chrono::milliseconds poll_interval{10};  // between migration_status calls
  std::chrono::milliseconds backoff{200};       // after a failed batch or plan
};

class MigrationDriver {
 public:
  // What the driver needs from the master. Called from the driver's worker threads.
  class Host {
   public:
    virtual ~Host() = default;

    struct Plan {
      std::vector<SlotMove> moves;       // what the map needs now; may include slots in flight
      std::vector<std::string> leavers;  // draining nodes, live, owning nothing: tell them to leave
    };
    // The moves the current map needs. An error (e.g. not master) makes the driver idle until the
    // next Kick.
    virtual Result<Plan> PlanMoves() = 0;

    struct Node {
      std::shared_ptr<DataChannel> channel;
      std::string address;  // advertised Thrift host:port
    };
    // A live data node by id; UNAVAILABLE when it is not live.
    virtual Result<Node> DataNode(const std::string& id) = 0;

    // The fence to call data nodes with; epoch 0 when not master.
    virtual Fence CurrentFence() = 0;

    // A migration id unique across masters and moves.
    virtual int64_t NewMigrationId() = 0;

    // Changes the chains of the slots of `batch` in the slot map (all or none): batch.to takes
    // batch.from's place (kReplace) or is appended after it (kAdd). Refuses (error) unless this
    // server is still master of the epoch in `fence`, and in every slot's chain batch.from is
    // still a member (kReplace) or the tail (kAdd) and batch.to is not a member.
    virtual Status CommitMove(const MoveBatch& batch, const Fence& fence) = 0;
  };

  // `host` must outlive the driver.
  MigrationDriver(Host* host, MigrationDriverOptions options);
  ~MigrationDriver();
  MigrationDriver(const MigrationDriver&) = delete;
  MigrationDriver& operator=(const MigrationDriver&) = delete;

  // Plans again soon (the membership or the map changed, or a rebalance was asked for).
  void Kick() EXCLUDES(mu_);

  // The master stepped down: forget queued batches; batches in flight abort after their current
  // call. Idle until the next Kick.
  void Reset() EXCLUDES(mu_);

  // Moves in progress, by migration id, with their copy rates as of now.
  std::vector<MoveStatus> InFlight() const EXCLUDES(mu_);

 private:
  void WorkerLoop() EXCLUDES(mu_);
  // Asks the host for a plan and queues its batches (minus slots in flight).
  void Plan() EXCLUDES(mu_);
  // Runs one batch to its end; OK once its slots flipped.
  Status RunBatch(const MoveBatch& batch, uint64_t generation) EXCLUDES(mu_);
  // migrate_slots, migration_status until the bulk copy is done, finish_migration. *fence: the
  // fence of the last call.
  Status CopyAndFinish(const MoveBatch& batch, int64_t id, uint64_t generation,
                       const Host::Node& source, const Host::Node& target, Fence* fence)
      EXCLUDES(mu_);
  void UpdateProgress(int64_t id, const MigrationProgress& progress) EXCLUDES(mu_);
  // UNAVAILABLE once the driver stops, or Reset was called since `generation`.
  Status CheckGeneration(uint64_t generation) EXCLUDES(mu_);

  using Clock = std::chrono::steady_clock;

  Host* const host_;
  const MigrationDriverOptions options_;

  mutable Mutex mu_;
  CondVar work_cv_{&mu_};
  bool stopping_ GUARDED_BY(mu_) = false;
  bool replan_ GUARDED_BY(mu_) = false;           // a Kick or a finished batch asks for a new plan
  bool planning_ GUARDED_BY(mu_) = false;         // one worker plans at a time
  Clock::time_point not_before_ GUARDED_BY(mu_);  // backoff: no plan before this
  uint64_t generation_ GUARDED_BY(mu_) = 0;       // raised by Reset
  std::vector<MoveBatch> queue_ GUARDED_BY(mu_);
  std::set<Slot> busy_ GUARDED_BY(mu_);         // slots of batches in flight
  uint64_t batches_ended_ GUARDED_BY(mu_) = 0;  // a plan older than the last end is stale
  std::vector<MoveStatus> in_flight_ GUARDED_BY(mu_);
  std::vector<std::thread> workers_;  // started by the constructor, joined by the destructor
};

}  // namespace dkv::server
