#include "data/glob_match.h"

#include <utility>

namespace dkv::data {

namespace {

constexpr int kMaxNesting = 1000;

int Byte(const char* p) { return static_cast<unsigned char>(*p); }

// A transcription of Redis's stringmatchlen_impl (case-sensitive), with the pattern read only
// within its length.
bool Match(const char* pattern, size_t pattern_len, const char* str, size_t str_len,
           bool* skip_longer_matches, int nesting) {
  if (nesting > kMaxNesting) return false;
  while (pattern_len != 0 && str_len != 0) {
    switch (pattern[0]) {
      case '*':
        while (pattern_len > 1 && pattern[1] == '*') {
          ++pattern;
          --pattern_len;
        }
        if (pattern_len == 1) return true;
        while (str_len != 0) {
          if (Match(pattern + 1, pattern_len - 1, str, str_len, skip_longer_matches, nesting + 1)) {
            return true;
          }
          if (*skip_longer_matches) return false;
          ++str;
          --str_len;
        }
        // The rest of the pattern matches nowhere in the rest of the string: an earlier `*`
        // taking more of the string cannot help either.
        *skip_longer_matches = true;
        return false;
      case '?':
        ++str;
        --str_len;
        break;
      case '[': {
        ++pattern;
        --pattern_len;
        const bool negate = pattern_len != 0 && pattern[0] == '^';
        if (negate) {
          ++pattern;
          --pattern_len;
        }
        bool match = false;
        for (;;) {
          if (pattern_len == 0) {
            // An unterminated class ends with the pattern (the ++ below is undone).
            --pattern;
            ++pattern_len;
            break;
          }
          if (pattern[0] == '\\' && pattern_len >= 2) {
            ++pattern;
            --pattern_len;
            if (pattern[0] == str[0]) match = true;
          } else if (pattern[0] == ']') {
            break;
          } else if (pattern_len >= 3 && pattern[1] == '-') {
            int start = Byte(pattern);
            int end = Byte(pattern + 2);
            if (start > end) std::swap(start, end);
            const int c = Byte(str);
            pattern += 2;
            pattern_len -= 2;
            if (c >= start && c <= end) match = true;
          } else if (pattern[0] == str[0]) {
            match = true;
          }
          ++pattern;
          --pattern_len;
        }
        if (negate) match = !match;
        if (!match) return false;
        ++str;
        --str_len;
        break;
      }
      case '\\':
        if (pattern_len >= 2) {
          ++pattern;
          --pattern_len;
        }
        [[fallthrough]];
      default:
        if (pattern[0] != str[0]) return false;
        ++str;
        --str_len;
        break;
    }
    ++pattern;
    --pattern_len;
    if (str_len == 0) {
      while (pattern_len != 0 && pattern[0] == '*') {
        ++pattern;
        --pattern_len;
      }
      break;
    }
  }
  return pattern_len == 0 && str_len == 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str) {
  bool skip_longer_matches = false;
  return Match(pattern.data(), pattern.size(), str.data(), str.size(), &skip_longer_matches, 0);
}

}  // namespace dkv::data
