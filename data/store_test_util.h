// Test support for the Store's tests and its users' (never linked into what ships): the keys of
// database 0 read and written through Store::Access, as the OpExecutor's GET, SET and DEL do.
#pragma once

#include <string>
#include <string_view>

#include "data/store.h"

namespace dkv::data {

// OK with *found false when the key is absent or expired; WRONG_NODE when the slot has no table.
inline Status GetKey(Store& store, Slot slot, const std::string& key, bool* found,
                     std::string* value) {
  return store.Access(slot, /*write=*/false, [&](LockedSlot& t) {
    const size_t pos = t.Find(0, key);
    *found = pos != Table::kNone;
    if (*found) value->assign(t.View(pos).value);
  });
}

// Inserts or replaces `key` without expiry; WRONG_NODE without a table, MOVING while paused.
inline Status SetKey(Store& store, Slot slot, const std::string& key, std::string_view value) {
  return store.Access(slot, /*write=*/true, [&](LockedSlot& t) { t.Put(0, key, value, 0); });
}

// Deletes `key`; *existed says whether it was there (unexpired). Errors as SetKey.
inline Status RemoveKey(Store& store, Slot slot, const std::string& key, bool* existed) {
  return store.Access(slot, /*write=*/true, [&](LockedSlot& t) {
    const size_t pos = t.Find(0, key);
    *existed = pos != Table::kNone;
    if (*existed) t.Erase(pos);
  });
}

}  // namespace dkv::data
