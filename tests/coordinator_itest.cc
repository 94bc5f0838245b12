// ZooKeeperCoordinator against a real ZooKeeper started by the harness (label "integration").
// The same behaviours are unit-tested on MemoryCoordinator
// (common/coord/memory_coordinator_test.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/coord/coordinator.h"
#include "common/coord/zookeeper_coordinator.h"
#include "common/mutex.h"
#include "tests/harness/session_event_log.h"
#include "tests/harness/test_util.h"
#include "tests/harness/zookeeper_server.h"

namespace dkv::coord {
namespace {

using std::chrono::milliseconds;
using test::WaitFor;

class CoordinatorItest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = test::TempDir::Create("coord-itest");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = new test::TempDir(std::move(*dir));
    auto zk = test::ZooKeeperServer::Start(dir_->Sub("zk"));
    ASSERT_TRUE(zk.ok()) << zk.status().ToString();
    zk_ = zk->release();
  }

  static void TearDownTestSuite() {
    delete zk_;
    zk_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(nullptr, zk_) << "ZooKeeper did not start";
    ASSERT_TRUE(zk_->IsRunning() || zk_->Restart().ok());
    // Each test works under its own root, so tests do not see each other's nodes.
    root_ = std::string("/") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  static ZooKeeperOptions Options(milliseconds session_timeout = milliseconds(4000)) {
    ZooKeeperOptions options;
    options.connect_string = zk_->connect_string();
    options.session_timeout = session_timeout;
    options.connect_timeout = milliseconds(5000);
    return options;
  }

  static std::unique_ptr<ZooKeeperCoordinator> Connect(
      milliseconds session_timeout = milliseconds(4000)) {
    auto c = ZooKeeperCoordinator::Connect(Options(session_timeout));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  static test::TempDir* dir_;
  static test::ZooKeeperServer* zk_;
  std::string root_;
};

test::TempDir* CoordinatorItest::dir_ = nullptr;
test::ZooKeeperServer* CoordinatorItest::zk_ = nullptr;

TEST_F(CoordinatorItest, CreateGetSetDeleteWithVersions) {
  auto c = Connect();
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_));
  std::string path = root_ + "/node";
  DKV_ASSERT_OK(c->Create(path, "one", NodeMode::kPersistent));
  auto got = c->Get(path);
  DKV_ASSERT_OK(got);
  EXPECT_EQ("one", got->data);
  EXPECT_EQ(0, got->version);

  auto v = c->Set(path, "two", 0);
  DKV_ASSERT_OK(v);
  EXPECT_EQ(1, *v);
  EXPECT_EQ("two", c->Get(path)->data);
  EXPECT_EQ(2, *c->Set(path, "three", -1));

  DKV_ASSERT_OK(c->Delete(path, 2));
  EXPECT_TRUE(c->Get(path).status().IsNotFound());
  auto exists = c->Exists(path);
  DKV_ASSERT_OK(exists);
  EXPECT_FALSE(*exists);
}

TEST_F(CoordinatorItest, MapsZooKeeperErrorsToStatusCodes) {
  auto c = Connect();
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_));
  std::string path = root_ + "/node";
  DKV_ASSERT_OK(c->Create(path, "", NodeMode::kPersistent));

  Status exists = c->Create(path, "", NodeMode::kPersistent);
  EXPECT_TRUE(exists.IsAlreadyExists()) << exists.ToString();
  EXPECT_NE(std::string::npos, exists.message().find(path)) << exists.ToString();
  EXPECT_TRUE(c->Create(root_ + "/no/parent", "", NodeMode::kPersistent).IsNotFound());
  EXPECT_TRUE(c->Get(root_ + "/missing").status().IsNotFound());
  EXPECT_TRUE(c->GetChildren(root_ + "/missing").status().IsNotFound());
  EXPECT_TRUE(c->Set(root_ + "/missing", "").status().IsNotFound());
  EXPECT_TRUE(c->Delete(root_ + "/missing").IsNotFound());
  EXPECT_TRUE(c->Set(path, "x", 7).status().IsVersionMismatch());
  EXPECT_TRUE(c->Delete(path, 7).IsVersionMismatch());
  EXPECT_EQ(Status::Code::kInvalidArgument, c->Get("no-slash").status().code());
  EXPECT_EQ(Status::Code::kInvalidArgument,
            c->Set(path, std::string(2 << 20, 'x')).status().code());
  DKV_ASSERT_OK(c->Create(path + "/child", "", NodeMode::kPersistent));
  EXPECT_EQ(Status::Code::kInternal, c->Delete(path).code());  // not empty
}

TEST_F(CoordinatorItest, CreateAllToleratesExistingAncestors) {
  auto c = Connect();
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_ + "/a/b/c"));
  DKV_ASSERT_OK(c->CreateAll(root_ + "/a/b/c"));
  DKV_ASSERT_OK(c->CreateAll(root_ + "/a/d"));
  EXPECT_EQ((std::vector<std::string>{"b", "d"}), *c->GetChildren(root_ + "/a"));
}

TEST_F(CoordinatorItest, SequentialEphemeralsSortInCreationOrder) {
  auto c = Connect();
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_));
  std::vector<std::string> created;
  for (int i = 0; i < 12; ++i) {
    std::string name;
    DKV_ASSERT_OK(c->Create(root_ + "/srv-", "", NodeMode::kEphemeralSequential, &name));
    created.push_back(name.substr(root_.size() + 1));
  }
  EXPECT_EQ(root_.size() + 1 + 4 + 10, root_.size() + 1 + created[0].size());
  EXPECT_EQ("srv-0000000000", created[0]);
  auto children = c->GetChildren(root_);
  DKV_ASSERT_OK(children);
  EXPECT_EQ(created, *children);
}

TEST_F(CoordinatorItest, LargeDataRoundTrips) {
  auto c = Connect();
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_));
  std::string big(300 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  DKV_ASSERT_OK(c->Create(root_ + "/big", big, NodeMode::kPersistent));
  auto got = c->Get(root_ + "/big");
  DKV_ASSERT_OK(got);
  EXPECT_EQ(big, got->data);
  DKV_ASSERT_OK(c->Create(root_ + "/empty", "", NodeMode::kPersistent));
  EXPECT_EQ("", c->Get(root_ + "/empty")->data);
}

TEST_F(CoordinatorItest, WatchFiresOnceOnDataChange) {
  auto c = Connect();
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_));
  std::string path = root_ + "/node";
  DKV_ASSERT_OK(c->Create(path, "x", NodeMode::kPersistent));
  std::atomic<int> fired{0};
  DKV_ASSERT_OK(c->Get(path, [&] { fired++; }));
  DKV_ASSERT_OK(c->Set(path, "y"));
  DKV_ASSERT_OK(WaitFor([&] { return fired == 1; }, milliseconds(5000)));
  // A second change does not fire it again. To know the event would have arrived, wait for a
  // later watch on the same path, which the client delivers in order.
  std::atomic<bool> later{false};
  DKV_ASSERT_OK(c->Get(path, [&] { later = true; }));
  DKV_ASSERT_OK(c->Set(path, "z"));
  DKV_ASSERT_OK(WaitFor([&] { return later.load(); }, milliseconds(5000)));
  EXPECT_EQ(1, fired);
}

TEST_F(CoordinatorItest, WatchFiresOnceOnChildrenChange) {
  auto c = Connect();
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_));
  std::atomic<int> fired{0};
  DKV_ASSERT_OK(c->GetChildren(root_, [&] { fired++; }));
  DKV_ASSERT_OK(c->Create(root_ + "/a", "", NodeMode::kPersistent));
  DKV_ASSERT_OK(WaitFor([&] { return fired == 1; }, milliseconds(5000)));
  std::atomic<bool> later{false};
  DKV_ASSERT_OK(c->GetChildren(root_, [&] { later = true; }));
  DKV_ASSERT_OK(c->Create(root_ + "/b", "", NodeMode::kPersistent));
  DKV_ASSERT_OK(WaitFor([&] { return later.load(); }, milliseconds(5000)));
  EXPECT_EQ(1, fired);
}

TEST_F(CoordinatorItest, ExistsWatchFiresOnCreationAndSessionsSeeEachOther) {
  auto watcher = Connect();
  auto creator = Connect();
  ASSERT_NE(nullptr, watcher);
  ASSERT_NE(nullptr, creator);
  DKV_ASSERT_OK(watcher->CreateAll(root_));
  std::atomic<int> fired{0};
  auto exists = watcher->Exists(root_ + "/later", [&] { fired++; });
  DKV_ASSERT_OK(exists);
  EXPECT_FALSE(*exists);
  DKV_ASSERT_OK(creator->Create(root_ + "/later", "", NodeMode::kPersistent));
  DKV_ASSERT_OK(WaitFor([&] { return fired == 1; }, milliseconds(5000)));
}

TEST_F(CoordinatorItest, WatchRunsOnTheEventThreadAndMayCallBack) {
  auto c = Connect();
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_));
  std::atomic<bool> reread{false};
  DKV_ASSERT_OK(c->Get(root_, [&] { reread = c->Get(root_).ok(); }));
  DKV_ASSERT_OK(c->Set(root_, "x"));
  DKV_ASSERT_OK(WaitFor([&] { return reread.load(); }, milliseconds(5000)));
}

TEST_F(CoordinatorItest, EphemeralIsGoneOnceItsCoordinatorIsDestroyed) {
  auto observer = Connect();
  ASSERT_NE(nullptr, observer);
  DKV_ASSERT_OK(observer->CreateAll(root_));
  auto fired = std::make_shared<std::atomic<int>>(0);
  {
    auto member = Connect();
    ASSERT_NE(nullptr, member);
    DKV_ASSERT_OK(member->Create(root_ + "/member", "", NodeMode::kEphemeral));
    // A pending watch of the destroyed coordinator must never run.
    DKV_ASSERT_OK(member->Get(root_, [fired] { (*fired)++; }));
  }
  // zookeeper_close deletes ephemerals at once, not after the session timeout.
  auto exists = observer->Exists(root_ + "/member");
  DKV_ASSERT_OK(exists);
  EXPECT_FALSE(*exists);
  DKV_ASSERT_OK(observer->Set(root_, "changed"));
  EXPECT_EQ(0, fired->load());
}

TEST_F(CoordinatorItest, ConnectFailsWithinTimeoutNamingTheConnectString) {
  ZooKeeperOptions options;
  options.connect_string = "127.0.0.1:" + std::to_string(test::PickFreePort());
  options.connect_timeout = milliseconds(2000);
  auto start = std::chrono::steady_clock::now();
  auto c = ConnectZooKeeper(options);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsUnavailable()) << c.status().ToString();
  EXPECT_NE(std::string::npos, c.status().message().find(options.connect_string))
      << c.status().ToString();
  EXPECT_LT(took, milliseconds(3000));
}

TEST_F(CoordinatorItest, SessionExpiryDeliversExpiredAndWorksInANewSession) {
  auto c = Connect(milliseconds(2000));
  auto observer = Connect();
  ASSERT_NE(nullptr, c);
  ASSERT_NE(nullptr, observer);
  DKV_ASSERT_OK(c->CreateAll(root_));
  DKV_ASSERT_OK(c->Create(root_ + "/eph", "", NodeMode::kEphemeral));
  std::atomic<int> old_watch_fired{0};
  DKV_ASSERT_OK(c->Get(root_, [&] { old_watch_fired++; }));
  test::SessionEventLog log;
  c->SetSessionListener(log.Make());
  int64_t old_session = c->session_id();

  DKV_ASSERT_OK(c->ExpireSessionForTests());
  DKV_ASSERT_OK(WaitFor([&] { return log.Saw(SessionEvent::kExpired); }, milliseconds(10000),
                        milliseconds(10), "kExpired"));
  EXPECT_NE(old_session, c->session_id());
  // The old session's ephemeral is gone, its watch never fires, and the new session works.
  EXPECT_FALSE(*observer->Exists(root_ + "/eph"));
  DKV_ASSERT_OK(c->Create(root_ + "/eph", "", NodeMode::kEphemeral));
  DKV_ASSERT_OK(c->Set(root_, "changed"));
  std::atomic<bool> new_watch_fired{false};
  DKV_ASSERT_OK(c->Get(root_, [&] { new_watch_fired = true; }));
  DKV_ASSERT_OK(observer->Set(root_, "again"));
  DKV_ASSERT_OK(WaitFor([&] { return new_watch_fired.load(); }, milliseconds(5000)));
  EXPECT_EQ(0, old_watch_fired);
  // The watch ran after every session event queued before it, so the log is complete: kExpired
  // comes last; the new session's own first connection is not reported. (Before it, the
  // test's second handle on the session makes the client lose and regain its connection, so
  // kSuspended/kConnected pairs may precede it.)
  std::vector<SessionEvent> events = log.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(SessionEvent::kExpired, events.back());
  EXPECT_EQ(1, std::count(events.begin(), events.end(), SessionEvent::kExpired));
}

TEST_F(CoordinatorItest, ConnectionLossSuspendsAndReconnectResumesTheSession) {
  auto c = Connect(milliseconds(10000));
  ASSERT_NE(nullptr, c);
  DKV_ASSERT_OK(c->CreateAll(root_));
  DKV_ASSERT_OK(c->Create(root_ + "/eph", "", NodeMode::kEphemeral));
  test::SessionEventLog log;
  c->SetSessionListener(log.Make());
  int64_t session = c->session_id();

  DKV_ASSERT_OK(zk_->Stop());
  DKV_ASSERT_OK(WaitFor([&] { return log.Saw(SessionEvent::kSuspended); }, milliseconds(5000),
                        milliseconds(10), "kSuspended"));
  // While suspended, calls fail fast.
  auto start = std::chrono::steady_clock::now();
  Status s = c->Get(root_ + "/eph").status();
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));

  DKV_ASSERT_OK(zk_->Restart());
  DKV_ASSERT_OK(WaitFor([&] { return log.Saw(SessionEvent::kConnected); }, milliseconds(10000),
                        milliseconds(10), "kConnected"));
  EXPECT_EQ((std::vector<SessionEvent>{SessionEvent::kSuspended, SessionEvent::kConnected}),
            log.events());
  EXPECT_EQ(session, c->session_id());
  DKV_EXPECT_OK(c->Get(root_ + "/eph"));  // same session: its ephemeral survived
}

}  // namespace
}  // namespace dkv::coord
