#include "common/slot.h"

#include <xxhash.h>

namespace dkv {

uint64_t KeyHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

Slot SlotOf(std::string_view key, int32_t slot_count) {
  return static_cast<Slot>(KeyHash(key) % static_cast<uint64_t>(slot_count));
}

}  // namespace dkv
