#include "common/redis_number.h"

#include <gtest/gtest.h>

#include <limits>

namespace dkv {
namespace {

TEST(RedisNumberTest, IntegersParseOnlyInRedisStrictForm) {
  int64_t v = 0;
  EXPECT_TRUE(ParseRedisInt64("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseRedisInt64("-42", &v));
  EXPECT_EQ(v, -42);
  EXPECT_TRUE(ParseRedisInt64("9223372036854775807", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(ParseRedisInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
  for (const char* bad : {"", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999", "1e3", "abc"}) {
    EXPECT_FALSE(ParseRedisInt64(bad, &v)) << bad;
  }
}

TEST(RedisNumberTest, FloatsParseAsStrtoldWithoutSpacesOrTrailingBytes) {
  long double v = 0;
  EXPECT_TRUE(ParseRedisLongDouble("1.5", &v));
  EXPECT_EQ(v, 1.5L);
  EXPECT_TRUE(ParseRedisLongDouble("1e3", &v));
  EXPECT_EQ(v, 1000.0L);
  EXPECT_TRUE(ParseRedisLongDouble("0x10", &v));
  EXPECT_EQ(v, 16.0L);
  EXPECT_TRUE(ParseRedisLongDouble("-0.0", &v));
  for (const char* bad : {"", " 1", "1 ", "abc", "nan", "1e99999", "1.0x"}) {
    EXPECT_FALSE(ParseRedisLongDouble(bad, &v)) << bad;
  }
}

TEST(RedisNumberTest, FloatsFormatAsRedisHumanFriendlyForm) {
  EXPECT_EQ(FormatRedisLongDouble(1e20L), "100000000000000000000");
  EXPECT_EQ(FormatRedisLongDouble(0.1L + 0.2L), "0.3");
  EXPECT_EQ(FormatRedisLongDouble(1.5e-7L), "0.00000015");
  EXPECT_EQ(FormatRedisLongDouble(3000.0L), "3000");
  EXPECT_EQ(FormatRedisLongDouble(-0.0L), "0");
  EXPECT_EQ(FormatRedisLongDouble(5e-20L), "0");
  EXPECT_EQ(FormatRedisLongDouble(-2.5L), "-2.5");
}

}  // namespace
}  // namespace dkv
