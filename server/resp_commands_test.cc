#include "server/resp_commands.h"

#include <gtest/gtest.h>

#include <chrono>

namespace dkv::server {
namespace {

// Records the batches it is given and answers each op with `answer(op)`.
class RecordingBackend : public RespBackend {
 public:
  std::vector<Reply> Execute(std::vector<Op> ops) override {
    std::vector<Reply> replies;
    for (const Op& op : ops) replies.push_back(answer(op));
    executed.insert(executed.end(), ops.begin(), ops.end());
    return replies;
  }
  int32_t SlotCount() override { return 16; }
  bool IsServingMaster() override { return serving_master; }
  std::vector<std::pair<std::string, std::string>> ClusterInfo() override {
    return {{"dkv_role", "master"}};
  }

  bool serving_master = true;
  std::function<Reply(const Op&)> answer = [](const Op&) { return Reply::Ok(); };
  std::vector<Op> executed;
};

class RespCommandsTest : public ::testing::Test {
 protected:
  // Plans and finishes one command (its ops executed by the backend); returns the RESP reply.
  std::string Run(std::vector<std::string> args) {
    std::vector<Op> batch;
    PlannedCommand command;
    commands_.Plan(args, &session_, &batch, &command);
    ops_ = batch;
    std::vector<Reply> replies = backend_.Execute(std::move(batch));
    std::string out;
    commands_.Finish(command, replies, &out);
    return out;
  }

  RecordingBackend backend_;
  RespStats stats_;
  RespCommands commands_{&backend_, &stats_, 6379};
  RespSession session_;
  std::vector<Op> ops_;  // the last command's ops
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(RespCommandsTest, ConnectionCommandsAreAnsweredWithoutOps) {
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Run({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(Run({"ECHO", "x"}), "$1\r\nx\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "me"}), "+OK\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "$2\r\nme\r\n");
  EXPECT_EQ(Run({"HELLO", "3"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(Run({"HELLO", "2", "AUTH", "bob", "pw"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Run({"HELLO", "2", "AUTH", "default", "pw"}).substr(0, 5), "*14\r\n");
  EXPECT_TRUE(backend_.executed.empty());
  EXPECT_EQ(Run({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(session_.closing);
}

// HELLO's role is Redis's replication role of the server answering: a standby (or a master not
// serving) says "replica", as Redis does for every server that is not the master.
TEST_F(RespCommandsTest, HelloReportsTheRoleOfTheAnsweringServer) {
  session_.id = 7;
  const std::string reply =
      "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n"
      ":2\r\n$2\r\nid\r\n:7\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n";
  EXPECT_EQ(Run({"HELLO", "2"}), reply + "$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n");
  backend_.serving_master = false;
  EXPECT_EQ(Run({"HELLO"}), reply + "$7\r\nreplica\r\n$7\r\nmodules\r\n*0\r\n");
}

// COMMAND DOCS byte for byte as redis-server 7.0.15 answers it (captured from one on a Unix
// socket): the field order, simple strings for flags, the nested argument maps. redis-cli builds
// its help and hints from this (7.2 and later for every command, 7.0 for those its own table
// lacks) and asserts on the types.
TEST_F(RespCommandsTest, CommandDocsAnswersAsRedis7) {
  EXPECT_EQ(
      Run({"COMMAND", "DOCS", "set"}),
      "*2\r\n$3\r\nset\r\n*12\r\n$7\r\nsummary\r\n$29\r\nSet the string value of a key\r\n$5\r\n"
      "since\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"
      "$7\r\nhistory\r\n*4\r\n*2\r\n$6\r\n2.6.12\r\n$44\r\n"
      "Added the `EX`, `PX`, `NX` and `XX` options.\r\n*2\r\n$5\r\n6.0.0\r\n$27\r\n"
      "Added the `KEEPTTL` option.\r\n*2\r\n$5\r\n6.2.0\r\n$42\r\n"
      "Added the `GET`, `EXAT` and `PXAT` option.\r\n*2\r\n$5\r\n7.0.0\r\n$55\r\n"
      "Allowed the `NX` and `GET` options to be used together.\r\n$9\r\narguments\r\n*5\r\n*6\r\n"
      "$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n*4\r\n"
      "$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$6\r\nstring\r\n*10\r\n$4\r\nname\r\n$9\r\n"
      "condition\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n$5\r\nflags\r\n"
      "*1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$2\r\nnx\r\n$4\r\ntype\r\n"
      "$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nNX\r\n*6\r\n$4\r\nname\r\n$2\r\nxx\r\n$4\r\n"
      "type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nXX\r\n*10\r\n$4\r\nname\r\n$3\r\nget\r\n"
      "$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nGET\r\n$5\r\nsince\r\n$5\r\n"
      "6.2.0\r\n$5\r\nflags\r\n*1\r\n+optional\r\n*8\r\n$4\r\nname\r\n$10\r\nexpiration\r\n$4\r\n"
      "type\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*5\r\n*8\r\n"
      "$4\r\nname\r\n$7\r\nseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nEX\r\n"
      "$5\r\nsince\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$12\r\nmilliseconds\r\n$4\r\ntype\r\n"
      "$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nPX\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\n"
      "name\r\n$17\r\nunix-time-seconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\ntoken\r\n$4\r\n"
      "EXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n*8\r\n$4\r\nname\r\n$22\r\nunix-time-milliseconds\r\n"
      "$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\ntoken\r\n$4\r\nPXAT\r\n$5\r\nsince\r\n$5\r\n"
      "6.2.0\r\n*8\r\n$4\r\nname\r\n$7\r\nkeepttl\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\n"
      "token\r\n$7\r\nKEEPTTL\r\n$5\r\nsince\r\n$5\r\n6.0.0\r\n");
  // A deprecated command: doc_flags, deprecated_since, replaced_by.
  EXPECT_EQ(
      Run({"COMMAND", "DOCS", "getset"}),
      "*2\r\n$6\r\ngetset\r\n*16\r\n$7\r\nsummary\r\n$54\r\n"
      "Set the string value of a key and return its old value\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n"
      "$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\ndoc_flags\r\n*1\r\n"
      "+deprecated\r\n$16\r\ndeprecated_since\r\n$5\r\n6.2.0\r\n$11\r\nreplaced_by\r\n$30\r\n"
      "`SET` with the `!GET` argument\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$3\r\n"
      "key\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n*4\r\n$4\r\nname\r\n$5\r\n"
      "value\r\n$4\r\ntype\r\n$6\r\nstring\r\n");
  // Unknown names are left out, as by Redis.
  EXPECT_EQ(Run({"COMMAND", "DOCS", "nosuch"}), "*0\r\n");
}

TEST_F(RespCommandsTest, ErrorsHaveRedisTexts) {
  EXPECT_EQ(Run({"nosuch", "a", "b"}),
            "-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n");
  EXPECT_EQ(Run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "XX"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(Run({"INCRBY", "k", "01"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"SELECT", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "abc", "FOO"}), "-ERR Unsupported option FOO\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "abc", "NX", "XX"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  EXPECT_TRUE(backend_.executed.empty());
}

TEST_F(RespCommandsTest, RelativeExpiryBecomesAbsoluteWithThisClock) {
  const int64_t before = NowMs();
  Run({"SET", "k", "v", "EX", "100"});
  ASSERT_EQ(ops_.size(), 1u);
  EXPECT_GE(ops_[0].expire_at_ms, before + 100000);
  EXPECT_LE(ops_[0].expire_at_ms, NowMs() + 100000);
  Run({"PEXPIREAT", "k", "12345"});
  EXPECT_EQ(ops_[0].code, OpCode::kExpire);
  EXPECT_EQ(ops_[0].expire_at_ms, 12345);
}

TEST_F(RespCommandsTest, ARepeatedExpireOptionOfTheSameUnitCountsItsLastTime) {
  // As Redis 7.0: only the last time is checked; another unit is a syntax error.
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "abc", "PXAT", "12345"}), "+OK\r\n");
  EXPECT_EQ(ops_[0].expire_at_ms, 12345);
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", "0", "EXAT", "7"}), "+OK\r\n");
  EXPECT_EQ(ops_[0].expire_at_ms, 7000);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "PX", "10"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "EX", "0"}),
            "-ERR invalid expire time in 'set' command\r\n");
}

TEST_F(RespCommandsTest, SelectChoosesTheDatabaseOfLaterOps) {
  Run({"SELECT", "7"});
  Run({"GET", "k"});
  EXPECT_EQ(ops_[0].db, 7);
}

TEST_F(RespCommandsTest, MultiKeyCommandsMergeTheirOpsReplies) {
  backend_.answer = [](const Op& op) {
    if (op.code == OpCode::kGet) return op.key == "a" ? Reply::Bulk("1") : Reply::Nil();
    return Reply::Integer(1);
  };
  EXPECT_EQ(Run({"MGET", "a", "b"}), "*2\r\n$1\r\n1\r\n$-1\r\n");
  EXPECT_EQ(Run({"DEL", "a", "b", "c"}), ":3\r\n");
  EXPECT_EQ(ops_.size(), 3u);
}

TEST_F(RespCommandsTest, AFailedOpIsTheCommandsReply) {
  backend_.answer = [](const Op&) { return Reply::Failed(Status::Unavailable("no master")); };
  EXPECT_EQ(Run({"MGET", "a", "b"}), "-ERR UNAVAILABLE: no master\r\n");
}

TEST_F(RespCommandsTest, TtlRoundsMillisecondsAsRedis) {
  backend_.answer = [](const Op&) { return Reply::Integer(1500); };
  EXPECT_EQ(Run({"TTL", "k"}), ":2\r\n");
  backend_.answer = [](const Op&) { return Reply::Integer(-2); };
  EXPECT_EQ(Run({"TTL", "k"}), ":-2\r\n");
}

TEST_F(RespCommandsTest, ScanWalksCountSlotsFromTheCursor) {
  backend_.answer = [](const Op& op) { return Reply::Array({"key" + std::to_string(op.arg1)}); };
  EXPECT_EQ(Run({"SCAN", "10", "COUNT", "4", "MATCH", "key*"}),
            "*2\r\n$2\r\n14\r\n*4\r\n$5\r\nkey10\r\n$5\r\nkey11\r\n$5\r\nkey12\r\n$5\r\nkey13\r\n");
  EXPECT_EQ(ops_[0].value, "key*");
  // The last page: cursor 0.
  EXPECT_EQ(Run({"SCAN", "14", "COUNT", "10"}).substr(0, 11), "*2\r\n$1\r\n0\r\n");
  EXPECT_EQ(ops_.size(), 2u);
  EXPECT_EQ(Run({"SCAN", "x"}), "-ERR invalid cursor\r\n");
}

TEST_F(RespCommandsTest, ScanWithAHugeCountEndsTheIteration) {
  backend_.answer = [](const Op&) { return Reply::Array({}); };
  EXPECT_EQ(Run({"SCAN", "3", "COUNT", "9223372036854775807"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(ops_.size(), 13u);  // slots 3..15
}

TEST_F(RespCommandsTest, SetnxAnswersWhetherItSet) {
  backend_.answer = [](const Op&) { return Reply::Nil(); };
  EXPECT_EQ(Run({"SETNX", "k", "v"}), ":0\r\n");
  EXPECT_EQ(ops_[0].flags, kNx);
  backend_.answer = [](const Op&) { return Reply::Ok(); };
  EXPECT_EQ(Run({"SETNX", "k", "v"}), ":1\r\n");
}

}  // namespace
}  // namespace dkv::server
