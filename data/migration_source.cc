#include "data/migration_source.h"

#include <algorithm>
#include <future>
#include <optional>
#include <utility>

#include "common/logging.h"

namespace dkv::data {

namespace {
// What an entry costs on the wire beyond its key and value bytes (field headers, db, offsets).
constexpr size_t kEntryOverhead = 32;
// Entries per chunk at most (tiny keys): the transport refuses lists beyond 65536 elements.
constexpr size_t kMaxEntriesPerChunk = 16384;
}  // namespace

// Sends one chunk while the next is being filled: reading the store and encoding on this side
// overlap with the transfer and the import on the target's. Chunks still go one after the other,
// in order (a chunk is sent only once the previous one was acknowledged).
class MigrationSource::ChunkWriter {
 public:
  explicit ChunkWriter(MigrationSource* source) : source_(source) {}
  ~ChunkWriter() { Status ignored = Wait(); }  // the sending task uses this object

  // Bounds every later send: past it, TIMED_OUT.
  void set_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }

  // Room left in the current chunk for value bytes.
  size_t room() const {
    return bytes_ >= source_->options_.chunk_bytes ? 0 : source_->options_.chunk_bytes - bytes_;
  }

  // Adds `entry`; sends the chunk once it is full. `counts_key`: the entry completes a key of the
  // snapshot (keys_copied grows once the chunk holding it is acknowledged).
  Status Add(MigrationEntry&& entry, bool counts_key) {
    bytes_ += entry.key.size() + entry.value.size() + kEntryOverhead;
    payload_ += static_cast<int64_t>(entry.key.size() + entry.value.size());
    entries_.push_back(std::move(entry));
    if (counts_key) ++keys_;
    const bool full =
        bytes_ >= source_->options_.chunk_bytes || entries_.size() >= kMaxEntriesPerChunk;
    return full ? Send() : Status::OK();
  }

  // Sends the current chunk (after the previous one was acknowledged) without waiting for it.
  Status Send() {
    if (entries_.empty()) return Status::OK();
    DKV_RETURN_NOT_OK(Wait());
    DKV_RETURN_NOT_OK(source_->CheckRunning());
    if (deadline_ && std::chrono::steady_clock::now() > *deadline_) {
      return Status::TimedOut("writes stayed paused longer than " +
                              std::to_string(source_->options_.max_pause.count()) +
                              " ms (the final delta did not fit)");
    }
    in_flight_ =
        std::async(std::launch::async, [source = source_, entries = std::move(entries_)]() mutable {
          MutexLock l(&source->channel_mu_);
          return source->channel_->Chunk(source->fence_, source->migration_id_, std::move(entries));
        });
    in_flight_keys_ = keys_;
    in_flight_payload_ = payload_;
    entries_.clear();
    bytes_ = 0;
    payload_ = 0;
    keys_ = 0;
    return Status::OK();
  }

  // Sends the current chunk and waits until every chunk was acknowledged.
  Status Flush() {
    DKV_RETURN_NOT_OK(Send());
    return Wait();
  }

  // Key and value bytes acknowledged so far.
  int64_t sent() const { return sent_; }

 private:
  // Waits for the chunk in flight, if any, and counts it once acknowledged.
  Status Wait() {
    if (!in_flight_.valid()) return Status::OK();
    Status s = in_flight_.get();
    DKV_RETURN_NOT_OK_PREPEND(s, "import_chunk to " + source_->target_id_);
    source_->keys_copied_.fetch_add(in_flight_keys_, std::memory_order_relaxed);
    source_->bytes_copied_.fetch_add(in_flight_payload_, std::memory_order_relaxed);
    sent_ += in_flight_payload_;
    return Status::OK();
  }

  MigrationSource* const source_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::vector<MigrationEntry> entries_;
  size_t bytes_ = 0;
  int64_t payload_ = 0;
  int64_t keys_ = 0;
  std::future<Status> in_flight_;
  int64_t in_flight_keys_ = 0;
  int64_t in_flight_payload_ = 0;
  int64_t sent_ = 0;
};

MigrationSource::MigrationSource(Store* store, Fence fence, int64_t migration_id,
                                 std::vector<Slot> slots, std::string target_id,
                                 std::unique_ptr<ImportChannel> channel,
                                 MigrationSourceOptions options)
    : store_(store),
      fence_(fence),
      migration_id_(migration_id),
      slots_(std::move(slots)),
      target_id_(std::move(target_id)),
      options_(options),
      channel_(std::move(channel)) {}

MigrationSource::~MigrationSource() {
  {
    MutexLock l(&mu_);
    EndLocked("aborted", "the data node is shutting down");
  }
  MutexLock f(&finish_mu_);
  if (copy_thread_.joinable()) copy_thread_.join();
}

void MigrationSource::Start() {
  MutexLock f(&finish_mu_);
  {
    MutexLock l(&mu_);
    // Tracking first: a write after the snapshot of a key is then seen by a delta round.
    for (Slot s : slots_) store_->StartTracking(s);
    held_ = slots_;
    for (Slot s : slots_) {
      std::vector<DbKey> keys = store_->SlotKeys(s);
      keys_total_ += static_cast<int64_t>(keys.size());
      snapshot_.emplace_back(s, std::move(keys));
    }
    DKV_LOG(INFO) << "migration " << migration_id_ << ": copying " << slots_.size() << " slots ("
                  << keys_total_ << " keys) to " << target_id_ << " (epoch " << fence_.epoch << ")";
  }
  copy_thread_ = std::thread([this] { CopyThread(); });
}

MigrationProgress MigrationSource::Progress() const {
  MigrationProgress p;
  p.migration_id = migration_id_;
  p.keys_copied = keys_copied_.load(std::memory_order_relaxed);
  p.bytes_copied = bytes_copied_.load(std::memory_order_relaxed);
  MutexLock l(&mu_);
  p.phase = phase_;
  p.error = error_;
  p.keys_total = keys_total_;
  return p;
}

bool MigrationSource::Active() const {
  MutexLock l(&mu_);
  return !held_.empty() || (!ended_ && !committed_);
}

Status MigrationSource::CheckRunning() const {
  MutexLock l(&mu_);
  if (ended_)
    return Status::Unavailable("migration " + std::to_string(migration_id_) + " " + phase_ + ": " +
                               error_);
  return Status::OK();
}

void MigrationSource::ReleaseSlotsLocked() {
  for (Slot s : held_) {
    if (paused_) store_->ResumeWrites(s);
    store_->StopTracking(s);
  }
  held_.clear();
  paused_ = false;
}

bool MigrationSource::EndLocked(const std::string& phase, const std::string& error) {
  if (ended_) return false;
  // A committed move keeps its slots paused until the map takes them away, unless it is aborted
  // or superseded (the map then stays as it was: the slots are served here again).
  ended_ = true;
  committed_ = false;
  phase_ = phase;
  error_ = error;
  ReleaseSlotsLocked();
  return true;
}

void MigrationSource::Fail(const Status& status) {
  {
    MutexLock l(&mu_);
    if (!EndLocked("failed", status.ToString())) return;
  }
  DKV_LOG(WARNING) << "migration " << migration_id_ << " to " << target_id_
                   << " failed: " << status.ToString();
  MutexLock c(&channel_mu_);
  Status s = channel_->Abort(fence_, migration_id_);
  if (!s.ok()) {
    DKV_LOG(WARNING) << "migration " << migration_id_ << ": import_abort to " << target_id_
                     << " failed (it drops the import when a newer map or epoch comes): "
                     << s.ToString();
  }
}

void MigrationSource::Abort(const std::string& why) {
  {
    MutexLock l(&mu_);
    if (!EndLocked("aborted", why)) {
      // Ended already; after a failure the target was told then.
      return;
    }
  }
  DKV_LOG(INFO) << "migration " << migration_id_ << " aborted: " << why;
  MutexLock c(&channel_mu_);
  Status s = channel_->Abort(fence_, migration_id_);
  if (!s.ok()) {
    DKV_LOG(WARNING) << "migration " << migration_id_ << ": import_abort to " << target_id_
                     << " failed: " << s.ToString();
  }
}

void MigrationSource::Supersede(int64_t epoch) {
  if (epoch <= fence_.epoch) return;
  MutexLock l(&mu_);
  if (EndLocked("aborted", "master epoch " + std::to_string(epoch) + " supersedes epoch " +
                               std::to_string(fence_.epoch))) {
    DKV_LOG(INFO) << "migration " << migration_id_ << " aborted: " << error_;
  } else if (!held_.empty()) {
    ReleaseSlotsLocked();
  }
}

void MigrationSource::SlotsDropped(const std::vector<Slot>& slots) {
  MutexLock l(&mu_);
  for (Slot s : slots) {
    auto it = std::find(held_.begin(), held_.end(), s);
    if (it == held_.end()) continue;
    if (paused_) store_->ResumeWrites(s);
    store_->StopTracking(s);
    held_.erase(it);
  }
  if (held_.empty()) paused_ = false;
}

std::vector<Slot> MigrationSource::CompletedBy(const SlotMap& map) const {
  MutexLock l(&mu_);
  std::vector<Slot> done;
  if (!committed_) return done;
  for (Slot s : held_) {
    if (s < map.slot_count() && map.IsMember(s, target_id_)) done.push_back(s);
  }
  return done;
}

void MigrationSource::CopyThread() {
  Status s = Copy();
  if (!s.ok()) {
    Fail(s);
    return;
  }
  MutexLock l(&mu_);
  if (!ended_) phase_ = "delta";
  DKV_LOG(INFO) << "migration " << migration_id_ << ": copied " << keys_copied_.load() << " keys ("
                << bytes_copied_.load() << " bytes) to " << target_id_;
}

Status MigrationSource::Copy() {
  {
    MutexLock c(&channel_mu_);
    DKV_RETURN_NOT_OK(CheckRunning());
    DKV_RETURN_NOT_OK_PREPEND(channel_->Begin(fence_, migration_id_, slots_),
                              "import_begin to " + target_id_);
  }
  std::vector<std::pair<Slot, std::vector<DbKey>>> snapshot;
  {
    MutexLock l(&mu_);
    snapshot.swap(snapshot_);
  }
  ChunkWriter writer(this);
  for (auto& [slot, keys] : snapshot) {
    for (DbKey& k : keys) {
      DKV_RETURN_NOT_OK(SendKey(&writer, slot, k.db, k.key, /*counts_key=*/true));
      std::string().swap(k.key);  // free the snapshot as it goes
    }
  }
  return writer.Flush();
}

Status MigrationSource::SendKey(ChunkWriter* writer, Slot slot, int32_t db, const std::string& key,
                                bool counts_key) {
  int64_t offset = 0;
  int64_t total = -1;
  for (;;) {
    // A part smaller than a quarter chunk would only add calls: start a new chunk instead.
    if (writer->room() < options_.chunk_bytes / 4) DKV_RETURN_NOT_OK(writer->Send());
    ValuePart part;
    DKV_RETURN_NOT_OK(
        store_->ReadPart(slot, db, key, static_cast<uint64_t>(offset), writer->room(), &part));
    MigrationEntry e;
    e.db = db;
    e.key = key;
    if (!part.found) {
      // Gone since the snapshot (or the dirty mark): the target forgets it too. A key that
      // vanished between two parts was written after tracking began, so a delta round resends.
      if (offset > 0) return Status::OK();
      e.deleted = true;
      return writer->Add(std::move(e), counts_key);
    }
    // Rewritten between two parts: likewise left to the delta round that resends it whole.
    if (total >= 0 && static_cast<int64_t>(part.total_size) != total) return Status::OK();
    total = static_cast<int64_t>(part.total_size);
    const int64_t size = static_cast<int64_t>(part.bytes.size());
    e.value = std::move(part.bytes);
    e.expire_at_ms = part.expire_at_ms;
    e.offset = offset;
    e.total_size = total;
    offset += size;
    const bool complete = offset >= total;
    DKV_RETURN_NOT_OK(writer->Add(std::move(e), counts_key && complete));
    if (complete) return Status::OK();
  }
}

Status MigrationSource::SendDelta(ChunkWriter* writer, int64_t* bytes) {
  const int64_t before = writer->sent();
  for (Slot s : slots_) {
    for (const DbKey& k : store_->TakeDirty(s)) {
      DKV_RETURN_NOT_OK(SendKey(writer, s, k.db, k.key, /*counts_key=*/false));
    }
  }
  DKV_RETURN_NOT_OK(writer->Flush());
  *bytes = writer->sent() - before;
  return Status::OK();
}

MigrationProgress MigrationSource::Finish() {
  MutexLock f(&finish_mu_);
  if (copy_thread_.joinable()) copy_thread_.join();
  bool run = false;
  {
    MutexLock l(&mu_);
    run = !ended_ && !committed_;
  }
  if (run) {
    Status s = FinishImpl();
    if (!s.ok()) Fail(s);
  }
  return Progress();
}

Status MigrationSource::FinishImpl() {
  ChunkWriter writer(this);
  {
    MutexLock l(&mu_);
    phase_ = "delta";
  }
  // Rounds while writes go on, until one is small: what is written during it is the final delta.
  int64_t round_bytes = 0;
  int rounds = 0;
  do {
    if (rounds == options_.max_delta_rounds) {
      return Status::Unavailable("writes to the slots outpace the move: the last of " +
                                 std::to_string(rounds) + " delta rounds still sent " +
                                 std::to_string(round_bytes) + " bytes (try again later)");
    }
    DKV_RETURN_NOT_OK(SendDelta(&writer, &round_bytes));
    ++rounds;
  } while (static_cast<size_t>(round_bytes) > options_.final_delta_bytes);

  const auto paused_at = std::chrono::steady_clock::now();
  {
    MutexLock l(&mu_);
    if (ended_) return Status::OK();  // aborted meanwhile: already released
    for (Slot s : held_) store_->PauseWrites(s);
    paused_ = true;
    phase_ = "frozen";
  }
  writer.set_deadline(paused_at + options_.max_pause);
  int64_t final_bytes = 0;
  DKV_RETURN_NOT_OK(SendDelta(&writer, &final_bytes));
  std::vector<SlotSeq> seqs;
  seqs.reserve(slots_.size());
  for (Slot s : slots_) seqs.push_back(SlotSeq{s, store_->Seq(s)});
  if (options_.chain_drained) {
    DKV_RETURN_NOT_OK_PREPEND(options_.chain_drained(seqs, paused_at + options_.max_pause),
                              "waiting for the chain to acknowledge the slots");
  }
  {
    MutexLock c(&channel_mu_);
    DKV_RETURN_NOT_OK(CheckRunning());
    DKV_RETURN_NOT_OK_PREPEND(channel_->Commit(fence_, migration_id_, seqs),
                              "import_commit to " + target_id_);
  }
  const auto paused_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - paused_at);
  MutexLock l(&mu_);
  if (ended_) return Status::OK();  // aborted while committing: Abort told the target
  committed_ = true;
  phase_ = "committed";
  DKV_LOG(INFO) << "migration " << migration_id_ << " committed on " << target_id_ << " after "
                << rounds << " delta rounds; writes paused " << paused_ms.count()
                << " ms for a final delta of " << final_bytes << " bytes";
  return Status::OK();
}

}  // namespace dkv::data
