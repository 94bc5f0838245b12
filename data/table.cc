#include "data/table.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common/logging.h"

namespace dkv::data {

namespace {

constexpr size_t kMinCapacity = 8;
constexpr uint8_t kDbMask = 0x0f;
constexpr uint8_t kHeaderExpiryBit = 0x10;

size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

const char* GetVarint(const char* p, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(*p++);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  *v = result;
  return p;
}

// The decoded header of an entry block.
struct Layout {
  int32_t db = 0;
  bool has_expiry = false;
  size_t key_len = 0;
  size_t value_len = 0;
  size_t key_offset = 0;  // header bytes, expiry time included
};

Layout Decode(const char* entry) {
  Layout l;
  const uint8_t first = static_cast<uint8_t>(entry[0]);
  l.db = first & kDbMask;
  l.has_expiry = (first & kHeaderExpiryBit) != 0;
  uint64_t key_len = 0;
  uint64_t value_len = 0;
  const char* p = GetVarint(entry + 1, &key_len);
  p = GetVarint(p, &value_len);
  l.key_len = key_len;
  l.value_len = value_len;
  l.key_offset = static_cast<size_t>(p - entry) + (l.has_expiry ? sizeof(int64_t) : 0);
  return l;
}

int64_t ExpiryOf(const char* entry, const Layout& l) {
  if (!l.has_expiry) return 0;
  int64_t t = 0;
  std::memcpy(&t, entry + l.key_offset - sizeof(int64_t), sizeof t);
  return t;
}

size_t BlockSize(size_t key_len, size_t value_len, bool has_expiry) {
  return 1 + VarintLength(key_len) + VarintLength(value_len) + (has_expiry ? sizeof(int64_t) : 0) +
         key_len + value_len;
}

// A new block for (db, key) with room for `value_len` value bytes, which the caller writes;
// returns the block and, in *value, where the value goes.
char* NewEntry(int32_t db, std::string_view key, size_t value_len, int64_t expire_at_ms,
               char** value) {
  const bool has_expiry = expire_at_ms != 0;
  char* entry = static_cast<char*>(std::malloc(BlockSize(key.size(), value_len, has_expiry)));
  if (entry == nullptr) throw std::bad_alloc();
  entry[0] = static_cast<char>(static_cast<uint8_t>(db) | (has_expiry ? kHeaderExpiryBit : 0));
  char* p = PutVarint(entry + 1, key.size());
  p = PutVarint(p, value_len);
  if (has_expiry) {
    std::memcpy(p, &expire_at_ms, sizeof expire_at_ms);
    p += sizeof expire_at_ms;
  }
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  *value = p + key.size();
  return entry;
}

}  // namespace

Table::~Table() {
  for (size_t pos = 0; pos < bucket_count(); ++pos) {
    if (buckets_[pos] != 0) std::free(EntryOf(buckets_[pos]));
  }
  std::free(buckets_);
}

uint64_t Table::Hash(int32_t db, std::string_view key) {
  // Seeded per database, and unrelated to the slot hash: every key of a table has the same slot
  // hash residue, so its low bits would all be equal.
  return XXH3_64bits_withSeed(key.data(), key.size(),
                              0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(db + 1));
}

uint64_t Table::WordOf(const char* entry, uint64_t hash) {
  const uint64_t address = reinterpret_cast<uintptr_t>(entry);
  // Both hold for every allocator dkv runs with (glibc, ASan, TSan on x86-64 and arm64).
  DKV_CHECK((address & ~kPointerMask) == 0 && (address & kExpiryBit) == 0)
      << "entry address " << address << " does not fit a bucket word";
  const bool has_expiry = (static_cast<uint8_t>(entry[0]) & kHeaderExpiryBit) != 0;
  return (hash & ~kPointerMask) | address | (has_expiry ? kExpiryBit : 0);
}

size_t Table::Find(int32_t db, std::string_view key) const {
  if (buckets_ == nullptr) return kNone;
  const uint64_t hash = Hash(db, key);
  const uint64_t tag = hash & ~kPointerMask;
  for (size_t pos = hash & mask_;; pos = (pos + 1) & mask_) {
    const uint64_t word = buckets_[pos];
    if (word == 0) return kNone;
    if ((word & ~kPointerMask) != tag) continue;
    const char* entry = EntryOf(word);
    const Layout l = Decode(entry);
    if (l.db == db && l.key_len == key.size() &&
        std::memcmp(entry + l.key_offset, key.data(), key.size()) == 0) {
      return pos;
    }
  }
}

size_t Table::FreeSlotFor(uint64_t hash) const {
  size_t pos = hash & mask_;
  while (buckets_[pos] != 0) pos = (pos + 1) & mask_;
  return pos;
}

void Table::Account(const char* entry, bool added) {
  const Layout l = Decode(entry);
  const int64_t delta = added ? 1 : -1;
  size_ = added ? size_ + 1 : size_ - 1;
  by_db_[static_cast<size_t>(l.db)] += delta;
  if (l.has_expiry) expiring_ = added ? expiring_ + 1 : expiring_ - 1;
}

void Table::Reserve() {
  const size_t capacity = bucket_count();
  if ((size_ + 1) * 8 > capacity * 7) Rehash(capacity == 0 ? kMinCapacity : capacity * 2);
}

void Table::Rehash(size_t capacity) {
  uint64_t* old = buckets_;
  const size_t old_count = bucket_count();
  buckets_ = static_cast<uint64_t*>(std::calloc(capacity, sizeof(uint64_t)));
  if (buckets_ == nullptr) throw std::bad_alloc();
  mask_ = capacity - 1;
  for (size_t pos = 0; pos < old_count; ++pos) {
    if (old[pos] == 0) continue;
    const char* entry = EntryOf(old[pos]);
    const Layout l = Decode(entry);
    const uint64_t hash = Hash(l.db, std::string_view(entry + l.key_offset, l.key_len));
    buckets_[FreeSlotFor(hash)] = old[pos];
  }
  std::free(old);
}

void Table::MaybeShrink() {
  const size_t capacity = bucket_count();
  if (size_ == 0) {
    std::free(buckets_);
    buckets_ = nullptr;
    mask_ = 0;
    return;
  }
  if (capacity <= kMinCapacity || size_ * 8 >= capacity) return;
  size_t target = capacity;
  while (target > kMinCapacity && size_ * 8 < target * 3) target /= 2;  // about 3/8 full after
  Rehash(target);
}

size_t Table::Put(int32_t db, std::string_view key, std::string_view value, int64_t expire_at_ms) {
  DKV_CHECK(db >= 0 && db < kDatabases) << "db " << db;
  size_t pos = Find(db, key);
  char* value_bytes = nullptr;
  if (pos != kNone) {
    char* old = EntryOf(buckets_[pos]);
    // The new block is written before the old one is freed: `value` may point into it.
    char* entry = NewEntry(db, key, value.size(), expire_at_ms, &value_bytes);
    if (!value.empty()) std::memcpy(value_bytes, value.data(), value.size());
    Account(old, false);
    Account(entry, true);
    buckets_[pos] = WordOf(entry, buckets_[pos]);
    std::free(old);
    return pos;
  }
  Reserve();
  const uint64_t hash = Hash(db, key);
  char* entry = NewEntry(db, key, value.size(), expire_at_ms, &value_bytes);
  if (!value.empty()) std::memcpy(value_bytes, value.data(), value.size());
  pos = FreeSlotFor(hash);
  buckets_[pos] = WordOf(entry, hash);
  Account(entry, true);
  return pos;
}

void Table::Erase(size_t pos) {
  char* entry = EntryOf(buckets_[pos]);
  Account(entry, false);
  std::free(entry);
  // Backward-shift deletion: pull later entries of the probe run into the hole when their home
  // bucket allows it, so lookups never need tombstones.
  size_t hole = pos;
  for (size_t next = (pos + 1) & mask_; buckets_[next] != 0; next = (next + 1) & mask_) {
    const char* moved = EntryOf(buckets_[next]);
    const Layout l = Decode(moved);
    const size_t home = Hash(l.db, std::string_view(moved + l.key_offset, l.key_len)) & mask_;
    if (((next - home) & mask_) >= ((next - hole) & mask_)) {
      buckets_[hole] = buckets_[next];
      hole = next;
    }
  }
  buckets_[hole] = 0;
}

EntryView Table::View(size_t pos) const {
  const char* entry = EntryOf(buckets_[pos]);
  const Layout l = Decode(entry);
  EntryView v;
  v.db = l.db;
  v.key = std::string_view(entry + l.key_offset, l.key_len);
  v.value = std::string_view(entry + l.key_offset + l.key_len, l.value_len);
  v.expire_at_ms = ExpiryOf(entry, l);
  return v;
}

void Table::SetExpiry(size_t pos, int64_t expire_at_ms) {
  char* old = EntryOf(buckets_[pos]);
  const Layout l = Decode(old);
  if (l.has_expiry && expire_at_ms != 0) {
    std::memcpy(old + l.key_offset - sizeof(int64_t), &expire_at_ms, sizeof expire_at_ms);
    return;
  }
  if (!l.has_expiry && expire_at_ms == 0) return;
  // The block changes size: rebuild it.
  char* value_bytes = nullptr;
  char* entry = NewEntry(l.db, std::string_view(old + l.key_offset, l.key_len), l.value_len,
                         expire_at_ms, &value_bytes);
  if (l.value_len != 0) std::memcpy(value_bytes, old + l.key_offset + l.key_len, l.value_len);
  Account(old, false);
  Account(entry, true);
  buckets_[pos] = WordOf(entry, buckets_[pos]);
  std::free(old);
}

char* Table::ResizeValue(size_t pos, size_t size) {
  char* old = EntryOf(buckets_[pos]);
  const Layout l = Decode(old);
  const size_t keep = std::min(size, l.value_len);
  char* entry = nullptr;
  char* value_bytes = nullptr;
  if (VarintLength(size) == VarintLength(l.value_len)) {
    // Same header size: realloc, which grows large blocks in place (APPEND to a big value stays
    // cheap), then rewrite the length.
    entry = static_cast<char*>(std::realloc(old, BlockSize(l.key_len, size, l.has_expiry)));
    if (entry == nullptr) throw std::bad_alloc();
    char* p = PutVarint(entry + 1, l.key_len);
    PutVarint(p, size);
    value_bytes = entry + l.key_offset + l.key_len;
  } else {
    entry = NewEntry(l.db, std::string_view(old + l.key_offset, l.key_len), size, ExpiryOf(old, l),
                     &value_bytes);
    if (keep != 0) std::memcpy(value_bytes, old + l.key_offset + l.key_len, keep);
    std::free(old);
  }
  if (size > keep) std::memset(value_bytes + keep, 0, size - keep);
  buckets_[pos] = WordOf(entry, buckets_[pos]);
  return value_bytes;
}

}  // namespace dkv::data
