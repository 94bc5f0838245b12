#include "common/slot.h"

#include <xxhash.h>

namespace dkv {

uint64_t KeyHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

Slot SlotOf(std::string_view key, int32_t slot_count) {
  return static_cast<Slot>(KeyHash(key) % static_cast<uint64_t>(slot_count));
}

std::string SlotRanges(const std::vector<Slot>& slots) {
  std::string out;
  for (size_t i = 0; i < slots.size();) {
    size_t end = i;  // the last slot of the run starting at i
    while (end + 1 < slots.size() && slots[end + 1] == slots[end] + 1) ++end;
    if (!out.empty()) out += ',';
    out += std::to_string(slots[i]);
    if (end > i) out += '-' + std::to_string(slots[end]);
    i = end + 1;
  }
  return out;
}

}  // namespace dkv
