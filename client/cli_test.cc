// RunCli: argument checking, exit codes, exact output, VALUE '-' from stdin; on a Client over a
// MemoryCoordinator and FakeCluster servers.
#include "client/cli.h"

#include <gtest/gtest.h>

#include <sstream>

#include "client/client_impl.h"
#include "client/fake_cluster.h"
#include "client/shell.h"
#include "common/coord/memory_coordinator.h"
#include "common/metadata.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::client {
namespace {

class CliTest : public ::testing::Test {
 protected:
  CliTest()
      : tree_(std::make_shared<coord::MemoryTree>()), cluster_(std::make_shared<FakeCluster>()) {
    coord::MemoryCoordinator server(tree_);
    EXPECT_TRUE(server.CreateAll("/dkv/default").ok());
    EXPECT_TRUE(server
                    .Create("/dkv/default/master",
                            rpc::EncodeMaster(MasterInfo{"srv-1", "127.0.0.1:7001", 1, Limits{}}),
                            coord::NodeMode::kPersistent)
                    .ok());
    cluster_->SetMaster("127.0.0.1:7001");
  }

  // Runs `dkv <command> <args...>` with `in` as stdin; returns the exit code.
  int Run(const std::string& command, std::vector<std::string> args, const std::string& in = "",
          bool json = false) {
    CliOptions options;
    options.command = command;
    options.args = std::move(args);
    options.json = json;
    return Run(std::move(options), in);
  }

  int Run(CliOptions options, const std::string& in = "") {
    options.client.timeout = std::chrono::milliseconds(200);
    std::istringstream input(in);
    out_.str("");
    err_.str("");
    return RunCli(options, input, out_, err_, Connect());
  }

  ConnectFn Connect() {
    return [this](const ClientOptions& o) {
      ++connects_;
      return Client::Impl::Create(o, std::make_shared<coord::MemoryCoordinator>(tree_),
                                  cluster_->Factory());
    };
  }

  // Runs the shell on `lines`; words are parsed as the command and its arguments (no options).
  int Shell(const std::string& lines) {
    std::istringstream input(lines);
    std::unique_ptr<LineReader> reader = NewStreamLineReader(input);
    out_.str("");
    err_.str("");
    ClientOptions client;
    client.timeout = std::chrono::milliseconds(200);
    return RunShell(
        client, *reader,
        [](const std::vector<std::string>& words) -> Result<CliOptions> {
          CliOptions options;
          options.command = words[0];
          options.args.assign(words.begin() + 1, words.end());
          return options;
        },
        out_, err_, Connect());
  }

  // Runs `dkv node drain ID` (with the flags).
  int Drain(const std::string& id, bool no_wait, bool json) {
    CliOptions options;
    options.command = "node";
    options.args = {"drain", id};
    options.no_wait = no_wait;
    options.json = json;
    options.drain_poll = std::chrono::milliseconds(1);
    return Run(std::move(options));
  }

  std::shared_ptr<coord::MemoryTree> tree_;
  std::shared_ptr<FakeCluster> cluster_;
  std::ostringstream out_, err_;
  int connects_ = 0;
};

TEST_F(CliTest, UsageErrorsExitTwoBeforeConnecting) {
  EXPECT_EQ(Run("", {}), kExitError);
  EXPECT_NE(err_.str().find("no command"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("Usage: dkv"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("frobnicate", {"x"}), kExitError);
  EXPECT_NE(err_.str().find("unknown command 'frobnicate'"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("set", {"k"}), kExitError);
  EXPECT_NE(err_.str().find("missing argument"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("get", {"k", "extra"}), kExitError);
  EXPECT_NE(err_.str().find("extra argument"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("remove", {}), kExitError);
  EXPECT_EQ(Run("status", {"x"}), kExitError);
  EXPECT_EQ(Run("get", {"k"}, "", /*json=*/true), kExitError);
  EXPECT_EQ(connects_, 0);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliTest, SetThenGetPrintsTheValueAndANewline) {
  EXPECT_EQ(Run("set", {"a", "1"}), kExitOk);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(Run("get", {"a"}), kExitOk);
  EXPECT_EQ(out_.str(), "1\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CliTest, GetOfAMissingKeyPrintsNothingAndExitsOne) {
  EXPECT_EQ(Run("get", {"nope"}), kExitAbsent);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CliTest, RemoveExitsZeroIfTheKeyExistedElseOne) {
  ASSERT_EQ(Run("set", {"a", "1"}), kExitOk);
  EXPECT_EQ(Run("remove", {"a"}), kExitOk);
  EXPECT_EQ(Run("remove", {"a"}), kExitAbsent);
}

TEST_F(CliTest, DashReadsABinaryValueFromStdin) {
  const std::string value("line1\nline2\0tail\n", 17);
  ASSERT_EQ(Run("set", {"k", "-"}, value), kExitOk);
  EXPECT_EQ(cluster_->Peek("k"), value);
  EXPECT_EQ(Run("get", {"k"}), kExitOk);
  EXPECT_EQ(out_.str(), value + "\n");
  // A key '-' is a key, not stdin.
  ASSERT_EQ(Run("set", {"-", "dash"}, "ignored"), kExitOk);
  EXPECT_EQ(cluster_->Peek("-"), "dash");
}

TEST_F(CliTest, UnsafeSetExitsZero) {
  EXPECT_EQ(Run("unsafe-set", {"k", "v"}), kExitOk);
  EXPECT_EQ(cluster_->Peek("k"), "v");
  cluster_->SetDown("127.0.0.1:7001", true);
  EXPECT_EQ(Run("unsafe-set", {"k", "w"}), kExitOk);  // lost, and nobody is told
}

TEST_F(CliTest, StatusPrintsATableOrJson) {
  EXPECT_EQ(Run("status", {}), kExitOk);
  EXPECT_NE(out_.str().find("127.0.0.1:7001"), std::string::npos) << out_.str();
  EXPECT_EQ(Run("status", {}, "", /*json=*/true), kExitOk);
  EXPECT_EQ(out_.str().rfind("{\"cluster\":\"fake\"", 0), 0u) << out_.str();
  EXPECT_EQ(out_.str().back(), '\n');
}

TEST_F(CliTest, ErrorsGoToStderrWithTheCodeNameAndExitTwo) {
  cluster_->FailCalls(Status::ValueTooLarge("value of 20 MiB, limit 16 MiB"));
  EXPECT_EQ(Run("set", {"k", "v"}), kExitError);
  EXPECT_EQ(err_.str(), "dkv: VALUE_TOO_LARGE: value of 20 MiB, limit 16 MiB\n");
  cluster_->FailCalls(Status::OK());
  cluster_->SetDown("127.0.0.1:7001", true);
  EXPECT_EQ(Run("get", {"k"}), kExitError);
  EXPECT_EQ(err_.str().rfind("dkv: UNAVAILABLE: ", 0), 0u) << err_.str();
}

CliOptions Command(const std::string& command, std::vector<std::string> args) {
  CliOptions options;
  options.command = command;
  options.args = std::move(args);
  return options;
}

TEST_F(CliTest, CommandOptionsApplyOnlyToTheirCommands) {
  CliOptions options = Command("get", {"k"});
  options.ttl_ms = 100;
  EXPECT_EQ(Run(options), kExitError);
  EXPECT_NE(err_.str().find("--ttl-ms does not apply to get"), std::string::npos) << err_.str();
  options = Command("set", {"k", "v"});
  options.match = "x";
  EXPECT_EQ(Run(options), kExitError);
  options = Command("set", {"k", "v"});
  options.nx = options.xx = true;
  EXPECT_EQ(Run(options), kExitError);
  options = Command("set", {"k", "v"});
  options.ttl_ms = 0;
  EXPECT_EQ(Run(options), kExitError);
  options = Command("scan", {});
  options.count = 0;
  EXPECT_EQ(Run(options), kExitError);
  EXPECT_EQ(Run("mset", {"a", "1", "b"}), kExitError);
  EXPECT_NE(err_.str().find("KEY VALUE pairs"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("expire", {"k", "soon"}), kExitError);
  EXPECT_NE(err_.str().find("MS 'soon' is not a 64-bit decimal integer"), std::string::npos);
  EXPECT_EQ(Run("incrby", {"k", "1.5"}), kExitError);
  EXPECT_EQ(connects_, 0);
}

TEST_F(CliTest, SetWithTtlAndConditionExitsOneWhenRefused) {
  cluster_->SetOpHandler([](const Op& op) { return op.key == "new" ? Reply::Ok() : Reply::Nil(); });
  CliOptions options = Command("set", {"new", "v"});
  options.ttl_ms = 1000;
  options.nx = true;
  EXPECT_EQ(Run(options), kExitOk);
  EXPECT_EQ(cluster_->executed_ops().back().flags, kNx);
  EXPECT_GT(cluster_->executed_ops().back().expire_at_ms, 0);
  options.args = {"old", "v"};
  EXPECT_EQ(Run(options), kExitAbsent);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliTest, TtlPrintsMillisecondsLeftOrMinusOneAndExitsOneForAbsentKey) {
  cluster_->SetOpHandler([](const Op& op) {
    return Reply::Integer(op.key == "gone" ? -2 : op.key == "forever" ? -1 : 2500);
  });
  EXPECT_EQ(Run("ttl", {"soon"}), kExitOk);
  EXPECT_EQ(out_.str(), "2500\n");
  EXPECT_EQ(Run("ttl", {"forever"}), kExitOk);
  EXPECT_EQ(out_.str(), "-1\n");
  EXPECT_EQ(Run("ttl", {"gone"}), kExitAbsent);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliTest, ExpireAndPersistExitOneWhenNothingApplied) {
  cluster_->SetOpHandler([](const Op& op) { return Reply::Integer(op.key == "k" ? 1 : 0); });
  EXPECT_EQ(Run("expire", {"k", "1000"}), kExitOk);
  EXPECT_EQ(Run("expire", {"other", "1000"}), kExitAbsent);
  EXPECT_EQ(Run("persist", {"k"}), kExitOk);
  EXPECT_EQ(Run("persist", {"other"}), kExitAbsent);
}

TEST_F(CliTest, IncrAndAppendPrintTheResultAndANonIntegerExitsTwo) {
  cluster_->SetOpHandler([](const Op& op) {
    if (op.key == "text") return Reply::Error("ERR value is not an integer or out of range");
    return Reply::Integer(op.code == OpCode::kAppend ? 7 : 10 + op.arg1);
  });
  EXPECT_EQ(Run("incr", {"n"}), kExitOk);
  EXPECT_EQ(out_.str(), "11\n");
  EXPECT_EQ(Run("incrby", {"n", "-4"}), kExitOk);
  EXPECT_EQ(out_.str(), "6\n");
  EXPECT_EQ(Run("append", {"s", "abc"}), kExitOk);
  EXPECT_EQ(out_.str(), "7\n");
  EXPECT_EQ(Run("incr", {"text"}), kExitError);
  EXPECT_EQ(err_.str(),
            "dkv: INVALID_ARGUMENT: incrby 'text': value is not an integer or out of range\n");
}

TEST_F(CliTest, MGetPrintsALinePerKeyAndExitsOneIfAnyIsAbsent) {
  cluster_->SetOpHandler([](const Op& op) {
    if (op.code == OpCode::kSet) return Reply::Ok();
    return op.key == "b" ? Reply::Nil() : Reply::Bulk(op.key + "!");
  });
  EXPECT_EQ(Run("mset", {"a", "1", "c", "3"}), kExitOk);
  EXPECT_EQ(cluster_->executed_ops().size(), 2u);
  EXPECT_EQ(Run("mget", {"a", "c"}), kExitOk);
  EXPECT_EQ(out_.str(), "a!\nc!\n");
  EXPECT_EQ(Run("mget", {"a", "b", "c"}), kExitAbsent);
  EXPECT_EQ(out_.str(), "a!\n\nc!\n");
}

TEST_F(CliTest, ScanPrintsEveryMatchingKey) {
  cluster_->SetOpHandler([](const Op& op) {
    EXPECT_EQ(op.value, "user:*");
    return op.arg1 % 5 == 0 ? Reply::Array({"user:" + std::to_string(op.arg1)}) : Reply::Array({});
  });
  CliOptions options = Command("scan", {});
  options.match = "user:*";
  options.count = 1;
  EXPECT_EQ(Run(options), kExitOk);
  EXPECT_EQ(out_.str(), "user:0\nuser:5\nuser:10\nuser:15\n");  // the fake has 16 slots
}

TEST_F(CliTest, ShellRunsEachLineOnOneConnection) {
  EXPECT_EQ(Shell("set a 1\nset \"b c\" 'd e'\n\nget a\nGET \"b c\"\nget nope\nremove a\n"),
            kExitOk);
  EXPECT_EQ(out_.str(), "1\nd e\n(exit 1)\n");
  EXPECT_EQ(err_.str(), "");
  EXPECT_EQ(connects_, 1);
  EXPECT_EQ(cluster_->Peek("b c"), "d e");
}

TEST_F(CliTest, ShellReportsBadLinesAndGoesOn) {
  EXPECT_EQ(Shell("set \"a\nfrobnicate\nget\nset k -\nshell\nset k v\n"), kExitOk);
  EXPECT_EQ(err_.str(),
            "dkv: unbalanced quotes in 'set \"a'\n"
            "dkv: unknown command 'frobnicate' (try help frobnicate)\n"
            "dkv: missing argument: usage: dkv get KEY (try help get)\n"
            "dkv: INVALID_ARGUMENT: VALUE '-' (stdin) cannot be used in the shell\n"
            "dkv: already in the shell\n");
  EXPECT_EQ(cluster_->Peek("k"), "v");
}

TEST_F(CliTest, ShellHelpListsEveryCommandWithoutConnecting) {
  EXPECT_EQ(Shell("help\n"), kExitOk);
  for (const CliCommand& command : CliCommands()) {
    if (std::string(command.name) == "shell") continue;
    EXPECT_NE(out_.str().find(std::string("  ") + command.syntax + "\n      " + command.summary),
              std::string::npos)
        << command.name;
  }
  EXPECT_NE(out_.str().find("quit, exit"), std::string::npos);
  EXPECT_EQ(Shell("help ttl\nhelp nosuch\n"), kExitOk);
  EXPECT_EQ(out_.str(), "  ttl KEY\n      " + std::string(FindCliCommand("ttl")->summary) + "\n");
  EXPECT_EQ(err_.str(), "dkv: no command 'nosuch' (try help)\n");
  EXPECT_EQ(connects_, 0);
}

TEST_F(CliTest, ShellStopsAtQuitOrExit) {
  EXPECT_EQ(Shell("set a 1\nquit\nset a 2\n"), kExitOk);
  EXPECT_EQ(cluster_->Peek("a"), "1");
  EXPECT_EQ(Shell("EXIT\nset a 3\n"), kExitOk);
  EXPECT_EQ(cluster_->Peek("a"), "1");
}

TEST_F(CliTest, ConnectFailureExitsTwo) {
  CliOptions options;
  options.command = "get";
  options.args = {"k"};
  std::istringstream in;
  std::ostringstream out, err;
  int code = RunCli(options, in, out, err, [](const ClientOptions&) {
    return Result<std::unique_ptr<Client>>(Status::Unavailable("ZooKeeper 10.9.9.9:2181: down"));
  });
  EXPECT_EQ(code, kExitError);
  EXPECT_EQ(err.str(), "dkv: UNAVAILABLE: ZooKeeper 10.9.9.9:2181: down\n");
}

TEST_F(CliTest, NodeDrainNoWaitSaysHowManySlotsMove) {
  EXPECT_EQ(Drain("d1", true, false), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "d1: draining, 16 slots to move\n");
  EXPECT_EQ(Drain("d1", true, true), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "{\"node\":\"d1\",\"slots_to_move\":16,\"left\":false}\n");
}

TEST_F(CliTest, NodeDrainOfAnUnknownNodeFailsWithNotFound) {
  EXPECT_EQ(Drain("nope", true, false), kExitError);
  EXPECT_NE(err_.str().find("NOT_FOUND"), std::string::npos) << err_.str();
}

TEST_F(CliTest, NodeDrainWaitingFailsWhenNoOtherDataNodeCanTakeTheSlots) {
  // The fake cluster's only data node is d1.
  EXPECT_EQ(Drain("d1", false, false), kExitError);
  EXPECT_NE(err_.str().find("no other data node"), std::string::npos) << err_.str();
}

TEST_F(CliTest, NodeCommandsAndFlagsAreChecked) {
  EXPECT_EQ(Run("node", {"frobnicate", "d1"}), kExitError);
  EXPECT_NE(err_.str().find("unknown node command"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("node", {"drain"}), kExitError);
  EXPECT_NE(err_.str().find("missing argument"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("get", {"k"}, "", true), kExitError);
  EXPECT_EQ(connects_, 0);
}

TEST_F(CliTest, RebalancePrintsTheSlotsToMove) {
  EXPECT_EQ(Run("rebalance", {}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "0 slots to move\n");
  EXPECT_EQ(Run("rebalance", {}, "", true), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "{\"slots_to_move\":0}\n");
}

TEST_F(CliTest, ReplicasSetsTheReplicationFactorAndWarnsWhenTheDataNodesAreTooFew) {
  EXPECT_EQ(Run("replicas", {"1"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "replication factor 1 (1 live data nodes); chains change in the background\n");
  EXPECT_EQ(err_.str(), "");
  // The fake cluster has one data node.
  EXPECT_EQ(Run("replicas", {"3"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "replication factor 3 (1 live data nodes); chains change in the background\n");
  EXPECT_EQ(err_.str(),
            "dkv: warning: only 1 live data nodes (not draining): chains will have only 1 members "
            "until more data nodes join\n");
  EXPECT_EQ(Run("replicas", {"3"}, "", /*json=*/true), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            R"({"replication_factor":3,"data_nodes":1,"warnings":["only 1 live data nodes (not )"
            R"(draining): chains will have only 1 members until more data nodes join"]})"
            "\n");
}

TEST_F(CliTest, ReplicasWithoutNPrintsTheCurrentReplicationFactor) {
  ASSERT_EQ(Run("replicas", {"2"}), kExitOk) << err_.str();
  EXPECT_EQ(Run("replicas", {}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "replication factor 2 (0 slots under-replicated)\n");
  EXPECT_EQ(Run("replicas", {}, "", /*json=*/true), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "{\"replication_factor\":2,\"under_replicated_slots\":0}\n");
}

TEST_F(CliTest, ReplicasNMustBeAPositiveIntegerAndIsCheckedBeforeConnecting) {
  for (const char* n : {"0", "-2", "x", "2x", "99999999999"}) {
    EXPECT_EQ(Run("replicas", {n}), kExitError) << n;
    EXPECT_NE(err_.str().find("Usage: dkv"), std::string::npos) << n << ": " << err_.str();
  }
  EXPECT_NE(err_.str().find("'99999999999'"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("replicas", {"0"}), kExitError);
  EXPECT_NE(err_.str().find("replicas N '0' must be a positive"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("replicas", {"2", "3"}), kExitError);
  EXPECT_NE(err_.str().find("extra argument"), std::string::npos) << err_.str();
  EXPECT_EQ(connects_, 0);
}

TEST_F(CliTest, ReplicasRefusedByTheMasterExitsTwoWithItsError) {
  EXPECT_EQ(Run("replicas", {"17"}), kExitError);
  EXPECT_EQ(out_.str(), "");
  EXPECT_NE(err_.str().find("dkv: INVALID_ARGUMENT: "), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace dkv::client
