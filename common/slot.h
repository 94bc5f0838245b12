// Keys to slots: slot = XXH3-64(key) mod slot_count. XXH3 (libxxhash) is stable across versions,
// platforms and processes, unlike std::hash, so every server and data node computes the same slot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dkv {

using Slot = int32_t;

// The slot count of a new cluster unless --slots says otherwise; fixed for the cluster's life.
inline constexpr int32_t kDefaultSlotCount = 1024;

uint64_t KeyHash(std::string_view key);

// Requires slot_count > 0.
Slot SlotOf(std::string_view key, int32_t slot_count);

// Ascending slots as ranges for people to read: {0, 1, 2, 7, 9, 10} -> "0-2,7,9-10"; "" if none.
// Requires `slots` ascending without repeats.
std::string SlotRanges(const std::vector<Slot>& slots);

}  // namespace dkv
