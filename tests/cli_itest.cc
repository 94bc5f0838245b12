// The `dkv` command end to end: every command with its output and exit code (the promises of
// docs/client.md), values from stdin, `status --json`, usage errors, failover, an unreachable
// ZooKeeper, and the errors it reports, against real processes and a real ZooKeeper.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "tests/harness/test_util.h"
#include "tests/mini_cluster.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;

class CliItest : public MiniClusterTest {
 protected:
  // Runs the CLI and fails the test if it could not run at all.
  static CommandResult Cli(MiniCluster& cluster, const std::vector<std::string>& args,
                           const std::string& stdin_data = "") {
    auto r = cluster.RunCli(args, stdin_data);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CommandResult{};
  }

  // Runs the CLI binary with exactly `args` (no cluster flags).
  static CommandResult Raw(const std::vector<std::string>& args, milliseconds timeout) {
    std::vector<std::string> argv = {BinaryPath("dkv")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv, "", timeout);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CommandResult{};
  }

  // The last line of stderr: the CLI's own message comes last, whatever a library logged before.
  static std::string LastLine(const std::string& text) {
    std::string t = text;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    const size_t nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
  }

  static bool IsUsage(const CommandResult& r) {
    return r.exit_code == 2 && r.out.empty() && r.err.find("sage") != std::string::npos;
  }
};

TEST_F(CliItest, SetGetRemoveExitCodesAndOutput) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));

  CommandResult r = Cli(cluster, {"set", "a", "1"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("", r.out);
  r = Cli(cluster, {"get", "a"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("1\n", r.out);
  r = Cli(cluster, {"get", "missing"});
  EXPECT_EQ(1, r.exit_code) << r.ToString();
  EXPECT_EQ("", r.out);
  r = Cli(cluster, {"remove", "a"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  r = Cli(cluster, {"remove", "a"});
  EXPECT_EQ(1, r.exit_code) << r.ToString();
  r = Cli(cluster, {"get", "a"});
  EXPECT_EQ(1, r.exit_code) << r.ToString();
  EXPECT_EQ("", r.out);
}

TEST_F(CliItest, KeysAndValuesStartingWithDashFollowDoubleDash) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 1));
  CommandResult r = Cli(cluster, {"set", "--", "-k", "-v"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  r = Cli(cluster, {"get", "--", "-k"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("-v\n", r.out);
}

TEST_F(CliItest, ValueDashReadsStdinByteForByte) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  std::string value("\0bin\nary\0\r\n\xff\xfe", 14);
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));

  CommandResult r = Cli(cluster, {"set", "blob", "-"}, value);
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  r = Cli(cluster, {"get", "blob"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ(value + "\n", r.out);

  // The library sees the same bytes.
  auto client = cluster.Connect();
  DKV_ASSERT_OK(client);
  auto got = (*client)->Get("blob");
  DKV_ASSERT_OK(got);
  EXPECT_EQ(std::optional<std::string>(value), *got);

  // An empty stdin stores an empty value.
  r = Cli(cluster, {"set", "empty", "-"}, "");
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  r = Cli(cluster, {"get", "empty"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("\n", r.out);

  r = Cli(cluster, {"unsafe-set", "blob2", "-"}, value);
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  DKV_EXPECT_OK(WaitFor(
      [&] {
        auto g = (*client)->Get("blob2");
        return g.ok() && *g == std::optional<std::string>(value);
      },
      milliseconds(5000), milliseconds(20), "unsafe-set from stdin to arrive"));
}

TEST_F(CliItest, UnsafeSetExitsZeroAtOnceAndTheValueArrives) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));
  CommandResult r = Cli(cluster, {"unsafe-set", "u", "value"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("", r.out);
  DKV_EXPECT_OK(WaitFor(
      [&] {
        CommandResult g = Cli(cluster, {"get", "u"});
        return g.exit_code == 0 && g.out == "value\n";
      },
      milliseconds(5000), milliseconds(20), "the unsafe-set value to arrive"));
}

TEST_F(CliItest, StatusJsonHasEveryField) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  auto master = cluster.WaitForMaster();
  DKV_ASSERT_OK(master);
  ASSERT_EQ(0, Cli(cluster, {"set", "a", "1"}).exit_code);
  ASSERT_EQ(0, Cli(cluster, {"set", "b", "2"}).exit_code);

  CommandResult r = Cli(cluster, {"status", "--json"});
  ASSERT_EQ(0, r.exit_code) << r.ToString();
  const std::string& j = r.out;
  // One JSON object on one line.
  ASSERT_FALSE(j.empty());
  EXPECT_EQ('{', j.front()) << j;
  EXPECT_EQ(j.size() - 1, j.find('\n')) << "not one line: " << j;
  auto has = [&](const std::string& pattern) { return std::regex_search(j, std::regex(pattern)); };
  EXPECT_TRUE(has("\"cluster\":\"" +
                  std::regex_replace(cluster.cluster(), std::regex("\\."), "\\.") + "\""))
      << j;
  EXPECT_TRUE(has("\"master\":\\{\"id\":\"" + master->server_id + "\",\"address\":\"" +
                  std::regex_replace(master->address, std::regex("\\."), "\\.") +
                  "\",\"epoch\":" + std::to_string(master->epoch) + ",\"resp_address\":\"\"\\}"))
      << j;
  EXPECT_TRUE(
      has("\"standbys\":\\[\\{\"id\":\"srv-[0-9]+\",\"address\":\"127\\.0\\.0\\.1:[0-9]+\","
          "\"resp_address\":\"\"\\}\\]"))
      << j;
  const std::string node =
      "\\{\"id\":\"d[12]\",\"address\":\"127\\.0\\.0\\.1:[0-9]+\",\"slots\":512,"
      "\"keys\":[0-9]+,\"head_slots\":512\\}";
  EXPECT_TRUE(has("\"data_nodes\":\\[" + node + "," + node + "\\]")) << j;
  EXPECT_TRUE(has("\"clients\":[1-9][0-9]*")) << j;
  EXPECT_TRUE(has("\"slot_count\":1024")) << j;
  EXPECT_TRUE(has("\"slot_map_version\":[1-9][0-9]*")) << j;
  EXPECT_TRUE(
      has("\"replication_factor\":1,\"under_replicated_slots\":0,"
          "\"under_replicated_slot_ids\":\\[\\],\"warnings\":\\[\\]\\}\n"))
      << j;

  // The keys of both nodes add up to what was stored.
  int64_t keys = 0;
  std::regex keys_re("\"keys\":([0-9]+)");
  for (auto it = std::sregex_iterator(j.begin(), j.end(), keys_re); it != std::sregex_iterator();
       ++it) {
    keys += std::stoll((*it)[1]);
  }
  EXPECT_EQ(2, keys) << j;
}

TEST_F(CliItest, StatusShowsMasterStandbyAndDataNodes) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  auto master = cluster.WaitForMaster();
  DKV_ASSERT_OK(master);
  CommandResult r = Cli(cluster, {"status"});
  ASSERT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_NE(std::string::npos, r.out.find(master->address)) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("d1")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("d2")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("512")) << r.out;
}

// The sum of every `"field":N` in `json`.
int64_t SumOf(const std::string& json, const std::string& field) {
  int64_t sum = 0;
  const std::regex re("\"" + field + "\":([0-9]+)");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), re); it != std::sregex_iterator();
       ++it) {
    sum += std::stoll((*it)[1]);
  }
  return sum;
}

TEST_F(CliItest, ReplicasGrowsTheChainsAndWarnsWhenTheDataNodesAreTooFew) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 3));
  for (const char* key : {"a", "b", "c", "d"})
    ASSERT_EQ(0, Cli(cluster, {"set", key, key}).exit_code);

  CommandResult r = Cli(cluster, {"replicas", "2"});
  ASSERT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("replication factor 2 (3 live data nodes); chains change in the background\n", r.out);
  EXPECT_EQ(std::string::npos, r.err.find("warning")) << r.err;
  // Every chain gets its second member by a copy, in the background.
  std::string json;
  Status grown = WaitFor(
      [&] {
        r = Cli(cluster, {"status", "--json"});
        json = r.out;
        return r.exit_code == 0 && json.find("\"replication_factor\":2,") != std::string::npos &&
               json.find("\"under_replicated_slots\":0,") != std::string::npos;
      },
      milliseconds(60000), milliseconds(200), "chains of 2");
  ASSERT_TRUE(grown.ok()) << grown.ToString() << "\nlast status: " << r.ToString();
  // Memberships ("slots", which no other field name ends in) and heads of the data nodes.
  EXPECT_EQ(2 * 1024, SumOf(json, "slots")) << json;
  EXPECT_EQ(1024, SumOf(json, "head_slots")) << json;
  EXPECT_NE(std::string::npos, json.find("\"warnings\":[]")) << json;
  r = Cli(cluster, {"replicas"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("replication factor 2 (0 slots under-replicated)\n", r.out);
  for (const char* key : {"a", "b", "c", "d"}) {
    r = Cli(cluster, {"get", key});
    EXPECT_EQ(0, r.exit_code) << r.ToString();
    EXPECT_EQ(std::string(key) + "\n", r.out);
  }

  // Five members per chain asked for, three data nodes to make them of.
  r = Cli(cluster, {"replicas", "5"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_NE(std::string::npos,
            r.err.find("warning: only 3 live data nodes (not draining): chains will have only 3 "
                       "members until more data nodes join"))
      << r.ToString();
  r = Cli(cluster, {"status", "--json"});
  ASSERT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_NE(std::string::npos,
            r.out.find("\"replication_factor\":5,\"under_replicated_slots\":1024,"))
      << r.out;
  EXPECT_NE(std::string::npos,
            r.out.find("\"warnings\":[\"replication factor 5 but only 3 live data nodes (not "
                       "draining): chains will have only 3 members until more data nodes join\"]"))
      << r.out;
  r = Cli(cluster, {"status"});
  ASSERT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_NE(std::string::npos, r.out.find("\nwarning   replication factor 5")) << r.out;

  r = Cli(cluster, {"replicas", "0"});
  EXPECT_TRUE(IsUsage(r)) << r.ToString();
}

TEST_F(CliItest, UnknownCommandPrintsUsageAndExits2) {
  MiniCluster cluster(Options());
  DKV_ASSERT_OK(cluster.Init());
  CommandResult r = Cli(cluster, {"frobnicate", "a"});
  EXPECT_TRUE(IsUsage(r)) << r.ToString();
  EXPECT_NE(std::string::npos, r.err.find("frobnicate")) << r.err;
  r = Raw({"shell", "extra"}, milliseconds(10000));
  EXPECT_TRUE(IsUsage(r)) << r.ToString();
  r = Raw({"--no-such-option", "get", "a"}, milliseconds(10000));
  EXPECT_EQ(2, r.exit_code) << r.ToString();
}

TEST_F(CliItest, MissingOrExtraArgumentPrintsUsageAndExits2) {
  MiniCluster cluster(Options());
  DKV_ASSERT_OK(cluster.Init());
  const std::vector<std::vector<std::string>> bad = {
      {"set", "k"},
      {"set"},
      {"get"},
      {"remove"},
      {"unsafe-set", "k"},
      {"get", "a", "b"},
      {"set", "a", "b", "c"},
      {"remove", "a", "b"},
  };
  for (const auto& args : bad) {
    CommandResult r = Cli(cluster, args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_TRUE(IsUsage(r)) << joined << "-> " << r.ToString();
  }
}

TEST_F(CliItest, HelpPrintsUsageAndExits0) {
  CommandResult r = Raw({"--help"}, milliseconds(10000));
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  for (const char* word : {"set", "get", "remove", "unsafe-set", "status", "--zookeeper",
                           "--cluster", "--timeout-ms"}) {
    EXPECT_NE(std::string::npos, r.out.find(word)) << word << " not in:\n" << r.out;
  }
}

TEST_F(CliItest, FailsWithinItsDeadlineNamingTheConnectStringWhenZooKeeperIsUnreachable) {
  // A port nobody listens on.
  const std::string zk = "127.0.0.1:" + std::to_string(PickFreePort());
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"get", "a"}, {"set", "a", "1"}, {"status"}}) {
    std::vector<std::string> args = {"--zookeeper", zk, "--timeout-ms", "1000"};
    args.insert(args.end(), command.begin(), command.end());
    CommandResult r = Raw(args, milliseconds(10000));
    EXPECT_EQ(2, r.exit_code) << command[0] << ": " << r.ToString();
    EXPECT_LT(r.elapsed, milliseconds(2000)) << command[0] << ": " << r.ToString();
    const std::string message = LastLine(r.err);
    EXPECT_EQ(0u, message.rfind("dkv: UNAVAILABLE: ", 0)) << command[0] << ": " << r.ToString();
    EXPECT_NE(std::string::npos, message.find(zk)) << command[0] << ": " << r.ToString();
    EXPECT_EQ("", r.out);
  }
}

TEST_F(CliItest, ErrorsGoToStderrWithTheirCodeAndExit2) {
  MiniClusterOptions options = Options();
  options.server_flags = {"--max-value-bytes", "1000"};
  options.data_flags = {"--max-value-bytes", "1000"};
  MiniCluster cluster(options);
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 1));

  // Key over the default 64 KiB limit, on the command line.
  CommandResult r = Cli(cluster, {"set", std::string(64 * 1024 + 1, 'k'), "v"});
  EXPECT_EQ(2, r.exit_code) << r.ToString().substr(0, 300);
  EXPECT_EQ(0u, r.err.rfind("dkv: KEY_TOO_LARGE: ", 0)) << r.err.substr(0, 300);
  EXPECT_EQ("", r.out);

  // Value over the cluster's limit, from stdin.
  r = Cli(cluster, {"set", "k", "-"}, std::string(1001, 'v'));
  EXPECT_EQ(2, r.exit_code) << r.ToString();
  EXPECT_EQ(0u, r.err.rfind("dkv: VALUE_TOO_LARGE: ", 0)) << r.err;
  r = Cli(cluster, {"get", "k"});
  EXPECT_EQ(1, r.exit_code) << "nothing stored: " << r.ToString();

  // No data nodes.
  DKV_ASSERT_OK(cluster.StopDataNode("d1"));
  DKV_ASSERT_OK(WaitFor(
      [&] {
        r = Cli(cluster, {"set", "k", "v"});
        return r.exit_code == 2 && r.err.rfind("dkv: NO_DATA_NODES: ", 0) == 0;
      },
      milliseconds(10000), milliseconds(50), "NO_DATA_NODES from set"));
  r = Cli(cluster, {"get", "k"});
  EXPECT_EQ(2, r.exit_code) << r.ToString();
  EXPECT_EQ(0u, r.err.rfind("dkv: NO_DATA_NODES: ", 0)) << r.err;
}

TEST_F(CliItest, NextCommandsSucceedAfterTheMasterIsKilled) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 2, 2));
  ASSERT_EQ(0, Cli(cluster, {"set", "before", "1"}).exit_code);
  auto old_master = cluster.WaitForMasterIndex();
  DKV_ASSERT_OK(old_master);
  DKV_ASSERT_OK(cluster.KillServer(*old_master));

  // Right away: the command waits out the failover within its --timeout-ms.
  CommandResult r = Cli(cluster, {"set", "after", "2"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_LT(r.elapsed, cluster.options().client_timeout) << r.ToString();
  r = Cli(cluster, {"get", "after"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("2\n", r.out);
  r = Cli(cluster, {"get", "before"});
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("1\n", r.out);
}

TEST_F(CliItest, FailsWithUnavailableAtItsDeadlineWhenNoMasterIsElected) {
  MiniCluster cluster(Options());
  DKV_ASSERT_OK(cluster.Init());
  auto r = RunCommand({BinaryPath("dkv"), "--zookeeper", cluster.zookeeper(), "--cluster",
                       cluster.cluster(), "--timeout-ms", "1000", "get", "a"},
                      "", milliseconds(10000));
  DKV_ASSERT_OK(r);
  EXPECT_EQ(2, r->exit_code) << r->ToString();
  EXPECT_EQ(0u, r->err.rfind("dkv: UNAVAILABLE: ", 0)) << r->ToString();
  EXPECT_LT(r->elapsed, milliseconds(2500)) << r->ToString();
}

TEST_F(CliItest, KeyspaceCommandsExitCodesAndOutput) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 2));

  // set with a TTL; ttl prints what is left, -1 without expiry; exit 1 for an absent key.
  CommandResult r = Cli(cluster, {"set", "t", "v", "--ttl-ms", "600000"});
  ASSERT_EQ(0, r.exit_code) << r.ToString();
  r = Cli(cluster, {"ttl", "t"});
  ASSERT_EQ(0, r.exit_code) << r.ToString();
  const long long left = std::stoll(r.out);
  EXPECT_GT(left, 500000);
  EXPECT_LE(left, 600000);
  EXPECT_EQ(0, Cli(cluster, {"persist", "t"}).exit_code);
  EXPECT_EQ(1, Cli(cluster, {"persist", "t"}).exit_code);
  EXPECT_EQ("-1\n", Cli(cluster, {"ttl", "t"}).out);
  r = Cli(cluster, {"ttl", "missing"});
  EXPECT_EQ(1, r.exit_code) << r.ToString();
  EXPECT_EQ("", r.out);
  EXPECT_EQ(1, Cli(cluster, {"expire", "missing", "1000"}).exit_code);

  // --nx / --xx: exit 1 when refused.
  EXPECT_EQ(1, Cli(cluster, {"set", "t", "w", "--nx"}).exit_code);
  EXPECT_EQ(0, Cli(cluster, {"set", "t", "w", "--xx"}).exit_code);
  EXPECT_EQ(1, Cli(cluster, {"set", "fresh", "w", "--xx"}).exit_code);
  EXPECT_EQ("w\n", Cli(cluster, {"get", "t"}).out);

  // A key given a short expiry is gone after it.
  ASSERT_EQ(0, Cli(cluster, {"expire", "t", "200"}).exit_code);
  EXPECT_TRUE(WaitFor(
                  [&] {
                    return Cli(cluster, {"get", "t"}).exit_code == 1;
                  },
                  milliseconds(10000))
                  .ok());

  // incr / incrby / append print the result; a non-integer value is an error, exit 2.
  EXPECT_EQ("1\n", Cli(cluster, {"incr", "n"}).out);
  EXPECT_EQ("-9\n", Cli(cluster, {"incrby", "n", "--", "-10"}).out);
  EXPECT_EQ("5\n", Cli(cluster, {"append", "s", "hello"}).out);
  EXPECT_EQ("11\n", Cli(cluster, {"append", "s", " world"}).out);
  r = Cli(cluster, {"incr", "s"});
  EXPECT_EQ(2, r.exit_code) << r.ToString();
  EXPECT_EQ("dkv: INVALID_ARGUMENT: incrby 's': value is not an integer or out of range",
            LastLine(r.err));

  // mset / mget: a line per key, exit 1 if any is absent.
  EXPECT_EQ(0, Cli(cluster, {"mset", "m1", "a", "m2", "b"}).exit_code);
  r = Cli(cluster, {"mget", "m1", "nope", "m2"});
  EXPECT_EQ(1, r.exit_code) << r.ToString();
  EXPECT_EQ("a\n\nb\n", r.out);

  // scan walks every slot: every m* key once.
  r = Cli(cluster, {"scan", "--match", "m*", "--count", "1"});
  ASSERT_EQ(0, r.exit_code) << r.ToString();
  std::vector<std::string> keys;
  for (size_t start = 0, nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1) {
    keys.push_back(r.out.substr(start, nl - start));
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"m1", "m2"}));

  // --db: keyspaces are separate.
  EXPECT_EQ(0, Cli(cluster, {"--db", "3", "set", "m1", "three"}).exit_code);
  EXPECT_EQ("three\n", Cli(cluster, {"--db", "3", "get", "m1"}).out);
  EXPECT_EQ("a\n", Cli(cluster, {"get", "m1"}).out);
  EXPECT_EQ("m1\n", Cli(cluster, {"--db", "3", "scan"}).out);
  r = Cli(cluster, {"--db", "16", "get", "m1"});
  EXPECT_EQ(2, r.exit_code) << r.ToString();
  EXPECT_NE(r.err.find("db 16 is out of range 0..15"), std::string::npos) << r.err;

  // Options on the wrong command are usage errors.
  EXPECT_TRUE(IsUsage(Cli(cluster, {"get", "m1", "--nx"})));
}

TEST_F(CliItest, ShellReadsCommandsFromAPipe) {
  MiniCluster cluster(Options());
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster, 1, 1));

  CommandResult r = Cli(cluster, {"shell"},
                        "set \"a key\" 'a value' --ttl-ms 60000\n"
                        "get \"a key\"\n"
                        "incrby n 5\n"
                        "get nope\n"
                        "bogus\n"
                        "help ttl\n"
                        "quit\n"
                        "set never reached\n");
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ(
      "a value\n5\n(exit 1)\n  ttl KEY\n"
      "      print the milliseconds before KEY expires, -1 if never (exit 1 if absent)\n",
      r.out);
  EXPECT_EQ("dkv: unknown command 'bogus' (try help bogus)", LastLine(r.err));
  EXPECT_EQ(1, Cli(cluster, {"get", "never"}).exit_code);

  // No command at all is the shell too.
  r = Cli(cluster, {}, "get \"a key\"\n");
  EXPECT_EQ(0, r.exit_code) << r.ToString();
  EXPECT_EQ("a value\n", r.out);
}

}  // namespace
}  // namespace dkv::test
