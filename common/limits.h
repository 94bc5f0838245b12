// Size limits on keys and values, enforced by the master before anything is stored.
#pragma once

#include <cstddef>
#include <string_view>

#include "dkv/status.h"

namespace dkv {

struct Limits {
  size_t max_key_bytes = 64 * 1024;
  size_t max_value_bytes = 16 * 1024 * 1024;
};

// KEY_TOO_LARGE naming both sizes, or OK.
Status CheckKey(std::string_view key, const Limits& limits);
// VALUE_TOO_LARGE naming both sizes, or OK.
Status CheckValue(std::string_view value, const Limits& limits);

}  // namespace dkv
