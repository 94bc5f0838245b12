#include "common/split_args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dkv {
namespace {

using Args = std::vector<std::string>;

TEST(SplitArgsTest, SplitsOnBlanks) {
  EXPECT_EQ(SplitArgs("set  key\tvalue "), (Args{"set", "key", "value"}));
  EXPECT_EQ(SplitArgs(""), Args{});
  EXPECT_EQ(SplitArgs(" \t\r\n\v\f"), Args{});
}

TEST(SplitArgsTest, DoubleQuotesTakeEscapes) {
  EXPECT_EQ(SplitArgs(R"("a b" "\n\r\t\b\a\"\\\q" "\x41\x7a\xZZ")"),
            (Args{"a b", "\n\r\t\b\a\"\\q", "AzxZZ"}));
  EXPECT_EQ(SplitArgs(R"("\x00")"), (Args{std::string("\0", 1)}));
  EXPECT_EQ(SplitArgs(R"("")"), (Args{""}));
}

TEST(SplitArgsTest, SingleQuotesTakeOnlyEscapedQuote) {
  EXPECT_EQ(SplitArgs(R"('a\'b\n' '')"), (Args{"a'b\\n", ""}));
}

TEST(SplitArgsTest, QuoteMayStartInsideAnArgument) {
  EXPECT_EQ(SplitArgs(R"(a"b c" d'e f')"), (Args{"ab c", "de f"}));
}

TEST(SplitArgsTest, UnbalancedOrGluedQuotesFail) {
  EXPECT_EQ(SplitArgs(R"("abc)"), std::nullopt);
  EXPECT_EQ(SplitArgs(R"('abc)"), std::nullopt);
  EXPECT_EQ(SplitArgs(R"("a"b)"), std::nullopt);
  EXPECT_EQ(SplitArgs(R"('a'b)"), std::nullopt);
  EXPECT_EQ(SplitArgs(R"("a\")"), std::nullopt);
}

TEST(SplitArgsTest, NulByteEndsTheLineAsInRedis) {
  EXPECT_EQ(SplitArgs(std::string("a b\0c d", 7)), (Args{"a", "b"}));
}

}  // namespace
}  // namespace dkv
