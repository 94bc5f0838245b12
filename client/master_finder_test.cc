// MasterFinder over a MemoryCoordinator: caching, watches, Forget/Redirect, session expiry.
#include "client/master_finder.h"

#include <gtest/gtest.h>

#include "common/coord/memory_coordinator.h"
#include "common/metadata.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::client {
namespace {

class MasterFinderTest : public ::testing::Test {
 protected:
  MasterFinderTest()
      : tree_(std::make_shared<coord::MemoryTree>()),
        server_(std::make_unique<coord::MemoryCoordinator>(tree_)),
        client_(std::make_unique<coord::MemoryCoordinator>(tree_)),
        finder_(client_.get(), "default") {
    EXPECT_TRUE(server_->CreateAll("/dkv/default").ok());
  }

  // The "server" session writes the master znode.
  void WriteMaster(const std::string& address) {
    const std::string bytes = rpc::EncodeMaster(MasterInfo{"srv-1", address, 1, Limits{}});
    Status s = server_->Create("/dkv/default/master", bytes, coord::NodeMode::kEphemeral);
    if (s.IsAlreadyExists()) s = server_->Set("/dkv/default/master", bytes).status();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string Found() {
    Result<HostPort> found = finder_.Find();
    return found.ok() ? found->ToString() : found.status().ToString();
  }

  std::shared_ptr<coord::MemoryTree> tree_;
  std::unique_ptr<coord::MemoryCoordinator> server_;
  std::unique_ptr<coord::MemoryCoordinator> client_;
  MasterFinder finder_;
};

TEST_F(MasterFinderTest, NoMasterZnodeIsUnavailable) {
  Result<HostPort> found = finder_.Find();
  ASSERT_TRUE(found.status().IsUnavailable());
  EXPECT_NE(found.status().message().find("/dkv/default/master"), std::string::npos);
}

TEST_F(MasterFinderTest, MalformedMasterZnodeIsUnavailableNotACrash) {
  // A string field claiming 2 GiB. (Bytes with an invalid field type would trip UBSan inside
  // Thrift's TBinaryProtocol, which loads them into its TType enum.)
  const std::string malformed("\x0b\x00\x01\x7f\xff\xff\xff", 7);
  ASSERT_TRUE(server_->Create("/dkv/default/master", malformed, coord::NodeMode::kPersistent).ok());
  EXPECT_TRUE(finder_.Find().status().IsUnavailable());
}

TEST_F(MasterFinderTest, WatchFollowsANewMaster) {
  WriteMaster("10.0.0.1:7000");
  EXPECT_EQ(Found(), "10.0.0.1:7000");
  WriteMaster("10.0.0.2:7000");
  client_->FlushForTests();
  EXPECT_EQ(Found(), "10.0.0.2:7000");
}

TEST_F(MasterFinderTest, CachesUntilSomethingChanges) {
  WriteMaster("10.0.0.1:7000");
  EXPECT_EQ(Found(), "10.0.0.1:7000");
  client_->DisconnectForTests();  // reads would fail now: the answer comes from the cache
  EXPECT_EQ(Found(), "10.0.0.1:7000");
  client_->ReconnectForTests();
}

TEST_F(MasterFinderTest, ForgetRereadsZooKeeper) {
  WriteMaster("10.0.0.1:7000");
  EXPECT_EQ(Found(), "10.0.0.1:7000");
  client_->DisconnectForTests();
  finder_.Forget({"10.0.0.1", 7000});
  EXPECT_TRUE(finder_.Find().status().IsUnavailable());
  client_->ReconnectForTests();
  EXPECT_EQ(Found(), "10.0.0.1:7000");
}

TEST_F(MasterFinderTest, RedirectMovesOnlyFromTheAddressThatFailed) {
  WriteMaster("10.0.0.1:7000");
  EXPECT_EQ(Found(), "10.0.0.1:7000");
  finder_.Redirect({"10.0.0.9", 7000}, "10.0.0.3:7000");  // a stale report about another server
  EXPECT_EQ(Found(), "10.0.0.1:7000");
  finder_.Redirect({"10.0.0.1", 7000}, "10.0.0.2:7000");
  EXPECT_EQ(Found(), "10.0.0.2:7000");
  finder_.Redirect({"10.0.0.2", 7000}, "");  // no hint: back to ZooKeeper
  EXPECT_EQ(Found(), "10.0.0.1:7000");
}

TEST_F(MasterFinderTest, SessionExpiryDropsTheCache) {
  WriteMaster("10.0.0.1:7000");
  EXPECT_EQ(Found(), "10.0.0.1:7000");
  client_->ExpireSessionForTests();  // the watch is gone with the session
  WriteMaster("10.0.0.2:7000");
  client_->FlushForTests();
  finder_.OnSessionExpired();
  EXPECT_EQ(Found(), "10.0.0.2:7000");
}

}  // namespace
}  // namespace dkv::client
