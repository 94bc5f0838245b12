#include "server/migration_driver.h"

#include <algorithm>
#include <string>

#include "common/logging.h"

namespace dkv::server {
namespace {

// How often a call refused for a stale fence is sent again with a newer one.
constexpr int kStaleFenceRetries = 5;

// What `batch` does, for the log.
std::string Describe(const MoveBatch& batch) {
  const bool add = batch.kind == SlotMove::Kind::kAdd;
  return (add ? "adding " : "moving ") + std::to_string(batch.slots.size()) + " slots " +
         (add ? "to " + batch.to + " after " + batch.from
              : "from " + batch.from + " to " + batch.to);
}

}  // namespace

MigrationDriver::MigrationDriver(Host* host, MigrationDriverOptions options)
    : host_(host), options_(options) {
  for (int32_t i = 0; i < std::max(options_.parallel, 1); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

MigrationDriver::~MigrationDriver() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
    work_cv_.SignalAll();
  }
  for (std::thread& t : workers_) t.join();
}

void MigrationDriver::Kick() {
  MutexLock l(&mu_);
  replan_ = true;
  work_cv_.SignalAll();
}

void MigrationDriver::Reset() {
  MutexLock l(&mu_);
  ++generation_;
  queue_.clear();
  replan_ = false;
  not_before_ = Clock::time_point();
  work_cv_.SignalAll();
}

std::vector<MoveStatus> MigrationDriver::InFlight() const {
  MutexLock l(&mu_);
  std::vector<MoveStatus> moves = in_flight_;
  const auto now = Clock::now();
  for (MoveStatus& move : moves) {
    // At least 1 ms: a move that has just started has copied nothing yet.
    const int64_t ms = std::max<int64_t>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(now - move.started).count());
    move.keys_per_second = move.keys_copied * 1000 / ms;
  }
  std::sort(moves.begin(), moves.end(), [](const MoveStatus& a, const MoveStatus& b) {
    return a.migration_id < b.migration_id;
  });
  return moves;
}

void MigrationDriver::WorkerLoop() {
  mu_.Lock();
  while (!stopping_) {
    if (!queue_.empty()) {
      MoveBatch batch = std::move(queue_.front());
      queue_.erase(queue_.begin());
      const uint64_t generation = generation_;
      busy_.insert(batch.slots.begin(), batch.slots.end());
      mu_.Unlock();
      Status s = RunBatch(batch, generation);
      mu_.Lock();
      for (Slot slot : batch.slots) busy_.erase(slot);
      ++batches_ended_;
      if (!s.ok()) {
        DKV_LOG(WARNING) << Describe(batch) << " failed; planning again in "
                         << options_.backoff.count() << " ms: " << s.ToString();
        not_before_ = Clock::now() + options_.backoff;
        // The rest of the plan may be stale as well (a node died, the map changed).
        queue_.clear();
      }
      if (generation == generation_) replan_ = true;
      work_cv_.SignalAll();
      continue;
    }
    if (replan_ && !planning_ && Clock::now() >= not_before_) {
      planning_ = true;
      replan_ = false;
      mu_.Unlock();
      Plan();
      mu_.Lock();
      planning_ = false;
      work_cv_.SignalAll();
      continue;
    }
    if (replan_ && !planning_) {
      work_cv_.WaitUntil(not_before_);
    } else {
      work_cv_.Wait();
    }
  }
  mu_.Unlock();
}

void MigrationDriver::Plan() {
  uint64_t generation;
  uint64_t batches_ended;
  {
    MutexLock l(&mu_);
    generation = generation_;
    batches_ended = batches_ended_;
  }
  Result<Host::Plan> plan = host_->PlanMoves();
  if (!plan.ok()) {
    // Not master (any more): nothing to do until the next takeover kicks us.
    DKV_LOG(INFO) << "not planning slot moves: " << plan.status().ToString();
    return;
  }
  bool failed = false;
  for (const std::string& id : plan->leavers) {
    auto node = host_->DataNode(id);
    Status s = node.ok() ? node->channel->Leave() : node.status();
    if (s.ok()) {
      DKV_LOG(INFO) << "draining data node " << id << " owns no slot any more: told it to leave";
    } else {
      DKV_LOG(WARNING) << "telling drained data node " << id << " to leave: " << s.ToString();
      failed = true;
    }
  }

  MutexLock l(&mu_);
  if (generation != generation_) return;  // stepped down meanwhile: the plan is stale
  if (batches_ended != batches_ended_) {
    // A batch flipped (or failed on) slots the plan may still list: plan again instead.
    replan_ = true;
    work_cv_.SignalAll();
    return;
  }
  std::vector<SlotMove> moves;
  for (const SlotMove& m : plan->moves) {
    if (!busy_.count(m.slot)) moves.push_back(m);
  }
  queue_ = BatchMoves(moves, options_.batch_slots);
  if (failed) {
    not_before_ = Clock::now() + options_.backoff;
    replan_ = true;
  }
  work_cv_.SignalAll();
}

Status MigrationDriver::CheckGeneration(uint64_t generation) {
  MutexLock l(&mu_);
  if (stopping_) return Status::Unavailable("the master is shutting down");
  if (generation != generation_) return Status::Unavailable("the master stepped down");
  return Status::OK();
}

void MigrationDriver::UpdateProgress(int64_t id, const MigrationProgress& progress) {
  MutexLock l(&mu_);
  for (MoveStatus& move : in_flight_) {
    if (move.migration_id != id) continue;
    move.phase = progress.phase;
    move.keys_copied = progress.keys_copied;
    move.keys_total = progress.keys_total;
    move.bytes_copied = progress.bytes_copied;
  }
}

Status MigrationDriver::RunBatch(const MoveBatch& batch, uint64_t generation) {
  DKV_ASSIGN_OR_RETURN(Host::Node source, host_->DataNode(batch.from));
  DKV_ASSIGN_OR_RETURN(Host::Node target, host_->DataNode(batch.to));
  const int64_t id = host_->NewMigrationId();
  MoveStatus move;
  move.migration_id = id;
  move.from = batch.from;
  move.to = batch.to;
  move.slots = batch.slots;
  move.phase = "starting";
  move.kind = batch.kind;
  move.started = Clock::now();
  const auto started = move.started;
  {
    MutexLock l(&mu_);
    in_flight_.push_back(std::move(move));
  }
  Fence fence;
  Status s = CopyAndFinish(batch, id, generation, source, target, &fence);
  if (s.ok()) s = host_->CommitMove(batch, fence).CloneAndPrepend("changing the slot map");
  int64_t keys = 0;
  {
    MutexLock l(&mu_);
    for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
      if (it->migration_id != id) continue;
      keys = it->keys_copied;
      in_flight_.erase(it);
      break;
    }
  }
  if (!s.ok()) {
    // Until the map flips, the source owns the slots: aborting gives them back to it whole.
    Status aborted = source.channel->AbortMigration(fence, id);
    if (!aborted.ok()) {
      DKV_LOG(WARNING) << "aborting move " << id << " on " << batch.from
                       << " (it aborts moves of older masters by itself): " << aborted.ToString();
    }
    return s;
  }
  DKV_LOG(INFO)
      << Describe(batch) << ": done (" << keys << " keys) in "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()
      << " ms";
  return Status::OK();
}

Status MigrationDriver::CopyAndFinish(const MoveBatch& batch, int64_t id, uint64_t generation,
                                      const Host::Node& source, const Host::Node& target,
                                      Fence* fence) {
  // Other batches flip the map meanwhile, and the source refuses a fence older than the newest
  // map it knows (WRONG_NODE): every call takes the newest fence, and one refused that way is
  // sent again with the next.
  auto call = [&](auto fn) {
    for (int attempt = 0;; ++attempt) {
      *fence = host_->CurrentFence();
      if (fence->epoch == 0) return decltype(fn())(Status::Unavailable("not master any more"));
      auto result = fn();
      if (result.ok() || !StatusOf(result).IsWrongNode() || attempt == kStaleFenceRetries) {
        return result;
      }
    }
  };
  DKV_RETURN_NOT_OK_PREPEND(call([&] {
                              return source.channel->MigrateSlots(*fence, id, batch.slots, batch.to,
                                                                  target.address);
                            }),
                            "starting the move on " + batch.from);
  for (;;) {
    DKV_RETURN_NOT_OK(CheckGeneration(generation));
    DKV_ASSIGN_OR_RETURN(MigrationProgress progress,
                         call([&] { return source.channel->MigrationStatus(*fence, id); }));
    UpdateProgress(id, progress);
    if (progress.phase == "failed" || progress.phase == "aborted") {
      return Status::Unavailable("the move " + progress.phase + " on " + batch.from + ": " +
                                 progress.error);
    }
    if (progress.phase != "copying") break;  // the bulk copy is done
    MutexLock l(&mu_);
    const auto until = Clock::now() + options_.poll_interval;
    while (!stopping_ && Clock::now() < until) work_cv_.WaitUntil(until);
  }
  DKV_ASSIGN_OR_RETURN(MigrationProgress done,
                       call([&] { return source.channel->FinishMigration(*fence, id); }));
  UpdateProgress(id, done);
  if (done.phase != "committed") {
    return Status::Unavailable("finishing the move on " + batch.from + " ended in phase '" +
                               done.phase + "': " + done.error);
  }
  return Status::OK();
}

}  // namespace dkv::server
