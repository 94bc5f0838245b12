// Redis's text forms of numbers (redis/src/util.c string2ll, string2ld, ld2string with
// LD_STR_HUMAN), the one parser of Redis integers and floats in dkv: the RESP front end reads
// lengths and numeric arguments with it, and the data node reads and writes the values of INCRBY
// and INCRBYFLOAT with it, so that a value round-trips exactly as it does on Redis 7.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv {

// Parses a decimal integer in Redis's strict form: an optional '-', no leading zeros, no '+',
// no spaces, within int64. False otherwise ("01", "-0", "+1", " 1", "1.0" are all refused).
bool ParseRedisInt64(std::string_view text, int64_t* value);

// Parses a float as Redis's string2ld: strtold's syntax (so "1e3", "0x10", "inf" parse), no
// leading space, nothing after the number, not NaN, not out of range. False otherwise.
bool ParseRedisLongDouble(std::string_view text, long double* value);

// Redis's human-friendly form of a long double: "%.17Lf" with the trailing zeros (and a bare '.')
// removed, and "-0" written "0". 1e20 gives "100000000000000000000", 0.1L + 0.2L gives "0.3".
// Requires a finite value.
std::string FormatRedisLongDouble(long double value);

}  // namespace dkv
