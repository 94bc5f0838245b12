// Fence: what fences every master->data call (DESIGN.md, "Election and fencing").
#pragma once

#include <cstdint>

namespace dkv {

struct Fence {
  int64_t epoch = 0;
  int64_t map_version = 0;
};

}  // namespace dkv
