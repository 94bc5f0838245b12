#include "data/store.h"

#include <utility>

namespace dkv::data {

namespace {

Status NoTable(Slot slot) {
  return Status::WrongNode("slot " + std::to_string(slot) + " is not held by this data node");
}

}  // namespace

void Store::AddSlot(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  stripe.tables.try_emplace(slot);
}

int64_t Store::DropSlot(Slot slot) {
  Stripe& stripe = StripeOf(slot);
  decltype(stripe.tables)::node_type node;
  {
    MutexLock l(&stripe.mu);
    node = stripe.tables.extract(slot);
    if (node.empty()) return 0;
    // Counted while still under the lock, so KeyCount never sees keys that no table holds.
    key_count_.fetch_sub(static_cast<int64_t>(node.mapped().size()), std::memory_order_relaxed);
  }
  // The table (possibly large) is freed here, outside the stripe's lock.
  return static_cast<int64_t>(node.mapped().size());
}

bool Store::HasSlot(Slot slot) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  return stripe.tables.count(slot) != 0;
}

Status Store::Get(Slot slot, const std::string& key, bool* found, std::string* value) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  auto table = stripe.tables.find(slot);
  if (table == stripe.tables.end()) return NoTable(slot);
  auto it = table->second.find(key);
  *found = it != table->second.end();
  if (*found) *value = it->second;
  return Status::OK();
}

Status Store::Set(Slot slot, const std::string& key, std::string value) {
  Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  auto table = stripe.tables.find(slot);
  if (table == stripe.tables.end()) return NoTable(slot);
  auto [it, inserted] = table->second.try_emplace(key);
  // Swapped rather than assigned: the old value goes out with the parameter, after the lock is
  // released.
  it->second.swap(value);
  if (inserted) key_count_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

Status Store::Remove(Slot slot, const std::string& key, bool* existed) {
  Stripe& stripe = StripeOf(slot);
  std::string old_value;  // freed after the lock is released
  MutexLock l(&stripe.mu);
  auto table = stripe.tables.find(slot);
  if (table == stripe.tables.end()) return NoTable(slot);
  auto it = table->second.find(key);
  *existed = it != table->second.end();
  if (*existed) {
    old_value.swap(it->second);
    table->second.erase(it);
    key_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  return Status::OK();
}

int64_t Store::SlotKeyCount(Slot slot) const {
  const Stripe& stripe = StripeOf(slot);
  MutexLock l(&stripe.mu);
  auto table = stripe.tables.find(slot);
  return table == stripe.tables.end() ? 0 : static_cast<int64_t>(table->second.size());
}

}  // namespace dkv::data
