// The RESP front end end to end: redis-cli, redis-benchmark and raw sockets against a real
// cluster (real ZooKeeper, dkv-server with --resp-port, two data nodes), compared with what Redis 7
// answers for the same input.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/harness/test_util.h"
#include "tests/mini_cluster.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;

// redis-cli scripts (one command a line, fed on stdin) and what they print. The expected outputs
// were captured once from redis-server 7.0.15 (Debian, on this machine) with
// `redis-cli -p PORT < script`: dkv must print exactly the same.
struct Script {
  const char* name;
  const char* input;
  std::string expected;
};

const std::vector<Script>& Redis7Scripts() {
  static const auto* scripts = new std::vector<Script>{
      {"connection",
       "PING\n"
       "PING hello\n"
       "ECHO \"a b\"\n"
       "SELECT 15\n"
       "SELECT 16\n"
       "SELECT x\n"
       "CLIENT SETNAME dkvtest\n"
       "CLIENT GETNAME\n"
       "CLIENT SETNAME \"a b\"\n"
       "CLIENT FOO\n"
       "CLIENT\n"
       "HELLO 4\n"
       "HELLO x\n"
       "FOO bar baz\n"
       "GET\n"
       "PING a b\n"
       "CONFIG GET appendonly\n",
       std::string("PONG\n"
                   "hello\n"
                   "a b\n"
                   "OK\n"
                   "ERR DB index is out of range\n"
                   "\n"
                   "ERR value is not an integer or out of range\n"
                   "\n"
                   "OK\n"
                   "dkvtest\n"
                   "ERR Client names cannot contain spaces, newlines or special characters.\n"
                   "\n"
                   "ERR unknown subcommand 'FOO'. Try CLIENT HELP.\n"
                   "\n"
                   "ERR wrong number of arguments for 'client' command\n"
                   "\n"
                   "NOPROTO unsupported protocol version\n"
                   "\n"
                   "ERR Protocol version is not an integer or out of range\n"
                   "\n"
                   "ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \n"
                   "\n"
                   "ERR wrong number of arguments for 'get' command\n"
                   "\n"
                   "ERR wrong number of arguments for 'ping' command\n"
                   "\n"
                   "appendonly\n"
                   "no\n",
                   551)},
      {"strings",
       "FLUSHALL\n"
       "SET k v\n"
       "GET k\n"
       "SET k v2 NX\n"
       "SET k v3 XX GET\n"
       "GET k\n"
       "SET k v NX XX\n"
       "SET k v EX 0\n"
       "SET k v EX abc\n"
       "SET k v PX -5\n"
       "SET k v KEEPTTL EX 10\n"
       "SET k v FOO\n"
       "SET n 10\n"
       "INCR n\n"
       "INCRBY n 5\n"
       "DECR n\n"
       "DECRBY n 3\n"
       "INCRBY n x\n"
       "INCR k\n"
       "SET big 9223372036854775807\n"
       "INCR big\n"
       "DECRBY n -9223372036854775808\n"
       "INCRBYFLOAT n 1.5\n"
       "INCRBYFLOAT n abc\n"
       "SET f 10.5\n"
       "INCRBYFLOAT f 0.1\n"
       "INCRBYFLOAT f -5e3\n"
       "INCRBYFLOAT k 1\n"
       "SETNX k x\n"
       "SETNX new x\n"
       "GETSET new y\n"
       "GETDEL new\n"
       "GETDEL new\n"
       "APPEND a hello\n"
       "APPEND a \" world\"\n"
       "STRLEN a\n"
       "STRLEN missing\n"
       "GETRANGE a 0 4\n"
       "GETRANGE a -5 -1\n"
       "GETRANGE a 100 200\n"
       "GETRANGE missing 0 -1\n"
       "GETRANGE a x 1\n"
       "SETRANGE a 6 WORLD\n"
       "GET a\n"
       "SETRANGE r 3 x\n"
       "GET r\n"
       "SETRANGE a -1 x\n"
       "MSET m1 a m2 b m3 c\n"
       "MGET m1 m2 nosuch m3\n"
       "MSET m1\n"
       "MSETNX m1 x z y\n"
       "MSETNX z1 a z2 b\n"
       "MGET z1 z2\n"
       "SETEX e 100 v\n"
       "TTL e\n"
       "SETEX e 0 v\n"
       "SETEX e x v\n"
       "PSETEX p 100000 v\n"
       "TTL p\n"
       "GETEX e PERSIST\n"
       "TTL e\n"
       "GETEX e EX 50\n"
       "TTL e\n"
       "GETEX e EX 0\n"
       "GETEX e PERSIST EX 10\n"
       "GETEX missing\n"
       "SET k v GET\n"
       "SET gone v GET\n",
       std::string("OK\n"
                   "OK\n"
                   "v\n"
                   "\n"
                   "v\n"
                   "v3\n"
                   "ERR syntax error\n"
                   "\n"
                   "ERR invalid expire time in 'set' command\n"
                   "\n"
                   "ERR value is not an integer or out of range\n"
                   "\n"
                   "ERR invalid expire time in 'set' command\n"
                   "\n"
                   "ERR syntax error\n"
                   "\n"
                   "ERR syntax error\n"
                   "\n"
                   "OK\n"
                   "11\n"
                   "16\n"
                   "15\n"
                   "12\n"
                   "ERR value is not an integer or out of range\n"
                   "\n"
                   "ERR value is not an integer or out of range\n"
                   "\n"
                   "OK\n"
                   "ERR increment or decrement would overflow\n"
                   "\n"
                   "ERR decrement would overflow\n"
                   "\n"
                   "13.5\n"
                   "ERR value is not a valid float\n"
                   "\n"
                   "OK\n"
                   "10.6\n"
                   "-4989.39999999999999991\n"
                   "ERR value is not a valid float\n"
                   "\n"
                   "0\n"
                   "1\n"
                   "x\n"
                   "y\n"
                   "\n"
                   "5\n"
                   "11\n"
                   "11\n"
                   "0\n"
                   "hello\n"
                   "world\n"
                   "\n"
                   "\n"
                   "ERR value is not an integer or out of range\n"
                   "\n"
                   "11\n"
                   "hello WORLD\n"
                   "4\n"
                   "\0\0\0x\n"
                   "ERR offset is out of range\n"
                   "\n"
                   "OK\n"
                   "a\n"
                   "b\n"
                   "\n"
                   "c\n"
                   "ERR wrong number of arguments for 'mset' command\n"
                   "\n"
                   "0\n"
                   "1\n"
                   "a\n"
                   "b\n"
                   "OK\n"
                   "100\n"
                   "ERR invalid expire time in 'setex' command\n"
                   "\n"
                   "ERR value is not an integer or out of range\n"
                   "\n"
                   "OK\n"
                   "100\n"
                   "v\n"
                   "-1\n"
                   "v\n"
                   "50\n"
                   "ERR invalid expire time in 'getex' command\n"
                   "\n"
                   "ERR syntax error\n"
                   "\n"
                   "\n"
                   "v3\n"
                   "\n",
                   855)},
      {"keys",
       "FLUSHALL\n"
       "SET a 1\n"
       "SET b 2\n"
       "EXISTS a b c a\n"
       "DEL a c\n"
       "EXISTS a\n"
       "UNLINK b\n"
       "TYPE b\n"
       "SET s v\n"
       "TYPE s\n"
       "TTL s\n"
       "PTTL s\n"
       "TTL nosuch\n"
       "PTTL nosuch\n"
       "EXPIRE s 100\n"
       "TTL s\n"
       "EXPIRE s 100 NX\n"
       "EXPIRE s 200 XX\n"
       "TTL s\n"
       "EXPIRE s 50 GT\n"
       "EXPIRE s 500 GT\n"
       "TTL s\n"
       "EXPIRE s 600 LT\n"
       "EXPIRE s 10 LT\n"
       "TTL s\n"
       "EXPIRE s 10 NX XX\n"
       "EXPIRE s 10 GT LT\n"
       "EXPIRE s 10 FOO\n"
       "EXPIRE s abc\n"
       "PERSIST s\n"
       "PERSIST s\n"
       "TTL s\n"
       "PEXPIRE s 100000\n"
       "TTL s\n"
       "EXPIREAT s 4102444800\n"
       "EXPIRE s -1\n"
       "EXISTS s\n"
       "SET t v\n"
       "PEXPIREAT t 1\n"
       "EXISTS t\n"
       "EXPIRE nosuch 10\n"
       "SET key1 v\n"
       "KEYS key*\n"
       "KEYS nomatch*\n"
       "DBSIZE\n"
       "SELECT 1\n"
       "DBSIZE\n"
       "SET key1 other\n"
       "GET key1\n"
       "SELECT 0\n"
       "GET key1\n"
       "FLUSHDB\n"
       "DBSIZE\n"
       "RANDOMKEY\n"
       "SCAN x\n"
       "SCAN 0 COUNT 0\n"
       "SELECT 1\n"
       "RANDOMKEY\n"
       "FLUSHALL\n"
       "DBSIZE\n",
       std::string("OK\n"
                   "OK\n"
                   "OK\n"
                   "3\n"
                   "1\n"
                   "0\n"
                   "1\n"
                   "none\n"
                   "OK\n"
                   "string\n"
                   "-1\n"
                   "-1\n"
                   "-2\n"
                   "-2\n"
                   "1\n"
                   "100\n"
                   "0\n"
                   "1\n"
                   "200\n"
                   "0\n"
                   "1\n"
                   "500\n"
                   "0\n"
                   "1\n"
                   "10\n"
                   "ERR NX and XX, GT or LT options at the same time are not compatible\n"
                   "\n"
                   "ERR GT and LT options at the same time are not compatible\n"
                   "\n"
                   "ERR Unsupported option FOO\n"
                   "\n"
                   "ERR value is not an integer or out of range\n"
                   "\n"
                   "1\n"
                   "0\n"
                   "-1\n"
                   "1\n"
                   "100\n"
                   "1\n"
                   "1\n"
                   "0\n"
                   "OK\n"
                   "1\n"
                   "0\n"
                   "0\n"
                   "OK\n"
                   "key1\n"
                   "\n"
                   "1\n"
                   "OK\n"
                   "0\n"
                   "OK\n"
                   "other\n"
                   "OK\n"
                   "v\n"
                   "OK\n"
                   "0\n"
                   "\n"
                   "ERR invalid cursor\n"
                   "\n"
                   "ERR syntax error\n"
                   "\n"
                   "OK\n"
                   "key1\n"
                   "OK\n"
                   "0\n",
                   389)},
      // COMMAND DOCS with the argument trees redis-cli 7.2 and later build their hints and help
      // from (7.0's redis-cli prints its own table's help for the commands it knows; it is here
      // to show that the reply still parses).
      {"docs",
       "COMMAND DOCS set\n"
       "COMMAND DOCS getex\n"
       "help set\n",
       std::string("set\nsummary\nSet the string value of a key\nsince\n1.0.0\ngroup\nstring\n"
                   "complexity\nO(1)\nhistory\n2.6.12\n"
                   "Added the `EX`, `PX`, `NX` and `XX` options.\n6.0.0\n"
                   "Added the `KEEPTTL` option.\n6.2.0\n"
                   "Added the `GET`, `EXAT` and `PXAT` option.\n7.0.0\n"
                   "Allowed the `NX` and `GET` options to be used together.\narguments\nname\n"
                   "key\ntype\nkey\nkey_spec_index\n0\nname\nvalue\ntype\nstring\nname\n"
                   "condition\ntype\noneof\nsince\n2.6.12\nflags\noptional\narguments\nname\nnx\n"
                   "type\npure-token\ntoken\nNX\nname\nxx\ntype\npure-token\ntoken\nXX\nname\n"
                   "get\ntype\npure-token\ntoken\nGET\nsince\n6.2.0\nflags\noptional\nname\n"
                   "expiration\ntype\noneof\nflags\noptional\narguments\nname\nseconds\ntype\n"
                   "integer\ntoken\nEX\nsince\n2.6.12\nname\nmilliseconds\ntype\ninteger\ntoken\n"
                   "PX\nsince\n2.6.12\nname\nunix-time-seconds\ntype\nunix-time\ntoken\nEXAT\n"
                   "since\n6.2.0\nname\nunix-time-milliseconds\ntype\nunix-time\ntoken\nPXAT\n"
                   "since\n6.2.0\nname\nkeepttl\ntype\npure-token\ntoken\nKEEPTTL\nsince\n6.0.0\n"
                   "getex\nsummary\nGet the value of a key and optionally set its expiration\n"
                   "since\n6.2.0\ngroup\nstring\ncomplexity\nO(1)\narguments\nname\nkey\ntype\n"
                   "key\nkey_spec_index\n0\nname\nexpiration\ntype\noneof\nflags\noptional\n"
                   "arguments\nname\nseconds\ntype\ninteger\ntoken\nEX\nname\nmilliseconds\ntype\n"
                   "integer\ntoken\nPX\nname\nunix-time-seconds\ntype\nunix-time\ntoken\nEXAT\n"
                   "name\nunix-time-milliseconds\ntype\nunix-time\ntoken\nPXAT\nname\npersist\n"
                   "type\npure-token\ntoken\nPERSIST\n\r\n"
                   "  \x1b[1mSET\x1b[0m \x1b[90mkey value [NX|XX] [GET] [EX seconds|PX "
                   "milliseconds|EXAT unix-time-seconds|PXAT "
                   "unix-time-milliseconds|KEEPTTL]\x1b[0m\r\n"
                   "  \x1b[33msummary:\x1b[0m Set the string value of a key\r\n"
                   "  \x1b[33msince:\x1b[0m 1.0.0\r\n  \x1b[33mgroup:\x1b[0m string\r\n\r\n")},
  };
  return *scripts;
}

// A plain TCP connection to a RESP port, for what redis-cli cannot show (raw replies, pipelines
// written in one go, closed connections).
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    timeval tv{10, 0};  // no read hangs the test for long
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }
  // Reads until `n` bytes came, the peer closed (eof() then) or 10 s without a byte passed.
  std::string Read(size_t n) {
    std::string data;
    char buffer[65536];
    while (data.size() < n) {
      const ssize_t got = ::recv(fd_, buffer, std::min(sizeof(buffer), n - data.size()), 0);
      if (got <= 0) {
        eof_ = got == 0;
        break;
      }
      data.append(buffer, static_cast<size_t>(got));
    }
    return data;
  }
  // True once the peer closed the connection: the next read sees its end (or a reset), not a
  // byte and not a 10 s timeout.
  bool Closed() {
    char c;
    const ssize_t got = ::recv(fd_, &c, 1, 0);
    return got == 0 || (got < 0 && errno == ECONNRESET);
  }
  bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
};

class RespItest : public MiniClusterTest {
 protected:
  // Starts `servers` servers with RESP ports (and `flags`) and two data nodes; resp_ports_[i] is
  // server i's.
  void StartRespCluster(MiniCluster& cluster, int servers,
                        const std::vector<std::string>& flags = {}) {
    for (int i = 0; i < servers; ++i) {
      resp_ports_.push_back(PickFreePort());
      std::vector<std::string> server_flags = {"--resp-port", std::to_string(resp_ports_.back())};
      server_flags.insert(server_flags.end(), flags.begin(), flags.end());
      DKV_ASSERT_OK(cluster.StartServer(server_flags));
    }
    DKV_ASSERT_OK(cluster.StartDataNode("d1"));
    DKV_ASSERT_OK(cluster.StartDataNode("d2"));
    DKV_ASSERT_OK(cluster.WaitForMaster());
    DKV_ASSERT_OK(cluster.WaitForDataNodes(2));
  }

  // redis-cli -p `port` ARGS..., with `input` on stdin.
  static CommandResult RedisCli(int port, const std::vector<std::string>& args,
                                const std::string& input = "") {
    std::vector<std::string> argv = {"/usr/bin/redis-cli", "-p", std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv, input, milliseconds(60000));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CommandResult{};
  }

  std::vector<int> resp_ports_;
};

TEST_F(RespItest, CommandsAnswerAsRedis7Does) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartRespCluster(cluster, 1));
  for (const Script& script : Redis7Scripts()) {
    CommandResult r = RedisCli(resp_ports_[0], {}, script.input);
    EXPECT_EQ(r.exit_code, 0) << r.ToString();
    EXPECT_EQ(r.out, script.expected) << "script '" << script.name << "'";
  }
}

TEST_F(RespItest, ConnectionAndServerCommandsDescribeDkv) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartRespCluster(cluster, 1));
  const int port = resp_ports_[0];
  // dkv speaks RESP2 only: HELLO 3 gets the answer Redis gives an unknown version.
  EXPECT_EQ(RedisCli(port, {"HELLO", "3"}).out, "NOPROTO unsupported protocol version\n\n");
  EXPECT_NE(RedisCli(port, {"HELLO", "2"}).out.find("proto\n2\n"), std::string::npos);
  EXPECT_NE(RedisCli(port, {"COMMAND", "DOCS", "get"}).out.find("Get the value of a key"),
            std::string::npos);
  const std::string get_info = RedisCli(port, {"COMMAND", "INFO", "get"}).out;
  EXPECT_EQ(get_info.rfind("get\n2\nreadonly\nfast\n1\n1\n1\n@read\n", 0), 0u) << get_info;
  EXPECT_EQ(RedisCli(port, {"MSET", "a", "1", "b", "2"}).out, "OK\n");
  const std::string info = RedisCli(port, {"INFO"}).out;
  for (const char* want : {"# Server", "redis_version:7.0.15", "# Clients", "connected_clients:",
                           "# Cluster", "dkv_role:master", "# Keyspace", "db0:keys=2"}) {
    EXPECT_NE(info.find(want), std::string::npos) << want << " missing from\n" << info;
  }
  const std::string time = RedisCli(port, {"TIME"}).out;
  EXPECT_EQ(std::count(time.begin(), time.end(), '\n'), 2) << time;
}

TEST_F(RespItest, ScanAndKeysVisitEveryKeyOfTheClusterOnce) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartRespCluster(cluster, 1));
  std::string input;
  for (int i = 0; i < 300; ++i) input += "SET key:" + std::to_string(i) + " v\n";
  input += "SET other v\n";
  ASSERT_EQ(RedisCli(resp_ports_[0], {}, input).exit_code, 0);
  // redis-cli --scan iterates SCAN with its cursor until it comes back as 0.
  CommandResult scan = RedisCli(resp_ports_[0], {"--scan", "--pattern", "key:*"});
  std::multiset<std::string> seen;
  std::istringstream lines(scan.out);
  for (std::string line; std::getline(lines, line);) seen.insert(line);
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 300u);
  const std::string keys = RedisCli(resp_ports_[0], {"KEYS", "*"}).out;
  EXPECT_EQ(std::count(keys.begin(), keys.end(), '\n'), 301);
  EXPECT_EQ(RedisCli(resp_ports_[0], {"DBSIZE"}).out, "301\n");
}

TEST_F(RespItest, APipelineOfAThousandMixedCommandsIsAnsweredInOrder) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartRespCluster(cluster, 1));
  std::string request;
  std::string expected;
  auto command = [&](const std::vector<std::string>& args, const std::string& reply) {
    request += "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) request += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    expected += reply;
  };
  for (int i = 0; i < 200; ++i) {
    const std::string k = "k" + std::to_string(i);
    const std::string v = "value-" + std::to_string(i);
    command({"SET", k, v}, "+OK\r\n");
    command({"INCR", "counter"}, ":" + std::to_string(i + 1) + "\r\n");
    command({"GET", k}, "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n");
    command({"PING"}, "+PONG\r\n");
    command({"EXISTS", k, "missing", k}, ":2\r\n");
  }
  RawConnection conn(resp_ports_[0]);
  ASSERT_TRUE(conn.connected());
  conn.Send(request);
  EXPECT_EQ(conn.Read(expected.size()), expected);
}

TEST_F(RespItest, RedisBenchmarkCompletesWithoutErrorsOnSeveralIoThreads) {
  MiniCluster cluster(Options());
  // More I/O threads than the default one: the 50 connections are dealt out among them.
  ASSERT_NO_FATAL_FAILURE(StartRespCluster(cluster, 1, {"--resp-threads", "3"}));
  auto r = RunCommand({"/usr/bin/redis-benchmark", "-p", std::to_string(resp_ports_[0]), "-t",
                       "ping,set,get,incr,mset", "-n", "20000", "-c", "50", "-q"},
                      "", milliseconds(240000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0) << r->ToString();
  EXPECT_EQ(r->err.find("ERR"), std::string::npos) << r->err;
  EXPECT_EQ(r->err.find("WARNING"), std::string::npos) << r->err;
  for (const char* test :
       {"PING_INLINE: ", "PING_MBULK: ", "SET: ", "GET: ", "INCR: ", "MSET (10 keys): "}) {
    EXPECT_NE(r->out.find(test), std::string::npos) << test << " missing from " << r->out;
  }
  // Every INCR of the run counted.
  EXPECT_EQ(RedisCli(resp_ports_[0], {"GET", "counter:__rand_int__"}).out, "20000\n");
}

TEST_F(RespItest, AStandbyForwardsCommandsToTheMaster) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartRespCluster(cluster, 2));
  auto master = cluster.WaitForMasterIndex();
  ASSERT_TRUE(master.ok()) << master.status().ToString();
  const int standby = resp_ports_[1 - *master];
  EXPECT_EQ(RedisCli(standby, {"SET", "k", "from-standby"}).out, "OK\n");
  EXPECT_EQ(RedisCli(resp_ports_[*master], {"GET", "k"}).out, "from-standby\n");
  EXPECT_EQ(RedisCli(standby, {"GET", "k"}).out, "from-standby\n");
  EXPECT_EQ(RedisCli(standby, {"DBSIZE"}).out, "1\n");
  EXPECT_NE(RedisCli(standby, {"INFO", "cluster"}).out.find("dkv_role:standby"), std::string::npos);
  // HELLO names the replication role of the server that answers: a standby is a replica, though
  // it forwards commands to the master.
  EXPECT_NE(RedisCli(standby, {"HELLO"}).out.find("\nrole\nreplica\n"), std::string::npos);
  EXPECT_NE(RedisCli(resp_ports_[*master], {"HELLO"}).out.find("\nrole\nmaster\n"),
            std::string::npos);

  // Both RESP addresses are published: `dkv status --json` lists them.
  auto status = cluster.RunCli({"status", "--json"});
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  for (int port : resp_ports_) {
    EXPECT_NE(status->out.find("\"resp_address\":\"127.0.0.1:" + std::to_string(port) + "\""),
              std::string::npos)
        << status->out;
  }
}

TEST_F(RespItest, AKeySetWithPxIsGoneAfterIt) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartRespCluster(cluster, 1));
  const int port = resp_ports_[0];
  EXPECT_EQ(RedisCli(port, {}, "SET k v PX 100\nEXISTS k\n").out, "OK\n1\n");
  DKV_EXPECT_OK(WaitFor(
      [&] {
        return RedisCli(port, {"EXISTS", "k"}).out == "0\n";
      },
      milliseconds(5000), milliseconds(20), "k expired"));
  EXPECT_EQ(RedisCli(port, {"GET", "k"}).out, "\n");
}

// Malformed requests and their replies, after which the server closes the connection. The
// replies are what redis-server 7.0.15 answers the same bytes (tried on a Unix socket), except
// where marked: there the fault is one Redis does not have at these sizes (dkv's limits are
// lower) or does not check (dkv is stricter), and the reply is Redis's text for its kind
// (docs/resp.md). The server runs with --resp-max-array-elements 16, --resp-max-inline-bytes
// 1024 and a bulk limit of 4096 (--max-value-bytes); Redis's inline limit is 64 KiB.
struct BadRequest {
  const char* what;
  std::string bytes;
  std::string reply;
};

const std::vector<BadRequest>& BadRequests() {
  static const auto* requests = new std::vector<BadRequest>{
      {"a bulk length that is not a number, after a good command", "PING\r\n*1\r\n$abc\r\n",
       "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"},
      {"an array element that is not a bulk string", "*2\r\n$4\r\nECHO\r\n:1\r\n",
       "-ERR Protocol error: expected '$', got ':'\r\n"},
      {"a negative bulk length", "*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"a bulk length beyond 64 bits", "*1\r\n$9223372036854775808\r\n",
       "-ERR Protocol error: invalid bulk length\r\n"},
      {"a bulk length over Redis's 512 MB", "*1\r\n$536870913\r\n",
       "-ERR Protocol error: invalid bulk length\r\n"},
      {"an array length that is not a number", "*abc\r\n",
       "-ERR Protocol error: invalid multibulk length\r\n"},
      {"an array length over 2^31-1", "*2147483648\r\n",
       "-ERR Protocol error: invalid multibulk length\r\n"},
      {"an inline command with an unbalanced quote", "SET \"a b\r\n",
       "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"an inline line longer than the inline limit", std::string(1100, 'A'),
       "-ERR Protocol error: too big inline request\r\n"},
      {"an array length line longer than the inline limit", "*" + std::string(1100, '1'),
       "-ERR Protocol error: too big mbulk count string\r\n"},
      // dkv only: Redis skips the two bytes after bulk data unread (and answers +PONG here).
      {"bulk data not followed by CRLF", "*1\r\n$4\r\nPINGxx",
       "-ERR Protocol error: expected '\\r\\n'\r\n"},
      // dkv only: Redis waits for the 4097 bytes (its limit is 512 MB).
      {"a bulk string over the bulk limit", "*2\r\n$4\r\nECHO\r\n$4097\r\n",
       "-ERR Protocol error: invalid bulk length\r\n"},
      // dkv only: Redis waits for the 17 elements (its limit is 2^31-1).
      {"an array over the array limit", "*17\r\n",
       "-ERR Protocol error: invalid multibulk length\r\n"},
  };
  return *requests;
}

TEST_F(RespItest, AMalformedRequestIsAnsweredAndClosesOnlyItsConnection) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(
      StartRespCluster(cluster, 1,
                       {"--resp-max-array-elements", "16", "--resp-max-inline-bytes", "1024",
                        "--max-key-bytes", "64", "--max-value-bytes", "4096"}));
  const int port = resp_ports_[0];
  // A client connected throughout, in the middle of a command whenever a bad request comes.
  RawConnection good(port);
  ASSERT_TRUE(good.connected());
  good.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  ASSERT_EQ(good.Read(5), "+OK\r\n");
  for (const BadRequest& request : BadRequests()) {
    SCOPED_TRACE(request.what);
    good.Send("*2\r\n$3\r\nGET\r\n$1\r\n");
    RawConnection bad(port);
    ASSERT_TRUE(bad.connected());
    bad.Send(request.bytes);
    EXPECT_EQ(bad.Read(request.reply.size()), request.reply);
    EXPECT_TRUE(bad.Closed());
    good.Send("k\r\n*1\r\n$4\r\nPING\r\n");
    EXPECT_EQ(good.Read(14), "$1\r\nv\r\n+PONG\r\n");
  }
  // Within the limits, the same shapes are served: 16 elements, 4096 bytes, a 1024-byte line.
  RawConnection conn(port);
  ASSERT_TRUE(conn.connected());
  std::string del = "*16\r\n$3\r\nDEL\r\n";
  for (int i = 0; i < 15; ++i) del += "$2\r\nx" + std::to_string(i % 10) + "\r\n";
  conn.Send(del);
  EXPECT_EQ(conn.Read(4), ":0\r\n");
  const std::string value(4096, 'v');
  conn.Send("*2\r\n$4\r\nECHO\r\n$4096\r\n" + value + "\r\n");
  const std::string echoed = "$4096\r\n" + value + "\r\n";
  EXPECT_EQ(conn.Read(echoed.size()), echoed);
  const std::string word(1024 - 7, 'e');  // "ECHO " and CRLF around it
  conn.Send("ECHO " + word + "\r\n");
  const std::string echoed_word = "$1017\r\n" + word + "\r\n";
  EXPECT_EQ(conn.Read(echoed_word.size()), echoed_word);
  // Negative and zero array lengths are empty requests, skipped as by Redis: no error.
  conn.Send("*-1\r\n*0\r\n*-5\r\nPING\r\n");
  EXPECT_EQ(conn.Read(7), "+PONG\r\n");
  EXPECT_TRUE(cluster.ServerRunning(0));
}

}  // namespace
}  // namespace dkv::test
