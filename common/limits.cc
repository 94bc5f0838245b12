#include "common/limits.h"

#include <string>

namespace dkv {

Status CheckKey(std::string_view key, const Limits& limits) {
  if (key.size() <= limits.max_key_bytes) return Status::OK();
  return Status::KeyTooLarge("key of " + std::to_string(key.size()) +
                             " bytes exceeds the limit of " + std::to_string(limits.max_key_bytes));
}

Status CheckValue(std::string_view value, const Limits& limits) {
  if (value.size() <= limits.max_value_bytes) return Status::OK();
  return Status::ValueTooLarge("value of " + std::to_string(value.size()) +
                               " bytes exceeds the limit of " +
                               std::to_string(limits.max_value_bytes));
}

}  // namespace dkv
