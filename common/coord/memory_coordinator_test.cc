// MemoryCoordinator behaves as ZooKeeperCoordinator does (tests/coordinator_itest.cc checks the
// same behaviours against a real ZooKeeper).
#include "common/coord/memory_coordinator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "tests/harness/session_event_log.h"

namespace dkv::coord {
namespace {

// Counts watch firings; thread-safe.
class Counter {
 public:
  Watch Make() {
    return [this] { count_.fetch_add(1); };
  }
  int count() const { return count_.load(); }

 private:
  std::atomic<int> count_{0};
};

TEST(MemoryCoordinatorTest, CreateGetSetDeleteWithVersions) {
  MemoryCoordinator c;
  ASSERT_TRUE(c.Create("/a", "one", NodeMode::kPersistent).ok());
  auto got = c.Get("/a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ("one", got->data);
  EXPECT_EQ(0, got->version);

  auto v = c.Set("/a", "two", 0);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(1, *v);
  EXPECT_TRUE(c.Set("/a", "three", 0).status().IsVersionMismatch());
  EXPECT_EQ("two", c.Get("/a")->data);
  EXPECT_EQ(2, *c.Set("/a", "any", -1));

  EXPECT_TRUE(c.Delete("/a", 1).IsVersionMismatch());
  EXPECT_TRUE(c.Delete("/a", 2).ok());
  EXPECT_TRUE(c.Get("/a").status().IsNotFound());
  EXPECT_FALSE(*c.Exists("/a"));
}

TEST(MemoryCoordinatorTest, ReportsZooKeeperErrors) {
  MemoryCoordinator c;
  ASSERT_TRUE(c.Create("/a", "", NodeMode::kPersistent).ok());
  EXPECT_TRUE(c.Create("/a", "", NodeMode::kPersistent).IsAlreadyExists());
  EXPECT_TRUE(c.Create("/missing/child", "", NodeMode::kPersistent).IsNotFound());
  EXPECT_TRUE(c.Set("/missing", "").status().IsNotFound());
  EXPECT_TRUE(c.Delete("/missing").IsNotFound());
  EXPECT_TRUE(c.GetChildren("/missing").status().IsNotFound());
  EXPECT_EQ(Status::Code::kInvalidArgument, c.Create("a", "", NodeMode::kPersistent).code());
  EXPECT_EQ(Status::Code::kInvalidArgument, c.Get("/a/").status().code());
  ASSERT_TRUE(c.Create("/a/b", "", NodeMode::kPersistent).ok());
  EXPECT_EQ(Status::Code::kInternal, c.Delete("/a").code());  // not empty
  ASSERT_TRUE(c.Create("/e", "", NodeMode::kEphemeral).ok());
  EXPECT_EQ(Status::Code::kInternal, c.Create("/e/x", "", NodeMode::kPersistent).code());
  EXPECT_EQ(Status::Code::kInvalidArgument,
            c.Create("/big", std::string(2 << 20, 'x'), NodeMode::kPersistent).code());
}

TEST(MemoryCoordinatorTest, CreateAllCreatesMissingAncestorsAndToleratesExisting) {
  MemoryCoordinator c;
  ASSERT_TRUE(c.CreateAll("/dkv/default/servers").ok());
  ASSERT_TRUE(c.CreateAll("/dkv/default/servers").ok());
  ASSERT_TRUE(c.CreateAll("/dkv/default/data").ok());
  EXPECT_EQ((std::vector<std::string>{"data", "servers"}), *c.GetChildren("/dkv/default"));
}

TEST(MemoryCoordinatorTest, SequentialNamesUseTenDigitsAndSortInCreationOrder) {
  MemoryCoordinator c;
  ASSERT_TRUE(c.CreateAll("/s").ok());
  std::string first, second, third;
  ASSERT_TRUE(c.Create("/s/n-", "", NodeMode::kEphemeralSequential, &first).ok());
  ASSERT_TRUE(c.Create("/s/n-", "", NodeMode::kEphemeralSequential, &second).ok());
  ASSERT_TRUE(c.Delete(second).ok());  // deletions advance the counter too, as in ZooKeeper
  ASSERT_TRUE(c.Create("/s/n-", "", NodeMode::kEphemeralSequential, &third).ok());
  EXPECT_EQ("/s/n-0000000000", first);
  EXPECT_EQ("/s/n-0000000001", second);
  EXPECT_EQ("/s/n-0000000003", third);
  EXPECT_EQ((std::vector<std::string>{"n-0000000000", "n-0000000003"}), *c.GetChildren("/s"));
}

TEST(MemoryCoordinatorTest, DataWatchFiresOnceOnChange) {
  MemoryCoordinator c;
  ASSERT_TRUE(c.Create("/a", "x", NodeMode::kPersistent).ok());
  Counter fired;
  ASSERT_TRUE(c.Get("/a", fired.Make()).ok());
  ASSERT_TRUE(c.Set("/a", "y").ok());
  ASSERT_TRUE(c.Set("/a", "z").ok());
  c.FlushForTests();
  EXPECT_EQ(1, fired.count());
}

TEST(MemoryCoordinatorTest, DataWatchFiresOnDelete) {
  MemoryCoordinator c;
  ASSERT_TRUE(c.Create("/a", "x", NodeMode::kPersistent).ok());
  Counter fired;
  ASSERT_TRUE(c.Get("/a", fired.Make()).ok());
  ASSERT_TRUE(c.Delete("/a").ok());
  c.FlushForTests();
  EXPECT_EQ(1, fired.count());
}

TEST(MemoryCoordinatorTest, ExistsWatchFiresOnCreation) {
  MemoryCoordinator c;
  Counter fired;
  ASSERT_FALSE(*c.Exists("/a", fired.Make()));
  ASSERT_TRUE(c.Create("/a", "", NodeMode::kPersistent).ok());
  c.FlushForTests();
  EXPECT_EQ(1, fired.count());
}

TEST(MemoryCoordinatorTest, GetOfMissingNodeSetsNoWatch) {
  MemoryCoordinator c;
  Counter fired;
  EXPECT_TRUE(c.Get("/a", fired.Make()).status().IsNotFound());
  ASSERT_TRUE(c.Create("/a", "", NodeMode::kPersistent).ok());
  c.FlushForTests();
  EXPECT_EQ(0, fired.count());
}

TEST(MemoryCoordinatorTest, ChildWatchFiresOnceOnChildrenChange) {
  MemoryCoordinator c;
  ASSERT_TRUE(c.CreateAll("/p").ok());
  Counter fired;
  ASSERT_TRUE(c.GetChildren("/p", fired.Make()).ok());
  ASSERT_TRUE(c.Set("/p", "data changes do not count").ok());
  c.FlushForTests();
  EXPECT_EQ(0, fired.count());
  ASSERT_TRUE(c.Create("/p/a", "", NodeMode::kPersistent).ok());
  ASSERT_TRUE(c.Create("/p/b", "", NodeMode::kPersistent).ok());
  c.FlushForTests();
  EXPECT_EQ(1, fired.count());
}

TEST(MemoryCoordinatorTest, WatchRunsOnTheEventThreadAndMayCallBack) {
  MemoryCoordinator c;
  ASSERT_TRUE(c.Create("/a", "x", NodeMode::kPersistent).ok());
  std::atomic<bool> on_other_thread{false};
  std::atomic<bool> reread{false};
  std::thread::id test_thread = std::this_thread::get_id();
  ASSERT_TRUE(c.Get("/a", [&] {
                 on_other_thread = std::this_thread::get_id() != test_thread;
                 reread = c.Get("/a").ok();  // re-entering the coordinator is allowed
               }).ok());
  ASSERT_TRUE(c.Set("/a", "y").ok());
  c.FlushForTests();
  EXPECT_TRUE(on_other_thread);
  EXPECT_TRUE(reread);
}

TEST(MemoryCoordinatorTest, SessionsSharingATreeSeeEachOther) {
  auto tree = std::make_shared<MemoryTree>();
  MemoryCoordinator a(tree);
  MemoryCoordinator b(tree);
  EXPECT_NE(a.session_id(), b.session_id());
  ASSERT_TRUE(a.Create("/x", "from a", NodeMode::kPersistent).ok());
  EXPECT_EQ("from a", b.Get("/x")->data);
  Counter fired;
  ASSERT_TRUE(b.Get("/x", fired.Make()).ok());
  ASSERT_TRUE(a.Set("/x", "again").ok());
  b.FlushForTests();
  EXPECT_EQ(1, fired.count());
}

TEST(MemoryCoordinatorTest, DestroyingACoordinatorDeletesItsEphemerals) {
  auto tree = std::make_shared<MemoryTree>();
  MemoryCoordinator watcher(tree);
  ASSERT_TRUE(watcher.CreateAll("/members").ok());
  Counter fired;
  {
    MemoryCoordinator member(tree);
    ASSERT_TRUE(member.Create("/members/m", "", NodeMode::kEphemeral).ok());
    ASSERT_TRUE(member.Create("/persistent", "", NodeMode::kPersistent).ok());
    ASSERT_TRUE(watcher.Exists("/members/m", fired.Make()).ok());
  }
  watcher.FlushForTests();
  EXPECT_EQ(1, fired.count());
  EXPECT_FALSE(*watcher.Exists("/members/m"));
  EXPECT_TRUE(*watcher.Exists("/persistent"));
}

TEST(MemoryCoordinatorTest, ExpiryDeletesEphemeralsDropsWatchesThenReportsExpired) {
  auto tree = std::make_shared<MemoryTree>();
  MemoryCoordinator a(tree);
  MemoryCoordinator b(tree);
  ASSERT_TRUE(a.Create("/e", "", NodeMode::kEphemeral).ok());
  ASSERT_TRUE(a.Create("/p", "", NodeMode::kPersistent).ok());
  Counter a_fired, b_fired;
  ASSERT_TRUE(a.Get("/p", a_fired.Make()).ok());
  ASSERT_TRUE(b.Exists("/e", b_fired.Make()).ok());

  // The listener sees the ephemeral gone already and can re-register at once.
  std::atomic<bool> ephemeral_gone_when_notified{false};
  test::SessionEventLog log;
  SessionListener record = log.Make();
  a.SetSessionListener([&](SessionEvent e) {
    ephemeral_gone_when_notified = !*a.Exists("/e");
    record(e);
  });
  int64_t old_session = a.session_id();
  a.ExpireSessionForTests();
  a.FlushForTests();
  b.FlushForTests();
  EXPECT_EQ(std::vector<SessionEvent>{SessionEvent::kExpired}, log.events());
  EXPECT_TRUE(ephemeral_gone_when_notified);
  EXPECT_NE(old_session, a.session_id());
  EXPECT_EQ(1, b_fired.count());

  // The old session's watch never fires; the coordinator works in its new session.
  ASSERT_TRUE(a.Set("/p", "changed").ok());
  a.FlushForTests();
  EXPECT_EQ(0, a_fired.count());
  ASSERT_TRUE(a.Create("/e", "", NodeMode::kEphemeral).ok());
}

TEST(MemoryCoordinatorTest, DisconnectSuspendsCallsAndHoldsWatchesUntilReconnect) {
  auto tree = std::make_shared<MemoryTree>();
  MemoryCoordinator a(tree);
  MemoryCoordinator b(tree);
  test::SessionEventLog log;
  a.SetSessionListener(log.Make());
  ASSERT_TRUE(a.Create("/e", "", NodeMode::kEphemeral).ok());
  Counter fired;
  ASSERT_TRUE(a.Exists("/x", fired.Make()).ok());

  a.DisconnectForTests();
  EXPECT_TRUE(a.Get("/e").status().IsUnavailable());
  ASSERT_TRUE(b.Create("/x", "", NodeMode::kPersistent).ok());
  a.FlushForTests();
  EXPECT_EQ(0, fired.count());
  EXPECT_TRUE(*b.Exists("/e"));  // the session and its ephemeral live on

  a.ReconnectForTests();
  a.FlushForTests();
  EXPECT_EQ(1, fired.count());
  EXPECT_EQ((std::vector<SessionEvent>{SessionEvent::kSuspended, SessionEvent::kConnected}),
            log.events());
  EXPECT_TRUE(a.Get("/e").ok());
}

TEST(MemoryCoordinatorTest, NoCallbackRunsAfterDestruction) {
  auto tree = std::make_shared<MemoryTree>();
  MemoryCoordinator writer(tree);
  ASSERT_TRUE(writer.Create("/a", "", NodeMode::kPersistent).ok());
  auto fired = std::make_shared<std::atomic<int>>(0);
  {
    MemoryCoordinator reader(tree);
    ASSERT_TRUE(reader.Get("/a", [fired] { fired->fetch_add(1); }).ok());
  }
  ASSERT_TRUE(writer.Set("/a", "x").ok());
  writer.FlushForTests();
  EXPECT_EQ(0, fired->load());
}

TEST(MemoryCoordinatorTest, ConcurrentSequentialCreatesGetDistinctNames) {
  auto tree = std::make_shared<MemoryTree>();
  MemoryCoordinator setup(tree);
  ASSERT_TRUE(setup.CreateAll("/q").ok());
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  Mutex mu;
  std::set<std::string> names;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      MemoryCoordinator c(tree);
      for (int i = 0; i < kEach; ++i) {
        std::string name;
        EXPECT_TRUE(c.Create("/q/n-", "", NodeMode::kEphemeralSequential, &name).ok());
        MutexLock lock(&mu);
        names.insert(name);
      }
    });
  }
  for (auto& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(static_cast<size_t>(kThreads * kEach), names.size());
  // Every session ended: all their ephemerals are gone.
  EXPECT_TRUE(setup.GetChildren("/q")->empty());
}

}  // namespace
}  // namespace dkv::coord
