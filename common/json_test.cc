#include "common/json.h"

#include <gtest/gtest.h>

namespace dkv {
namespace {

TEST(JsonTest, QuoteEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\te"), R"("a\"b\\c\nd\te")");
  EXPECT_EQ(JsonQuote(std::string("\x01\0", 2)), R"("\u0001\u0000")");
  EXPECT_EQ(JsonQuote("héllo"), "\"héllo\"");
}

TEST(JsonTest, StringsAreAnArrayOfQuotedStrings) {
  EXPECT_EQ(JsonStrings({}), "[]");
  EXPECT_EQ(JsonStrings({"a", "b\"c"}), R"(["a","b\"c"])");
}

}  // namespace
}  // namespace dkv
