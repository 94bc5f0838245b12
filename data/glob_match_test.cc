#include "data/glob_match.h"

#include <gtest/gtest.h>

#include <string>

namespace dkv::data {
namespace {

TEST(GlobMatchTest, StarAndQuestionMarkMatchRunsAndSingleBytes) {
  // As Redis's stringmatchlen: a pattern does not match the empty string (SCAN and KEYS treat
  // the pattern "*" as "everything" before matching).
  EXPECT_FALSE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("user:*", "user:42"));
  EXPECT_FALSE(GlobMatch("user:*", "users:42"));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("*a*b*c", "xxaxxbxxc"));
  EXPECT_FALSE(GlobMatch("*a*b*c", "xxaxxcxxb"));
  EXPECT_TRUE(GlobMatch("a**", "a"));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("", ""));
}

TEST(GlobMatchTest, ClassesRangesAndNegation) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h[z-a]llo", "hmllo"));  // bounds in either order
  EXPECT_FALSE(GlobMatch("[0-9]", "a"));
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  // An unterminated class ends with the pattern, as in Redis.
  EXPECT_TRUE(GlobMatch("[ab", "a"));
  EXPECT_FALSE(GlobMatch("[ab", "c"));
}

TEST(GlobMatchTest, BackslashEscapesTheNextByte) {
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("a\\?", "a?"));
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));  // a trailing backslash matches itself
}

TEST(GlobMatchTest, BinaryBytesMatch) {
  EXPECT_TRUE(GlobMatch(std::string("a\0*", 3), std::string("a\0zz", 4)));
  EXPECT_FALSE(GlobMatch(std::string("a\0", 2), "a"));
  EXPECT_TRUE(GlobMatch("[\x01-\xff]", "\x80"));
}

TEST(GlobMatchTest, HostilePatternFinishesQuickly) {
  const std::string str(5000, 'a');
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "*a";
  pattern += "b";
  EXPECT_FALSE(GlobMatch(pattern, str));
  EXPECT_FALSE(GlobMatch(std::string(3000, '*') + "b", str));
}

}  // namespace
}  // namespace dkv::data
