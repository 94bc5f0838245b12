#include "common/redis_number.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "common/logging.h"

namespace dkv {

namespace {

// Redis's MAX_LONG_DOUBLE_CHARS: the longest float text accepted, and the output buffer.
constexpr size_t kMaxLongDoubleChars = 5 * 1024;
// Redis's LONG_STR_SIZE: "-9223372036854775808" and a terminator.
constexpr size_t kLongStrSize = 21;

}  // namespace

bool ParseRedisInt64(std::string_view text, int64_t* value) {
  if (text.empty() || text.size() >= kLongStrSize) return false;
  if (text == "0") {
    *value = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative && ++i == text.size()) return false;
  if (text[i] < '1' || text[i] > '9') return false;
  uint64_t magnitude = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  const uint64_t max_positive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (magnitude > max_positive + 1) return false;
    // -(2^63) does not fit as a positive int64 first.
    *value = magnitude == max_positive + 1 ? std::numeric_limits<int64_t>::min()
                                           : -static_cast<int64_t>(magnitude);
  } else {
    if (magnitude > max_positive) return false;
    *value = static_cast<int64_t>(magnitude);
  }
  return true;
}

bool ParseRedisLongDouble(std::string_view text, long double* value) {
  if (text.empty() || text.size() >= kMaxLongDoubleChars) return false;
  // strtold needs a terminated string; like Redis, bytes after an embedded NUL are not looked at.
  char buf[kMaxLongDoubleChars];
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  const long double parsed = std::strtold(buf, &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' ||
      ((errno == ERANGE || errno == EINVAL) &&
       (parsed == HUGE_VALL || parsed == -HUGE_VALL || std::fpclassify(parsed) == FP_ZERO)) ||
      std::isnan(parsed)) {
    return false;
  }
  *value = parsed;
  return true;
}

std::string FormatRedisLongDouble(long double value) {
  DKV_CHECK(std::isfinite(value));
  char buf[kMaxLongDoubleChars];
  int len = std::snprintf(buf, sizeof buf, "%.17Lf", value);
  DKV_CHECK(len > 0 && static_cast<size_t>(len) < sizeof buf);  // finite long doubles fit
  // The '.' is always there with %.17Lf.
  while (buf[len - 1] == '0') --len;
  if (buf[len - 1] == '.') --len;
  if (len == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return std::string(buf, static_cast<size_t>(len));
}

}  // namespace dkv
