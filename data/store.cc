#include "data/store.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "common/logging.h"

namespace dkv::data {

namespace {

Status NoTable(Slot slot) {
  return Status::WrongNode("slot " + std::to_string(slot) + " is not held by this data node");
}

Status Paused(Slot slot) {
  return Status::Moving("slot " + std::to_string(slot) +
                        " is being moved: its writes are paused briefly, retry");
}

Status CheckDb(int32_t db) {
  if (db < 0 || db >= kDatabases) {
    return Status::InvalidArgument("db " + std::to_string(db) + " is out of range [0, " +
                                   std::to_string(kDatabases) + ")");
  }
  return Status::OK();
}

}  // namespace

size_t DbKeyHash::operator()(const DbKey& k) const {
  return std::hash<std::string>()(k.key) * 31 + static_cast<size_t>(k.db);
}

int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- LockedSlot ----

LockedSlot::LockedSlot(Store* store, State* state, Slot slot, bool writable, int64_t now_ms)
    : store_(store),
      state_(state),
      table_(state->live.get()),
      writable_(writable),
      slot_(slot),
      now_ms_(now_ms),
      emits_(writable && state->head && state->has_successor && store->sink_ != nullptr) {}

LockedSlot::~LockedSlot() {
  if (!changes_.empty()) EmitEffects();
  if (erased_) table_->MaybeShrink();
}

void LockedSlot::Changed(int32_t db, std::string_view key) {
  if (state_->tracking) state_->dirty.insert(DbKey{db, std::string(key)});
  if (emits_ && !flushing_) changes_.push_back(Change{DbKey{db, std::string(key)}, false});
}

void LockedSlot::EmitEffects() {
  // A key changed several times in one access travels once, as its final state, at the place of
  // its last change (so that a flush before it cannot undo it, nor it undo a flush after it).
  std::unordered_map<DbKey, size_t, DbKeyHash> last;
  for (size_t i = 0; i < changes_.size(); ++i) {
    if (!changes_[i].flush) last[changes_[i].key] = i;
  }
  std::vector<Effect> effects;
  effects.reserve(last.size() + 1);
  for (size_t i = 0; i < changes_.size(); ++i) {
    Change& change = changes_[i];
    Effect effect;
    effect.slot = slot_;
    effect.db = change.key.db;
    if (change.flush) {
      effect.kind = Effect::Kind::kFlush;
    } else {
      if (last[change.key] != i) continue;
      // The table as it is now, expired or not: members expire by the same absolute time.
      const size_t pos = table_->Find(change.key.db, change.key.key);
      if (pos == Table::kNone) {
        effect.kind = Effect::Kind::kDel;
      } else {
        const EntryView v = table_->View(pos);
        effect.kind = Effect::Kind::kPut;
        effect.value.assign(v.value);
        effect.expire_at_ms = v.expire_at_ms;
      }
      effect.key = std::move(change.key.key);
    }
    effect.seq = ++state_->seq;
    effects.push_back(std::move(effect));
  }
  changes_.clear();
  store_->sink_->Append(std::move(effects));
}

size_t LockedSlot::Find(int32_t db, std::string_view key) {
  const size_t pos = table_->Find(db, key);
  if (pos == Table::kNone || !Expired(table_->View(pos).expire_at_ms)) return pos;
  // Lazy expiry: also on a read-only access (even of a paused slot); the key is absent either
  // way, and a tracked slot records the deletion like any other change.
  Changed(db, key);
  table_->Erase(pos);
  store_->key_count_.fetch_sub(1, std::memory_order_relaxed);
  erased_ = true;
  return Table::kNone;
}

size_t LockedSlot::Put(int32_t db, std::string_view key, std::string_view value,
                       int64_t expire_at_ms) {
  DKV_CHECK(writable_) << "Put on a read-only access";
  Changed(db, key);
  const size_t before = table_->size();
  const size_t pos = table_->Put(db, key, value, expire_at_ms);
  if (table_->size() != before) store_->key_count_.fetch_add(1, std::memory_order_relaxed);
  return pos;
}

void LockedSlot::Erase(size_t pos) {
  DKV_CHECK(writable_) << "Erase on a read-only access";
  const EntryView v = table_->View(pos);
  Changed(v.db, v.key);
  table_->Erase(pos);
  store_->key_count_.fetch_sub(1, std::memory_order_relaxed);
  erased_ = true;
}

void LockedSlot::SetExpiry(size_t pos, int64_t expire_at_ms) {
  DKV_CHECK(writable_) << "SetExpiry on a read-only access";
  const EntryView v = table_->View(pos);
  Changed(v.db, v.key);
  table_->SetExpiry(pos, expire_at_ms);
}

char* LockedSlot::ResizeValue(size_t pos, size_t size) {
  DKV_CHECK(writable_) << "ResizeValue on a read-only access";
  const EntryView v = table_->View(pos);
  Changed(v.db, v.key);
  return table_->ResizeValue(pos, size);
}

std::vector<std::string> LockedSlot::Keys(int32_t db,
                                          const std::function<bool(std::string_view)>& keep) {
  std::vector<std::string> keys;
  std::vector<DbKey> expired;
  // Two passes: erasing shifts entries (possibly across the array's end), which a single pass
  // could then visit twice.
  for (size_t pos = 0; pos < table_->bucket_count(); ++pos) {
    if (!table_->Occupied(pos)) continue;
    const EntryView v = table_->View(pos);
    if (v.db != db) continue;
    if (Expired(v.expire_at_ms)) {
      expired.push_back(DbKey{v.db, std::string(v.key)});
    } else if (keep(v.key)) {
      keys.emplace_back(v.key);
    }
  }
  for (const DbKey& k : expired) Find(k.db, k.key);  // deletes it
  return keys;
}

int64_t LockedSlot::EraseAll(int32_t db) {
  DKV_CHECK(writable_) << "EraseAll on a read-only access";
  if (emits_) changes_.push_back(Change{DbKey{db, std::string()}, true});
  flushing_ = true;
  int64_t erased = 0;
  // One pass: erasing at `pos` shifts later entries back into [pos, ...) only, so an entry not
  // looked at yet is never moved before `pos`; the one shifted into `pos` is looked at next.
  for (size_t pos = 0; pos < table_->bucket_count();) {
    if (table_->Occupied(pos) && (db < 0 || table_->View(pos).db == db)) {
      Erase(pos);
      ++erased;
    } else {
      ++pos;
    }
  }
  flushing_ = false;
  return erased;
}

size_t LockedSlot::RandomPos(int32_t db, const std::function<uint64_t()>& random) const {
  const int64_t count = table_->CountInDb(db);
  if (count == 0) return Table::kNone;
  const size_t buckets = table_->bucket_count();
  // Probing random buckets finds one of `db` quickly unless the database is a small share of the
  // table; then pick the n-th such entry by a scan.
  for (int attempt = 0; attempt < 64; ++attempt) {
    const size_t pos = random() % buckets;
    if (table_->Occupied(pos) && table_->View(pos).db == db) return pos;
  }
  int64_t n = static_cast<int64_t>(random() % static_cast<uint64_t>(count));
  for (size_t pos = 0; pos < buckets; ++pos) {
    if (table_->Occupied(pos) && table_->View(pos).db == db && n-- == 0) return pos;
  }
  return Table::kNone;
}

// ---- Store ----

Store::Store(Clock clock) : clock_(std::move(clock)) {}

Store::~Store() = default;

LockedSlot::State* Store::FindState(const Stripe& stripe, Slot slot) {
  auto it = stripe.slots.find(slot);
  return it == stripe.slots.end() ? nullptr : it->second.get();
}

LockedSlot::State* Store::GetState(Stripe& stripe, Slot slot) {
  std::unique_ptr<State>& state = stripe.slots[slot];
  if (!state) state = std::make_unique<State>();
  return state.get();
}

void Store::MaybeForget(Stripe& stripe, Slot slot) {
  auto it = stripe.slots.find(slot);
  if (it == stripe.slots.end()) return;
  const State& s = *it->second;
  if (!s.live && !s.staged && !s.paused && !s.tracking && s.head && !s.has_successor) {
    stripe.slots.erase(it);
  }
}

Status Store::CheckAccess(Slot slot, const State* state, bool write) {
  if (state == nullptr || !state->live) return NoTable(slot);
  if (write && state->paused) return Paused(slot);
  return Status::OK();
}

void Store::AddWait(Slot slot, const State& state, std::vector<SlotSeq>* waits) {
  if (waits != nullptr && state.has_successor) waits->push_back(SlotSeq{slot, state.seq});
}

void Store::SetChainRole(Slot slot, bool head, bool has_successor) {
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  State* state = GetState(stripe, slot);
  state->head = head;
  state->has_successor = has_successor;
  MaybeForget(stripe, slot);  // a default role needs no state
}

uint64_t Store::Seq(Slot slot) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  const State* state = FindState(stripe, slot);
  return state == nullptr ? 0 : state->seq;
}

void Store::AddChainWait(Slot slot, std::vector<SlotSeq>* waits) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  if (const State* state = FindState(stripe, slot)) AddWait(slot, *state, waits);
}

Result<uint64_t> Store::ApplyEffects(Slot slot, const std::vector<Effect>& effects,
                                     std::vector<SlotSeq>* waits, bool* missed) {
  *missed = false;
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  State* state = FindState(stripe, slot);
  DKV_RETURN_NOT_OK(CheckAccess(slot, state, /*write=*/true));
  for (const Effect& effect : effects) {
    const bool db_ok = effect.kind == Effect::Kind::kFlush
                           ? effect.db >= -1 && effect.db < kDatabases
                           : CheckDb(effect.db).ok();
    if (!db_ok || effect.slot != slot) {
      return Status::InvalidArgument("effect " + std::to_string(effect.seq) + " of slot " +
                                     std::to_string(effect.slot) + " names db " +
                                     std::to_string(effect.db) + " in a batch for slot " +
                                     std::to_string(slot));
    }
  }
  Table& table = *state->live;
  Status status;
  size_t accepted = 0;
  for (const Effect& effect : effects) {
    if (effect.seq > state->seq + 1) {
      *missed = true;
      status = Status::InvalidArgument("out of sequence: slot " + std::to_string(slot) +
                                       " reflects effects up to " + std::to_string(state->seq) +
                                       ", got " + std::to_string(effect.seq));
      break;
    }
    ++accepted;
    if (effect.seq <= state->seq) continue;  // reflected already (a predecessor re-sent it)
    // Dirty tracking and the key count go through LockedSlot, as for any change.
    LockedSlot locked(this, state, slot, /*writable=*/true, NowMs());
    switch (effect.kind) {
      case Effect::Kind::kPut:
        locked.Put(effect.db, effect.key, effect.value, effect.expire_at_ms);
        break;
      case Effect::Kind::kDel: {
        const size_t pos = table.Find(effect.db, effect.key);
        if (pos != Table::kNone) locked.Erase(pos);
        break;
      }
      case Effect::Kind::kFlush:
        locked.EraseAll(effect.db);
        break;
    }
    state->seq = effect.seq;
  }
  if (state->has_successor && accepted > 0 && sink_ != nullptr) {
    sink_->Append(std::vector<Effect>(effects.begin(), effects.begin() + accepted));
  }
  AddWait(slot, *state, waits);
  if (!status.ok()) return status;
  return state->seq;
}

void Store::AddSlot(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  State* state = GetState(stripe, slot);
  if (!state->live) state->live = std::make_unique<Table>();
}

int64_t Store::DropSlot(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  std::unique_ptr<Table> table;
  {
    MutexLock l(&stripe.mu);
    State* state = FindState(stripe, slot);
    if (state == nullptr) return 0;
    table = std::move(state->live);
    state->seq = 0;
    state->head = true;
    state->has_successor = false;
    state->paused = false;
    state->tracking = false;
    state->dirty.clear();
    state->expire_cursor = 0;
    MaybeForget(stripe, slot);
    if (!table) return 0;
    // Counted while still under the lock, so KeyCount never sees keys that no table holds.
    key_count_.fetch_sub(static_cast<int64_t>(table->size()), std::memory_order_relaxed);
  }
  // The table (possibly large) is freed here, outside the stripe's lock.
  return static_cast<int64_t>(table->size());
}

bool Store::HasSlot(Slot slot) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  const State* state = FindState(stripe, slot);
  return state != nullptr && state->live != nullptr;
}

Status Store::Access(Slot slot, bool write, const std::function<void(LockedSlot&)>& fn,
                     std::vector<SlotSeq>* waits) {
  Stripe& stripe = StripeOf(slot);
  const int64_t now_ms = NowMs();
  MutexLock l(&stripe.mu);
  State* state = FindState(stripe, slot);
  DKV_RETURN_NOT_OK(CheckAccess(slot, state, write));
  {
    LockedSlot locked(this, state, slot, write, now_ms);
    fn(locked);
  }  // its effects are emitted here, before what they are waited for is taken
  AddWait(slot, *state, waits);
  return Status::OK();
}

Status Store::AccessSlots(const std::vector<Slot>& slots, bool write,
                          const std::function<void(const std::vector<LockedSlot*>&)>& fn,
                          std::vector<SlotSeq>* waits) {
  std::vector<size_t> stripes;
  stripes.reserve(slots.size());
  for (Slot slot : slots) stripes.push_back(StripeIndex(slot));
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());

  const int64_t now_ms = NowMs();
  for (size_t i : stripes) stripes_[i].mu.Lock();
  Status status;
  std::vector<std::unique_ptr<LockedSlot>> locked;  // one per distinct slot
  std::vector<LockedSlot*> views;
  for (Slot slot : slots) {
    State* state = FindState(StripeOf(slot), slot);
    status = CheckAccess(slot, state, write);
    if (!status.ok()) break;
    auto same = std::find_if(locked.begin(), locked.end(),
                             [state](const auto& l) { return l->state_ == state; });
    if (same == locked.end()) {
      locked.emplace_back(new LockedSlot(this, state, slot, write, now_ms));
      same = locked.end() - 1;
    }
    views.push_back(same->get());
  }
  if (status.ok()) fn(views);
  locked.clear();  // before the locks go (and after the effects are emitted)
  if (status.ok()) {
    for (Slot slot : slots) AddWait(slot, *FindState(StripeOf(slot), slot), waits);
  }
  for (auto it = stripes.rbegin(); it != stripes.rend(); ++it) stripes_[*it].mu.Unlock();
  return status;
}

Status Store::ForEachSlot(bool write, const std::function<void(Slot, LockedSlot&)>& fn,
                          std::vector<SlotSeq>* waits) {
  std::vector<Slot> paused;
  for (Stripe& stripe : stripes_) {
    const int64_t now_ms = NowMs();
    MutexLock l(&stripe.mu);
    for (auto& [slot, state] : stripe.slots) {
      if (!state->live || !state->head) continue;
      if (write && state->paused) {
        paused.push_back(slot);
        continue;
      }
      {
        LockedSlot locked(this, state.get(), slot, write, now_ms);
        fn(slot, locked);
      }
      AddWait(slot, *state, waits);
    }
  }
  if (paused.empty()) return Status::OK();
  std::sort(paused.begin(), paused.end());
  std::string names;
  for (Slot slot : paused) names += (names.empty() ? "" : ", ") + std::to_string(slot);
  return Status::Moving("slots " + names +
                        " are being moved: their writes are paused briefly, retry");
}

int64_t Store::SlotKeyCount(Slot slot) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  const State* state = FindState(stripe, slot);
  return state == nullptr || !state->live ? 0 : static_cast<int64_t>(state->live->size());
}

void Store::PauseWrites(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  GetState(stripe, slot)->paused = true;
}

void Store::ResumeWrites(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  if (State* state = FindState(stripe, slot)) state->paused = false;
  MaybeForget(stripe, slot);
}

void Store::StartTracking(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  GetState(stripe, slot)->tracking = true;
}

std::vector<DbKey> Store::TakeDirty(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  std::unordered_set<DbKey, DbKeyHash> dirty;
  {
    MutexLock l(&stripe.mu);
    if (State* state = FindState(stripe, slot)) dirty.swap(state->dirty);
  }
  std::vector<DbKey> keys;
  keys.reserve(dirty.size());
  for (auto it = dirty.begin(); it != dirty.end();) {
    keys.push_back(std::move(dirty.extract(it++).value()));
  }
  return keys;
}

void Store::StopTracking(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  std::unordered_set<DbKey, DbKeyHash> dirty;  // freed outside the lock
  MutexLock l(&stripe.mu);
  if (State* state = FindState(stripe, slot)) {
    state->tracking = false;
    dirty.swap(state->dirty);
  }
  MaybeForget(stripe, slot);
}

std::vector<DbKey> Store::SlotKeys(Slot slot) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  std::vector<DbKey> keys;
  const State* state = FindState(stripe, slot);
  if (state == nullptr || !state->live) return keys;
  const Table& table = *state->live;
  keys.reserve(table.size());
  for (size_t pos = 0; pos < table.bucket_count(); ++pos) {
    if (!table.Occupied(pos)) continue;
    const EntryView v = table.View(pos);
    keys.push_back(DbKey{v.db, std::string(v.key)});
  }
  return keys;
}

Status Store::ReadPart(Slot slot, int32_t db, const std::string& key, uint64_t offset,
                       uint64_t max_bytes, ValuePart* part) const {
  DKV_RETURN_NOT_OK(CheckDb(db));
  *part = ValuePart();
  const Stripe& stripe = StripeOf(slot);
  const int64_t now_ms = NowMs();
  MutexLock l(&stripe.mu);
  const State* state = FindState(stripe, slot);
  DKV_RETURN_NOT_OK(CheckAccess(slot, state, /*write=*/false));
  const size_t pos = state->live->Find(db, key);
  if (pos == Table::kNone) return Status::OK();
  const EntryView v = state->live->View(pos);
  // Expired: absent, but left for the reader or active expiry to delete (this is const).
  if (v.expire_at_ms != 0 && v.expire_at_ms < now_ms) return Status::OK();
  part->found = true;
  part->expire_at_ms = v.expire_at_ms;
  part->total_size = v.value.size();
  if (offset < v.value.size()) {
    part->bytes.assign(
        v.value.substr(offset, std::min<uint64_t>(max_bytes, v.value.size() - offset)));
  }
  return Status::OK();
}

void Store::BeginImport(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  std::unique_ptr<Table> old;  // freed outside the lock
  MutexLock l(&stripe.mu);
  State* state = GetState(stripe, slot);
  old = std::move(state->staged);
  state->staged = std::make_unique<Table>();
}

Status Store::ImportPart(Slot slot, int32_t db, const std::string& key, std::string_view bytes,
                         uint64_t offset, uint64_t total_size, int64_t expire_at_ms, bool deleted) {
  DKV_RETURN_NOT_OK(CheckDb(db));
  if (!deleted && (offset > total_size || bytes.size() > total_size - offset)) {
    return Status::InvalidArgument("import part [" + std::to_string(offset) + ", +" +
                                   std::to_string(bytes.size()) + ") does not fit a value of " +
                                   std::to_string(total_size) + " bytes");
  }
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  State* state = FindState(stripe, slot);
  if (state == nullptr || !state->staged) {
    return Status::NotFound("no import is staged for slot " + std::to_string(slot));
  }
  Table& table = *state->staged;
  size_t pos = table.Find(db, key);
  if (deleted) {
    if (pos != Table::kNone) table.Erase(pos);
    return Status::OK();
  }
  char* value = nullptr;
  if (offset == 0) {
    // Zero-filled to the full size at once, so later parts only write in place.
    pos = table.Put(db, key, std::string_view(), expire_at_ms);
    value = table.ResizeValue(pos, total_size);
  } else {
    if (pos == Table::kNone || table.View(pos).value.size() != total_size) {
      return Status::InvalidArgument("import part at offset " + std::to_string(offset) +
                                     " of a value of " + std::to_string(total_size) +
                                     " bytes that was not started");
    }
    value = const_cast<char*>(table.View(pos).value.data());
  }
  if (!bytes.empty()) std::memcpy(value + offset, bytes.data(), bytes.size());
  return Status::OK();
}

bool Store::AdoptImport(Slot slot, uint64_t seq) {
  Stripe& stripe = StripeOf(slot);
  std::unique_ptr<Table> old;  // freed outside the lock
  MutexLock l(&stripe.mu);
  State* state = FindState(stripe, slot);
  if (state == nullptr || !state->staged) return false;
  old = std::move(state->live);
  state->live = std::move(state->staged);
  state->expire_cursor = 0;
  state->seq = seq;
  key_count_.fetch_add(
      static_cast<int64_t>(state->live->size()) - (old ? static_cast<int64_t>(old->size()) : 0),
      std::memory_order_relaxed);
  return true;
}

void Store::DropImport(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  std::unique_ptr<Table> old;  // freed outside the lock
  MutexLock l(&stripe.mu);
  if (State* state = FindState(stripe, slot)) old = std::move(state->staged);
  MaybeForget(stripe, slot);
}

bool Store::HasImport(Slot slot) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  const State* state = FindState(stripe, slot);
  return state != nullptr && state->staged != nullptr;
}

std::vector<Slot> Store::SlotsWithExpiry() const {
  std::vector<Slot> slots;
  for (const Stripe& stripe : stripes_) {
    MutexLock l(&stripe.mu);
    for (const auto& [slot, state] : stripe.slots) {
      if (state->live && state->live->expiring() != 0) slots.push_back(slot);
    }
  }
  return slots;
}

Store::ExpireResult Store::ExpireSome(Slot slot, int max_checked) {
  ExpireResult result;
  Stripe& stripe = StripeOf(slot);
  const int64_t now_ms = NowMs();
  MutexLock l(&stripe.mu);
  State* state = FindState(stripe, slot);
  if (state == nullptr || !state->live || state->live->expiring() == 0) return result;
  // Writable: deleting an expired key is not a client write, so a paused slot expires too.
  LockedSlot locked(this, state, slot, /*writable=*/true, now_ms);
  const Table& table = *state->live;
  size_t buckets_left = static_cast<size_t>(max_checked) * 20;
  size_t pos = state->expire_cursor;
  while (result.checked < max_checked && buckets_left > 0 && table.expiring() != 0) {
    --buckets_left;
    if (pos >= table.bucket_count()) pos = 0;
    if (!table.HasExpiryAt(pos)) {
      ++pos;
      continue;
    }
    ++result.checked;
    if (locked.Expired(table.View(pos).expire_at_ms)) {
      locked.Erase(pos);  // a later entry may shift into `pos`: look at it next
      ++result.expired;
    } else {
      ++pos;
    }
  }
  state->expire_cursor = pos;
  return result;
}

}  // namespace dkv::data
