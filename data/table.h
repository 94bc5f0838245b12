// Table: one slot's keys, (db, key) -> (value, expire_at_ms), in an open-addressing hash table
// built for memory per key (issue #6; measured in docs/data-node.md).
//
// Each entry is one malloc'd block: a header byte (db in the low 4 bits, bit 4 set when the entry
// has an expiry time), the key and value lengths as varints, the 8-byte expiry time only when set,
// then the key bytes and the value bytes. The bucket array holds one 64-bit word per bucket: the
// entry's address in the low 48 bits with bit 0 standing for "has an expiry" (so active expiry
// scans the array without touching entries), and 16 bits of the key's hash on top (so a probe
// rarely touches an entry that is not the one looked for). Linear probing, backward-shift deletion
// (no tombstones), power-of-two sizes between 1/8 and 7/8 full.
//
// Positions (size_t) returned by Find/Put are valid until the next call that changes the table.
// An expiry time of 0 means none; expiry is judged by the caller (Store's LockedSlot), the table
// only keeps the time.
//
// Thread-safety: none; the Store guards each table with its stripe's lock. Owns its entries; not
// copyable.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/op.h"

namespace dkv::data {

// What an entry holds; the views point into the entry and are valid as positions are.
struct EntryView {
  int32_t db = 0;
  std::string_view key;
  std::string_view value;
  int64_t expire_at_ms = 0;  // 0: no expiry
};

class Table {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  Table() = default;
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // Entries in all databases, in one database, and with an expiry time.
  size_t size() const { return size_; }
  int64_t CountInDb(int32_t db) const { return by_db_[static_cast<size_t>(db)]; }
  size_t expiring() const { return expiring_; }

  // The position of (db, key), or kNone.
  size_t Find(int32_t db, std::string_view key) const;

  // Inserts (db, key) or replaces its value and expiry time; returns its position.
  size_t Put(int32_t db, std::string_view key, std::string_view value, int64_t expire_at_ms);

  // Deletes the entry at `pos`.
  void Erase(size_t pos);

  EntryView View(size_t pos) const;

  // Sets the expiry time of the entry at `pos` (0 removes it). The position stays valid.
  void SetExpiry(size_t pos, int64_t expire_at_ms);

  // Resizes the value of the entry at `pos` to `size` bytes, keeping its first bytes and filling
  // new ones with zeros; returns the value's bytes for the caller to write. The position stays
  // valid.
  char* ResizeValue(size_t pos, size_t size);

  // Bucket-level access for scans (SCAN, active expiry, random keys, flushes): positions run over
  // [0, bucket_count()). Erasing at `pos` may move a later entry into `pos`, so a scan that erases
  // looks at the same position again.
  size_t bucket_count() const { return buckets_ ? mask_ + 1 : 0; }
  bool Occupied(size_t pos) const { return buckets_[pos] != 0; }
  bool HasExpiryAt(size_t pos) const { return (buckets_[pos] & kExpiryBit) != 0; }

  // Halves the bucket array while it is under 1/8 full (frees it when empty). Positions change:
  // call it after a batch of erasures, not during a scan.
  void MaybeShrink();

 private:
  static constexpr uint64_t kExpiryBit = 1;
  static constexpr uint64_t kPointerMask = (uint64_t{1} << 48) - 1;

  static uint64_t Hash(int32_t db, std::string_view key);
  static char* EntryOf(uint64_t word) {
    return reinterpret_cast<char*>(word & kPointerMask & ~kExpiryBit);
  }
  static uint64_t WordOf(const char* entry, uint64_t hash);

  // Makes room for one more entry (grows at 7/8 full).
  void Reserve();
  void Rehash(size_t capacity);
  // The position of the first empty bucket on the probe path of `hash`.
  size_t FreeSlotFor(uint64_t hash) const;
  // Counts the entry in (added) or out of size_, by_db_ and expiring_.
  void Account(const char* entry, bool added);

  uint64_t* buckets_ = nullptr;  // owned; null while empty
  size_t mask_ = 0;              // capacity - 1
  size_t size_ = 0;
  size_t expiring_ = 0;
  std::array<int64_t, kDatabases> by_db_{};
};

}  // namespace dkv::data
