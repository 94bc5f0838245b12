#include "common/limits.h"

#include <gtest/gtest.h>

#include <string>

namespace dkv {
namespace {

TEST(LimitsTest, KeyAtTheLimitPassesAndOneByteMoreIsTooLarge) {
  Limits limits;
  limits.max_key_bytes = 4;
  EXPECT_TRUE(CheckKey("abcd", limits).ok());
  Status s = CheckKey("abcde", limits);
  EXPECT_EQ(s.code(), Status::Code::kKeyTooLarge);
  EXPECT_EQ(s.message(), "key of 5 bytes exceeds the limit of 4");
}

TEST(LimitsTest, ValueOverTheLimitIsTooLarge) {
  Limits limits;
  EXPECT_TRUE(CheckValue(std::string(16 * 1024 * 1024, 'v'), limits).ok());
  EXPECT_EQ(CheckValue(std::string(16 * 1024 * 1024 + 1, 'v'), limits).code(),
            Status::Code::kValueTooLarge);
}

}  // namespace
}  // namespace dkv
