#include "common/command_catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

namespace dkv {
namespace {

TEST(CommandCatalogTest, NamesAreUniqueLowerCaseAndSorted) {
  std::set<std::string_view> seen;
  std::string_view previous;
  for (const CommandSpec& spec : CommandCatalog()) {
    EXPECT_TRUE(seen.insert(spec.name).second) << spec.name;
    EXPECT_LT(previous, spec.name);
    previous = spec.name;
    for (char c : spec.name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << spec.name;
  }
}

TEST(CommandCatalogTest, CoversEveryCommandOfTheRespFrontEnd) {
  for (const char* name : {"ping",         "echo",        "quit",           "select",
                           "hello",        "client",      "client|setname", "client|getname",
                           "client|id",    "command",     "command|count",  "command|docs",
                           "command|info", "info",        "dbsize",         "time",
                           "get",          "set",         "setnx",          "setex",
                           "psetex",       "getset",      "getdel",         "getex",
                           "mget",         "mset",        "msetnx",         "append",
                           "strlen",       "incr",        "decr",           "incrby",
                           "decrby",       "incrbyfloat", "getrange",       "setrange",
                           "del",          "unlink",      "exists",         "type",
                           "expire",       "pexpire",     "expireat",       "pexpireat",
                           "ttl",          "pttl",        "persist",        "scan",
                           "keys",         "randomkey",   "flushdb",        "flushall"}) {
    EXPECT_NE(FindCommand(name), nullptr) << name;
  }
  EXPECT_EQ(CommandCatalog().size(), 52u);
}

// The arity counts the name, so it is never 0; a command with keys has room for them; a
// subcommand's arity counts its container too.
TEST(CommandCatalogTest, ArityIsConsistentWithKeyPositions) {
  for (const CommandSpec& spec : CommandCatalog()) {
    SCOPED_TRACE(std::string(spec.name));
    EXPECT_NE(spec.arity, 0);
    const int min_args = spec.arity < 0 ? -spec.arity : spec.arity;
    if (spec.name.find('|') != std::string_view::npos) {
      EXPECT_GE(min_args, 2);
    }
    if (spec.first_key == 0) {
      EXPECT_EQ(spec.last_key, 0);
      EXPECT_EQ(spec.key_step, 0);
      continue;
    }
    EXPECT_GE(spec.key_step, 1);
    EXPECT_LT(spec.first_key, min_args);
    if (spec.last_key > 0) {
      EXPECT_LT(spec.last_key, min_args);
    } else {
      // A variable number of keys (last = -1) needs a variable arity.
      EXPECT_LT(spec.arity, 0);
    }
  }
}

TEST(CommandCatalogTest, EveryEntryIsDocumented) {
  for (const CommandSpec& spec : CommandCatalog()) {
    EXPECT_FALSE(spec.summary.empty()) << spec.name;
    EXPECT_FALSE(spec.since.empty()) << spec.name;
    EXPECT_FALSE(spec.group.empty()) << spec.name;
  }
}

TEST(CommandCatalogTest, HoldsRedisFactsForSet) {
  const CommandSpec* set = FindCommand("SET");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->arity, -3);
  EXPECT_EQ(set->flags, (std::vector<std::string_view>{"write", "denyoom"}));
  EXPECT_EQ(set->first_key, 1);
  EXPECT_EQ(set->last_key, 1);
  EXPECT_EQ(set->key_step, 1);
  EXPECT_EQ(set->group, "string");
  EXPECT_EQ(set->summary, "Set the string value of a key");
  EXPECT_EQ(set->since, "1.0.0");
  const CommandSpec* mset = FindCommand("mset");
  ASSERT_NE(mset, nullptr);
  EXPECT_EQ(mset->last_key, -1);
  EXPECT_EQ(mset->key_step, 2);
}

// SET's arguments as Redis 7.0.15's COMMAND DOCS gives them: redis-cli prints them as
// "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT
// unix-time-milliseconds|KEEPTTL]".
TEST(CommandCatalogTest, HoldsRedisArgumentTreeForSet) {
  const CommandSpec* set = FindCommand("set");
  ASSERT_NE(set, nullptr);
  const std::vector<CommandArg>& args = set->arguments;
  ASSERT_EQ(args.size(), 5u);
  EXPECT_EQ(args[0].name, "key");
  EXPECT_EQ(args[0].type, "key");
  EXPECT_EQ(args[0].key_spec_index, 0);
  EXPECT_EQ(args[1].name, "value");
  EXPECT_EQ(args[1].key_spec_index, -1);
  EXPECT_EQ(args[2].name, "condition");
  EXPECT_EQ(args[2].type, "oneof");
  EXPECT_EQ(args[2].since, "2.6.12");
  EXPECT_EQ(args[2].flags, (std::vector<std::string_view>{"optional"}));
  ASSERT_EQ(args[2].arguments.size(), 2u);
  EXPECT_EQ(args[2].arguments[1].type, "pure-token");
  EXPECT_EQ(args[2].arguments[1].token, "XX");
  EXPECT_EQ(args[3].token, "GET");
  const CommandArg& expiration = args[4];
  EXPECT_EQ(expiration.name, "expiration");
  ASSERT_EQ(expiration.arguments.size(), 5u);
  EXPECT_EQ(expiration.arguments[2].name, "unix-time-seconds");
  EXPECT_EQ(expiration.arguments[2].type, "unix-time");
  EXPECT_EQ(expiration.arguments[2].token, "EXAT");
  EXPECT_EQ(set->history.size(), 4u);
  EXPECT_EQ(set->history.front().first, "2.6.12");
  const CommandSpec* getset = FindCommand("getset");
  ASSERT_NE(getset, nullptr);
  EXPECT_EQ(getset->doc_flags, (std::vector<std::string_view>{"deprecated"}));
  EXPECT_EQ(getset->deprecated_since, "6.2.0");
  EXPECT_EQ(getset->replaced_by, "`SET` with the `!GET` argument");
}

// What Redis's argument descriptions always hold, and redis-cli relies on: only a oneof or a
// block has nested arguments, and it has some; a key argument names its key spec; a pure token
// has its token.
void ExpectWellFormed(const std::vector<CommandArg>& args, const std::string& where) {
  for (const CommandArg& arg : args) {
    SCOPED_TRACE(where + " " + std::string(arg.name));
    EXPECT_FALSE(arg.name.empty());
    const bool nests = arg.type == "oneof" || arg.type == "block";
    EXPECT_EQ(nests, !arg.arguments.empty());
    EXPECT_EQ(arg.type == "key", arg.key_spec_index >= 0);
    EXPECT_TRUE(arg.type != "pure-token" || !arg.token.empty());
    for (std::string_view flag : arg.flags) {
      EXPECT_TRUE(flag == "optional" || flag == "multiple" || flag == "multiple_token") << flag;
    }
    ExpectWellFormed(arg.arguments, where + " " + std::string(arg.name));
  }
}

bool HasKey(const std::vector<CommandArg>& args) {
  return std::any_of(args.begin(), args.end(), [](const CommandArg& arg) {
    return arg.type == "key" || HasKey(arg.arguments);
  });
}

TEST(CommandCatalogTest, ArgumentTreesAreWellFormed) {
  for (const CommandSpec& spec : CommandCatalog()) {
    ExpectWellFormed(spec.arguments, std::string(spec.name));
    // A command with keys names them among its arguments (MSET's in a block).
    EXPECT_EQ(HasKey(spec.arguments), spec.first_key != 0) << spec.name;
  }
}

TEST(CommandCatalogTest, FindsSubcommandsOfAContainer) {
  EXPECT_NE(FindCommand("Client|SetName"), nullptr);
  std::vector<std::string_view> names;
  for (const CommandSpec* spec : Subcommands("CLIENT")) names.push_back(spec->name);
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"client|getname", "client|id", "client|setname"}));
  EXPECT_TRUE(Subcommands("get").empty());
  EXPECT_EQ(FindCommand("nosuchcommand"), nullptr);
  EXPECT_EQ(FindCommand("client|"), nullptr);
}

TEST(CommandCatalogTest, ArityAcceptsExactAndMinimumCounts) {
  const CommandSpec* get = FindCommand("get");
  EXPECT_FALSE(ArityAccepts(*get, 1));
  EXPECT_TRUE(ArityAccepts(*get, 2));
  EXPECT_FALSE(ArityAccepts(*get, 3));
  const CommandSpec* set = FindCommand("set");
  EXPECT_FALSE(ArityAccepts(*set, 2));
  EXPECT_TRUE(ArityAccepts(*set, 3));
  EXPECT_TRUE(ArityAccepts(*set, 9));
}

}  // namespace
}  // namespace dkv
