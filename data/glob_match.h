// GlobMatch: Redis's glob-style pattern matching (stringmatchlen in redis/src/util.c), used by
// SCAN ... MATCH. `*` any run of bytes, `?` any one byte, `[abc]`, `[^abc]`, `[a-z]` (bounds in
// either order) a class, `\x` the byte x itself; anything else matches itself. A class left open at
// the pattern's end is closed there, as in Redis. Bytes compare as unsigned values.
//
// Bounded: like Redis, `*` recursion deeper than 1000 is a mismatch, and a failed `*` stops the
// retries of the ones before it, so a hostile pattern costs O(pattern × string).
// Thread-safety: a pure function.
#pragma once

#include <string_view>

namespace dkv::data {

bool GlobMatch(std::string_view pattern, std::string_view str);

}  // namespace dkv::data
