// RunCli: argument checking, exit codes, exact output, VALUE '-' from stdin; on a Client over a
// MemoryCoordinator and FakeCluster servers.
#include "client/cli.h"

#include <gtest/gtest.h>

#include <sstream>

#include "client/client_impl.h"
#include "client/fake_cluster.h"
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
    options.client.timeout = std::chrono::milliseconds(200);
    std::istringstream input(in);
    out_.str("");
    err_.str("");
    return RunCli(options, input, out_, err_, [this](const ClientOptions& o) {
      ++connects_;
      return Client::Impl::Create(o, std::make_shared<coord::MemoryCoordinator>(tree_),
                                  cluster_->Factory());
    });
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

}  // namespace
}  // namespace dkv::client
