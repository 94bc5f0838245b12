// Store: a data node's keys, in memory, one Table (data/table.h) per slot the node holds. An entry
// is (db 0..15, key) -> (value, expire_at_ms); keys and values are arbitrary bytes.
//
// A table exists only for a slot the node owns (AddSlot when the slot map grants it, DropSlot when
// a new map takes it away), so a slot is counted or dropped as a unit, and a write that was fenced
// under an old map but lands after its slot was dropped is refused (WRONG_NODE) instead of leaving
// an orphaned key behind.
//
// Expiry: an entry whose expire_at_ms is set and earlier than the clock (Unix milliseconds) is
// absent to every reader; whoever finds it deletes it (lazy expiry), and ActiveExpiry reclaims
// the ones nobody reads through ExpireSome.
//
// Chains (docs/replication.md): each slot's State also holds the slot's place in its chain (head
// or not, with a successor or not) and its effect sequence. At a head with a successor, every
// write access records what it changed and, before the slot's lock is released, hands the changes
// to the EffectSink as numbered Effects (data/effect.h), so the sink sees each slot's effects in
// sequence order. Other members apply the head's effects with ApplyEffects, which forwards them to
// the sink when they have a successor themselves. Both report the (slot, seq) a reply must wait
// for: a member with a successor acknowledges only what its successor acknowledged.
//
// Slot moves (docs/migration.md) use the rest: on the source, StartTracking/TakeDirty record the
// keys written while a slot is copied with SlotKeys/ReadPart, and PauseWrites refuses writes
// (MOVING) for the final catch-up; on the target, BeginImport/ImportPart/AdoptImport assemble the
// slot in a hidden table that becomes the live one at once.
//
// Thread-safety: every method is thread-safe. Slots are spread over kStripes lock stripes
// (slot % kStripes), so calls on different slots rarely contend and no lock is global. Callbacks
// given to Access/AccessSlots/ForEachSlot run under the stripe locks and must not call back into
// the Store. The key count is an atomic kept in step with the live tables.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/effect.h"
#include "common/mutex.h"
#include "common/slot.h"
#include "data/table.h"
#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::data {

// A key and its database.
struct DbKey {
  int32_t db = 0;
  std::string key;

  friend bool operator==(const DbKey& a, const DbKey& b) { return a.db == b.db && a.key == b.key; }
};

struct DbKeyHash {
  size_t operator()(const DbKey& k) const;
};

// One bounded part of a value, as ReadPart returns it.
struct ValuePart {
  bool found = false;        // false: absent or expired (the other fields are then empty)
  std::string bytes;         // value bytes [offset, offset + max_bytes), fewer at the end
  int64_t expire_at_ms = 0;  // 0: no expiry
  uint64_t total_size = 0;   // the whole value's size
};

// The wall clock in Unix milliseconds, the Store's default clock.
int64_t UnixMillisNow();

class Store;

// Where a head's effects go (the ChainReplicator). Called with the slot's stripe lock held, in
// sequence order per slot: must not block and must not call the Store.
class EffectSink {
 public:
  virtual ~EffectSink() = default;
  virtual void Append(std::vector<Effect> effects) = 0;
};

// One slot's live table, locked, as Access hands it to its callback. Every change goes through
// it, so the key count and the slot's dirty set (while tracked) stay in step with the table.
// Positions are those of Table (valid until the next change). Only valid inside the callback.
class LockedSlot {
 public:
  LockedSlot(const LockedSlot&) = delete;
  LockedSlot& operator=(const LockedSlot&) = delete;
  ~LockedSlot();  // gives memory back when erasures left the table sparse

  // The time every expiry decision of this access is made with.
  int64_t now_ms() const { return now_ms_; }
  bool Expired(int64_t expire_at_ms) const { return expire_at_ms != 0 && expire_at_ms < now_ms_; }

  // The position of (db, key), or Table::kNone when absent; an expired entry is deleted here.
  size_t Find(int32_t db, std::string_view key);
  EntryView View(size_t pos) const { return table_->View(pos); }

  // The changes: require an access opened for writing.
  size_t Put(int32_t db, std::string_view key, std::string_view value, int64_t expire_at_ms);
  void Erase(size_t pos);
  void SetExpiry(size_t pos, int64_t expire_at_ms);
  char* ResizeValue(size_t pos, size_t size);  // Table::ResizeValue

  // Unexpired keys of `db` that `keep` accepts; expired ones met on the way are deleted.
  std::vector<std::string> Keys(int32_t db, const std::function<bool(std::string_view)>& keep);
  // Deletes every key of `db` (of every database when db < 0); returns how many.
  int64_t EraseAll(int32_t db);
  // A uniformly chosen position holding a key of `db` (possibly expired), or Table::kNone when
  // the table has none; `random` gives uniformly distributed 64-bit numbers.
  size_t RandomPos(int32_t db, const std::function<uint64_t()>& random) const;

  int64_t CountInDb(int32_t db) const { return table_->CountInDb(db); }

 private:
  friend class Store;
  struct State;
  LockedSlot(Store* store, State* state, Slot slot, bool writable, int64_t now_ms);
  void Changed(int32_t db, std::string_view key);
  // Numbers the recorded changes and hands them to the sink (see the file comment).
  void EmitEffects();

  Store* const store_;
  State* const state_;
  Table* const table_;
  const bool writable_;
  const Slot slot_;
  const int64_t now_ms_;
  bool erased_ = false;
  // Recorded changes, in order, when the access emits effects: a key (the effect is its final
  // state) or, with flush set, an EraseAll of db.
  struct Change {
    DbKey key;
    bool flush = false;
  };
  const bool emits_;
  bool flushing_ = false;  // inside EraseAll: its erasures are one kFlush change
  std::vector<Change> changes_;
};

class Store {
 public:
  using Clock = std::function<int64_t()>;  // Unix milliseconds; called from any thread

  explicit Store(Clock clock = UnixMillisNow);
  // Where heads' effects go; not owned, must outlive the Store. Call once, before any access.
  void SetEffectSink(EffectSink* sink) { sink_ = sink; }
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int64_t NowMs() const { return clock_(); }

  // ---- Slots held ----

  // Creates an empty table for `slot` unless it has one already.
  void AddSlot(Slot slot);

  // Deletes the table of `slot` with every key in it and ends the slot's pause and tracking (not
  // a staged import); returns how many keys it held (0 when the slot had no table).
  int64_t DropSlot(Slot slot);

  // Whether `slot` has a table.
  bool HasSlot(Slot slot) const;

  // ---- Op execution (data/op_executor.h) ----

  // Runs `fn` on the locked live table of `slot`. WRONG_NODE when the slot has no table; MOVING
  // when `write` and the slot's writes are paused (fn does not run then). When the slot has a
  // successor in its chain and `waits` is given, (slot, the slot's seq after the access) is
  // appended to it: what the reply must wait for before it is acknowledged.
  Status Access(Slot slot, bool write, const std::function<void(LockedSlot&)>& fn,
                std::vector<SlotSeq>* waits = nullptr);

  // As Access for several slots at once, all locked together (stripes in ascending order, so
  // concurrent multi-slot accesses cannot deadlock); fn gets one LockedSlot per entry of `slots`,
  // in that order (a slot named twice gets the same one). The first slot without a table (or
  // paused, when `write`) is the error, and fn does not run.
  Status AccessSlots(const std::vector<Slot>& slots, bool write,
                     const std::function<void(const std::vector<LockedSlot*>&)>& fn,
                     std::vector<SlotSeq>* waits = nullptr)
      NO_THREAD_SAFETY_ANALYSIS;  // locks a variable set of stripes

  // Runs `fn` on every live table of a slot this node heads, one stripe locked at a time (the
  // other members' copies are the heads' business: DBSIZE and FLUSHALL count and clear each slot
  // once). With `write`, paused slots are skipped and the result is MOVING naming them (the others
  // were done); OK otherwise. `waits` as Access's.
  Status ForEachSlot(bool write, const std::function<void(Slot, LockedSlot&)>& fn,
                     std::vector<SlotSeq>* waits = nullptr);

  // ---- Chains ----

  // The slot's place in its chain under the node's slot map: whether this node is its head (a
  // sole member is a head), and whether it has a successor. A new slot's default: head without a
  // successor. Works whether or not the slot has a table.
  void SetChainRole(Slot slot, bool head, bool has_successor);

  // The last effect number the slot's table reflects (0 for a slot without any).
  uint64_t Seq(Slot slot) const;

  // Appends (slot, seq) to `waits` when the slot has a successor: what must be acknowledged for
  // the chain after this node to have everything the table reflects.
  void AddChainWait(Slot slot, std::vector<SlotSeq>* waits) const;

  // Applies the head's `effects` of `slot` (ascending seq) to a non-head member's table: an
  // effect numbered at most the slot's seq is already reflected and skipped; the next number is
  // applied; a gap stops the batch. When the slot has a successor, every effect up to the last
  // one accepted is handed to the sink too (the skipped ones as well: the successor may lack
  // them) and (slot, seq) appended to `waits`. Returns the slot's seq afterwards; WRONG_NODE
  // without a table, MOVING while paused, INVALID_ARGUMENT for a malformed effect, and
  // INVALID_ARGUMENT with *missed set at a gap ("out of sequence"), after applying what came
  // before it.
  Result<uint64_t> ApplyEffects(Slot slot, const std::vector<Effect>& effects,
                                std::vector<SlotSeq>* waits, bool* missed);

  // ---- Counts ----

  // Keys in the table of `slot` (0 without a table), expired ones not yet deleted included.
  int64_t SlotKeyCount(Slot slot) const;

  // Keys in all live tables. Exact once concurrent writers have returned; one atomic load.
  int64_t KeyCount() const { return key_count_.load(std::memory_order_relaxed); }

  // ---- Slot moves, source side ----

  // While paused, every write to `slot` (Access/AccessSlots/ForEachSlot with write) is refused
  // with MOVING; reads go on. Resume ends it. Both are idempotent and work
  // whether or not the slot has a table.
  void PauseWrites(Slot slot);
  void ResumeWrites(Slot slot);

  // While tracking, every change to `slot`'s table (writes, and deletions by expiry) records its
  // (db, key) in the slot's dirty set, under the same lock as the change: a copy that lists the
  // keys after StartTracking misses no later write. TakeDirty returns the set and empties it;
  // StopTracking ends tracking and forgets the set.
  void StartTracking(Slot slot);
  std::vector<DbKey> TakeDirty(Slot slot);
  void StopTracking(Slot slot);

  // A copy of the keys in `slot`'s live table (empty without one), taken under the lock.
  std::vector<DbKey> SlotKeys(Slot slot) const;

  // Reads bytes [offset, offset + max_bytes) of (db, key)'s value with its expiry and total size,
  // so a big value is copied in bounded parts. part->found is false when the key is absent or
  // expired. WRONG_NODE when the slot has no table; INVALID_ARGUMENT for a db out of range.
  Status ReadPart(Slot slot, int32_t db, const std::string& key, uint64_t offset,
                  uint64_t max_bytes, ValuePart* part) const;

  // ---- Slot moves, target side ----

  // Starts staging `slot` in an empty hidden table (replacing one already staged). The staged
  // table is invisible to every other method until AdoptImport.
  void BeginImport(Slot slot);

  // Adds one part of (db, key)'s value to the staged table: offset 0 starts the value afresh
  // (total_size bytes, zero-filled, with expire_at_ms, 0 for none), a later offset writes into the
  // value started before. With `deleted` the key is removed from the staged table instead (bytes,
  // offset and sizes ignored). NOT_FOUND when no import is staged for the slot; INVALID_ARGUMENT
  // for a db out of range, a part that does not fit total_size, or a later part whose value was
  // not started with that total size.
  Status ImportPart(Slot slot, int32_t db, const std::string& key, std::string_view bytes,
                    uint64_t offset, uint64_t total_size, int64_t expire_at_ms, bool deleted);

  // The staged table becomes the slot's live table (replacing any it had) and the key count takes
  // it in; the slot's seq becomes `seq` (the source's, so that the effects after it apply). False
  // when nothing is staged for the slot.
  bool AdoptImport(Slot slot, uint64_t seq);

  // Forgets the staged table of `slot`, if any.
  void DropImport(Slot slot);

  bool HasImport(Slot slot) const;

  // ---- Active expiry (data/active_expiry.h) ----

  // Slots whose live table holds keys with an expiry time.
  std::vector<Slot> SlotsWithExpiry() const;

  struct ExpireResult {
    int checked = 0;  // keys with an expiry time looked at
    int expired = 0;  // of those, deleted because expired
  };
  // Looks at up to `max_checked` keys with an expiry time in `slot`'s table (and at most 20 times
  // as many buckets), continuing where the previous call on the slot stopped, and deletes the
  // expired ones. Zeros when the slot has no table.
  ExpireResult ExpireSome(Slot slot, int max_checked);

 private:
  friend class LockedSlot;
  using State = LockedSlot::State;

  // 256 stripes: with the default 1024 slots, four slots share a lock.
  static constexpr int kStripes = 256;

  // Aligned to a cache line so that stripes locked by different threads do not share one.
  struct alignas(64) Stripe {
    mutable Mutex mu;
    std::unordered_map<Slot, std::unique_ptr<State>> slots GUARDED_BY(mu);
  };

  static size_t StripeIndex(Slot slot) { return static_cast<uint32_t>(slot) % kStripes; }
  Stripe& StripeOf(Slot slot) { return stripes_[StripeIndex(slot)]; }
  const Stripe& StripeOf(Slot slot) const { return stripes_[StripeIndex(slot)]; }

  // The slot's state; null when absent (Find) or created (Get).
  static State* FindState(const Stripe& stripe, Slot slot) REQUIRES(stripe.mu);
  static State* GetState(Stripe& stripe, Slot slot) REQUIRES(stripe.mu);
  // Forgets a state that holds nothing any more.
  static void MaybeForget(Stripe& stripe, Slot slot) REQUIRES(stripe.mu);
  // OK, WRONG_NODE or MOVING for an access to `state` (possibly null).
  static Status CheckAccess(Slot slot, const State* state, bool write);
  static void AddWait(Slot slot, const State& state, std::vector<SlotSeq>* waits);

  const Clock clock_;
  EffectSink* sink_ = nullptr;  // set before use, then constant
  std::array<Stripe, kStripes> stripes_;
  std::atomic<int64_t> key_count_{0};
};

// What the Store keeps per slot (behind LockedSlot so Store's callbacks can name it).
struct LockedSlot::State {
  std::unique_ptr<Table> live;    // null: the slot is not held
  std::unique_ptr<Table> staged;  // an import in progress, or null
  bool paused = false;
  bool tracking = false;
  std::unordered_set<DbKey, DbKeyHash> dirty;  // while tracking
  size_t expire_cursor = 0;                    // where ExpireSome goes on
  bool head = true;            // this node heads the slot's chain (or is its sole member)
  bool has_successor = false;  // the chain goes on after this node
  uint64_t seq = 0;            // the last effect the table reflects
};

}  // namespace dkv::data
