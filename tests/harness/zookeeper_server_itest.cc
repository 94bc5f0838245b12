// ZooKeeperServer against the real scripts/zk-server (label "integration").
#include <gtest/gtest.h>

#include "tests/harness/test_util.h"
#include "tests/harness/zookeeper_server.h"

namespace dkv::test {
namespace {

TEST(ZooKeeperServerItest, StartsOnAFreePortAndAnswersRuok) {
  auto dir = TempDir::Create("zk");
  DKV_ASSERT_OK(dir);
  auto zk = ZooKeeperServer::Start(dir->Sub("zk"));
  DKV_ASSERT_OK(zk);
  EXPECT_EQ("127.0.0.1:" + std::to_string((*zk)->port()), (*zk)->connect_string());
  auto reply = (*zk)->FourLetterWord("ruok");
  DKV_ASSERT_OK(reply);
  EXPECT_EQ("imok", *reply);
}

TEST(ZooKeeperServerItest, RestartServesOnTheSamePort) {
  auto dir = TempDir::Create("zk");
  DKV_ASSERT_OK(dir);
  auto zk = ZooKeeperServer::Start(dir->Sub("zk"));
  DKV_ASSERT_OK(zk);
  DKV_ASSERT_OK((*zk)->Stop());
  EXPECT_FALSE((*zk)->IsRunning());
  EXPECT_FALSE((*zk)->FourLetterWord("ruok").ok());
  DKV_ASSERT_OK((*zk)->Restart());
  auto reply = (*zk)->FourLetterWord("ruok");
  DKV_ASSERT_OK(reply);
  EXPECT_EQ("imok", *reply);
}

TEST(ZooKeeperServerItest, StartFailureCarriesTheServerOutput) {
  auto dir = TempDir::Create("zk");
  DKV_ASSERT_OK(dir);
  auto first = ZooKeeperServer::Start(dir->Sub("zk1"));
  DKV_ASSERT_OK(first);
  // The port is taken: the second server exits, and the error shows why.
  auto second =
      ZooKeeperServer::Start(dir->Sub("zk2"), (*first)->port(), 100, std::chrono::seconds(20));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(std::string::npos, second.status().message().find("Address already in use"))
      << second.status().ToString();
}

}  // namespace
}  // namespace dkv::test
