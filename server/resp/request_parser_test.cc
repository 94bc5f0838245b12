#include "server/resp/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dkv::resp {
namespace {

using Commands = std::vector<std::vector<std::string>>;

struct Parsed {
  Commands commands;
  std::string error;  // empty unless a protocol error ended the input
  size_t buffered = 0;
};

// Drains every command `parser` has complete.
void Drain(RequestParser* parser, Parsed* parsed) {
  std::vector<std::string> args;
  while (true) {
    switch (parser->Next(&args)) {
      case RequestParser::Outcome::kCommand:
        parsed->commands.push_back(args);
        continue;
      case RequestParser::Outcome::kNeedMore:
        return;
      case RequestParser::Outcome::kError:
        parsed->error = parser->error();
        return;
    }
  }
}

// Feeds `input` in pieces of at most `chunk` bytes, parsing after each.
Parsed ParseInChunks(std::string_view input, size_t chunk, RequestLimits limits = {}) {
  RequestParser parser(limits);
  Parsed parsed;
  for (size_t i = 0; i < input.size() && parsed.error.empty(); i += chunk) {
    parser.Append(input.substr(i, chunk));
    Drain(&parser, &parsed);
  }
  parsed.buffered = parser.buffered_bytes();
  return parsed;
}

Parsed Parse(std::string_view input, RequestLimits limits = {}) {
  return ParseInChunks(input, input.empty() ? 1 : input.size(), limits);
}

std::string Error(std::string_view input, RequestLimits limits = {}) {
  return Parse(input, limits).error;
}

TEST(RequestParserTest, ParsesArrayOfBulkStrings) {
  Parsed p = Parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.commands, (Commands{{"SET", "k", "hello"}}));
  EXPECT_EQ(p.buffered, 0u);
}

TEST(RequestParserTest, BulkStringsAreBinarySafe) {
  const std::string value("a\r\n\0b$*", 7);
  Parsed p = Parse("*2\r\n$4\r\nECHO\r\n$7\r\n" + value + "\r\n");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.commands, (Commands{{"ECHO", value}}));
}

TEST(RequestParserTest, EmptyBulkStringIsAnArgument) {
  EXPECT_EQ(Parse("*2\r\n$3\r\nGET\r\n$0\r\n\r\n").commands, (Commands{{"GET", ""}}));
}

TEST(RequestParserTest, ParsesInlineCommands) {
  EXPECT_EQ(Parse("PING\r\n").commands, (Commands{{"PING"}}));
  EXPECT_EQ(Parse("set k   v\n").commands, (Commands{{"set", "k", "v"}}));
  EXPECT_EQ(Parse("ECHO \"a b\\x41\\n\" 'c\\'d'\r\n").commands,
            (Commands{{"ECHO", "a bA\n", "c'd"}}));
  EXPECT_EQ(Parse("ECHO a\"b c\"\r\n").commands, (Commands{{"ECHO", "ab c"}}));
}

// Only '*' starts an array request: a request starting with any other type byte is an inline
// command, as in Redis (which answers these with unknown command '+PING', ':1', '$4', then PONG).
TEST(RequestParserTest, AnotherTypeByteStartsAnInlineCommand) {
  Parsed p = Parse("+PING\r\n:1\r\n$4\r\nPING\r\n-x\r\n");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.commands, (Commands{{"+PING"}, {":1"}, {"$4"}, {"PING"}, {"-x"}}));
}

TEST(RequestParserTest, EmptyRequestsYieldNothing) {
  Parsed p = Parse("\r\n\n   \r\n*0\r\n*-1\r\n*-5\r\nPING\r\n");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.commands, (Commands{{"PING"}}));
  EXPECT_EQ(p.buffered, 0u);
}

TEST(RequestParserTest, ParsesPipelinedMixOfFormsInOrder) {
  Parsed p = Parse("*1\r\n$4\r\nPING\r\nECHO x\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nQUIT\r\n");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.commands, (Commands{{"PING"}, {"ECHO", "x"}, {"GET", "k"}, {"QUIT"}}));
}

TEST(RequestParserTest, IncompleteCommandWaitsForMoreBytes) {
  Parsed p = Parse("*2\r\n$3\r\nGET\r\n$5\r\nab");
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.commands.empty());
  EXPECT_EQ(p.buffered, 2u);  // the consumed prefix is not kept
  Parsed inline_part = Parse("PIN");
  EXPECT_TRUE(inline_part.commands.empty());
  EXPECT_EQ(inline_part.buffered, 3u);
}

// Every split of a pipelined input into two reads, and one byte per read, gives the commands a
// single read gives.
TEST(RequestParserTest, SplitAtEveryByteBoundaryGivesSameCommands) {
  const std::string input =
      "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$12\r\nhello\r\nworld\r\n"
      "PING\r\n*0\r\n\r\nECHO 'a b' \"c\\x00\"\n*1\r\n$0\r\n\r\n";
  const Parsed whole = Parse(input);
  ASSERT_EQ(whole.error, "");
  ASSERT_EQ(whole.commands.size(), 4u);
  EXPECT_EQ(whole.commands[2], (std::vector<std::string>{"ECHO", "a b", std::string("c\0", 2)}));
  for (size_t split = 1; split < input.size(); ++split) {
    RequestParser parser;
    Parsed parsed;
    parser.Append(std::string_view(input).substr(0, split));
    Drain(&parser, &parsed);
    parser.Append(std::string_view(input).substr(split));
    Drain(&parser, &parsed);
    EXPECT_EQ(parsed.commands, whole.commands) << "split at " << split;
    EXPECT_EQ(parsed.error, "") << "split at " << split;
    EXPECT_EQ(parser.buffered_bytes(), 0u);
  }
  const Parsed bytewise = ParseInChunks(input, 1);
  EXPECT_EQ(bytewise.commands, whole.commands);
  EXPECT_EQ(bytewise.error, "");
}

TEST(RequestParserTest, BigArgumentSurvivesManySmallReads) {
  const std::string value(200 * 1024, 'v');
  const std::string input = "*2\r\n$4\r\nECHO\r\n$" + std::to_string(value.size()) + "\r\n" +
                            value + "\r\n*1\r\n$4\r\nPING\r\n";
  for (size_t chunk : {size_t{1000}, size_t{4096}, value.size() + 20, input.size()}) {
    Parsed p = ParseInChunks(input, chunk);
    EXPECT_EQ(p.error, "") << chunk;
    ASSERT_EQ(p.commands.size(), 2u) << chunk;
    EXPECT_EQ(p.commands[0][1], value) << chunk;
    EXPECT_EQ(p.commands[1], (std::vector<std::string>{"PING"})) << chunk;
  }
}

TEST(RequestParserTest, CommandsBeforeAnErrorAreReturned) {
  Parsed p = Parse("PING\r\n*1\r\n$4\r\nECHO\r\n*x\r\nPING\r\n");
  EXPECT_EQ(p.commands, (Commands{{"PING"}, {"ECHO"}}));
  EXPECT_EQ(p.error, "ERR Protocol error: invalid multibulk length");
}

TEST(RequestParserTest, ErrorPoisonsTheParser) {
  RequestParser parser;
  parser.Append("*1\r\nPING\r\n");
  std::vector<std::string> args;
  EXPECT_EQ(parser.Next(&args), RequestParser::Outcome::kError);
  parser.Append("PING\r\n");
  EXPECT_EQ(parser.Next(&args), RequestParser::Outcome::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: expected '$', got 'P'");
}

// The texts below are what redis-server 7.0 replies to the same bytes.
TEST(RequestParserTest, InvalidMultibulkLengthIsRedisError) {
  for (const char* input : {"*x\r\n", "*\r\n", "*01\r\n", "*+1\r\n", "*-0\r\n", "*1 \r\n",
                            "*2147483648\r\n", "*99999999999999999999\r\n"}) {
    EXPECT_EQ(Error(input), "ERR Protocol error: invalid multibulk length") << input;
  }
}

TEST(RequestParserTest, InvalidBulkLengthIsRedisError) {
  for (const char* input :
       {"*1\r\n$-1\r\n", "*1\r\n$-5\r\n", "*1\r\n$x\r\n", "*1\r\n$\r\n", "*1\r\n$01\r\n",
        "*1\r\n$+4\r\n", "*1\r\n$536870913\r\n", "*1\r\n$9223372036854775808\r\n"}) {
    EXPECT_EQ(Error(input), "ERR Protocol error: invalid bulk length") << input;
  }
}

TEST(RequestParserTest, WrongTypeByteNamesIt) {
  EXPECT_EQ(Error("*1\r\nPING\r\n"), "ERR Protocol error: expected '$', got 'P'");
  EXPECT_EQ(Error("*2\r\n$1\r\na\r\n:1\r\n"), "ERR Protocol error: expected '$', got ':'");
  // An empty line: Redis prints the CR, then blanks it out of the reply.
  EXPECT_EQ(Error("*1\r\n\r\n"), "ERR Protocol error: expected '$', got ' '");
  EXPECT_EQ(Error("*1\r\n\nx\r\n"), "ERR Protocol error: expected '$', got ' '");
}

TEST(RequestParserTest, UnbalancedQuotesIsRedisError) {
  for (const char* input : {"\"a\r\n", "ECHO 'a\r\n", "ECHO \"a\"b\r\n", "ECHO 'a'b\n"}) {
    EXPECT_EQ(Error(input), "ERR Protocol error: unbalanced quotes in request") << input;
  }
}

TEST(RequestParserTest, MissingCrlfAfterBulkDataIsAnError) {
  EXPECT_EQ(Error("*1\r\n$4\r\nPINGxx"), "ERR Protocol error: expected '\\r\\n'");
  EXPECT_EQ(Error("*1\r\n$4\r\nPING\rx"), "ERR Protocol error: expected '\\r\\n'");
  EXPECT_EQ(Error("*1\rx$4\r\nPING\r\n"), "ERR Protocol error: expected '\\r\\n'");
  // Only a CR so far: wait for the byte after it.
  Parsed p = Parse("*1\r\n$4\r\nPING\r");
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.commands.empty());
}

TEST(RequestParserTest, LengthLineWithoutCrWaitsUpToTheInlineLimit) {
  RequestLimits limits;
  limits.max_inline_bytes = 16;
  EXPECT_EQ(Parse("*1\n$4\nPING\n", limits).error, "");  // LF alone: still waiting
  EXPECT_EQ(Error("*1\n$4\nPING\nPING\nPING\n", limits),
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(Error("*1\r\n$4" + std::string(20, '4'), limits),
            "ERR Protocol error: too big bulk count string");
  // A length line over the limit is refused even when its end is there.
  EXPECT_EQ(Error("*1\r\n$4" + std::string(20, '4') + "\r\n", limits),
            "ERR Protocol error: too big bulk count string");
}

TEST(RequestParserTest, InlineRequestOverLimitIsRedisError) {
  RequestLimits limits;
  limits.max_inline_bytes = 8;
  EXPECT_EQ(Parse("ECHO 12\r\n", limits).commands, (Commands{{"ECHO", "12"}}));
  EXPECT_EQ(Error("ECHO 1234", limits), "ERR Protocol error: too big inline request");
  // A whole line over the limit too, whatever the reads were.
  EXPECT_EQ(Error("ECHO 123\r\n", limits), "ERR Protocol error: too big inline request");
}

TEST(RequestParserTest, DefaultLimitsAreDocumentedValues) {
  RequestLimits limits;
  EXPECT_EQ(limits.max_bulk_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(limits.max_array_elements, 1024u * 1024);
  EXPECT_EQ(limits.max_inline_bytes, 64u * 1024);
}

TEST(RequestParserTest, BulkOverLimitIsInvalidBulkLength) {
  RequestLimits limits;
  limits.max_bulk_bytes = 10;
  EXPECT_EQ(Parse("*1\r\n$10\r\n0123456789\r\n", limits).commands, (Commands{{"0123456789"}}));
  EXPECT_EQ(Error("*1\r\n$11\r\n", limits), "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(Error("*1\r\n$16777217\r\n"), "ERR Protocol error: invalid bulk length");
}

TEST(RequestParserTest, ArrayOverLimitIsInvalidMultibulkLength) {
  RequestLimits limits;
  limits.max_array_elements = 2;
  EXPECT_EQ(Parse("*2\r\n$1\r\na\r\n$1\r\nb\r\n", limits).commands, (Commands{{"a", "b"}}));
  EXPECT_EQ(Error("*3\r\n", limits), "ERR Protocol error: invalid multibulk length");
  EXPECT_EQ(Error("*1048577\r\n"), "ERR Protocol error: invalid multibulk length");
}

TEST(RequestParserTest, HugeAnnouncedArrayCostsNothingUpFront) {
  // 1M elements announced, two sent: the parser waits without reserving for the rest.
  Parsed p = Parse("*1048576\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.commands.empty());
  EXPECT_EQ(p.buffered, 0u);
}

}  // namespace
}  // namespace dkv::resp
