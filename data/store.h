// Store: a data node's keys and values, in memory, one table per slot the node holds.
//
// A table exists only for a slot the node owns (AddSlot when the slot map grants it, DropSlot when
// a new map takes it away), so a slot is counted or dropped as a unit, and a write that was fenced
// under an old map but lands after its slot was dropped is refused (WRONG_NODE) instead of leaving
// an orphaned key behind. Keys and values are arbitrary bytes.
//
// Thread-safety: every method is thread-safe. Tables are spread over kStripes lock stripes by slot
// number (slot % kStripes), so calls on different slots rarely contend and no lock is global. The
// key count is an atomic kept in step with the tables.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/mutex.h"
#include "common/slot.h"
#include "dkv/status.h"

namespace dkv::data {

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Creates an empty table for `slot` unless it has one already.
  void AddSlot(Slot slot);

  // Deletes the table of `slot` with every key in it; returns how many keys it held (0 when the
  // slot had no table).
  int64_t DropSlot(Slot slot);

  // Whether `slot` has a table.
  bool HasSlot(Slot slot) const;

  // Looks `key` up in the table of `slot`. OK with *found false when the key is absent (a normal
  // outcome); OK with *found true and the value copied into *value otherwise. WRONG_NODE when the
  // slot has no table.
  Status Get(Slot slot, const std::string& key, bool* found, std::string* value) const;

  // Inserts or replaces `key`. WRONG_NODE when the slot has no table.
  Status Set(Slot slot, const std::string& key, std::string value);

  // Deletes `key`; *existed says whether it was there. WRONG_NODE when the slot has no table.
  Status Remove(Slot slot, const std::string& key, bool* existed);

  // Keys in the table of `slot` (0 without a table).
  int64_t SlotKeyCount(Slot slot) const;

  // Keys in all tables. Exact once concurrent writers have returned; one atomic load.
  int64_t KeyCount() const { return key_count_.load(std::memory_order_relaxed); }

 private:
  using Table = std::unordered_map<std::string, std::string>;

  // 256 stripes: with the default 1024 slots, four slots share a lock.
  static constexpr int kStripes = 256;

  // Aligned to a cache line so that stripes locked by different threads do not share one.
  struct alignas(64) Stripe {
    mutable Mutex mu;
    std::unordered_map<Slot, Table> tables GUARDED_BY(mu);
  };

  Stripe& StripeOf(Slot slot) { return stripes_[static_cast<uint32_t>(slot) % kStripes]; }
  const Stripe& StripeOf(Slot slot) const {
    return stripes_[static_cast<uint32_t>(slot) % kStripes];
  }

  std::array<Stripe, kStripes> stripes_;
  std::atomic<int64_t> key_count_{0};
};

}  // namespace dkv::data
