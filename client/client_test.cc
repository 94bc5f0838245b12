// The Client (through Client::Impl::Create) over a MemoryCoordinator and FakeCluster servers: the
// calls, registration in clients/, and the retry rules of RetryingCaller within the deadline.
#include "dkv/client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "client/client_impl.h"
#include "client/fake_cluster.h"
#include "common/coord/memory_coordinator.h"
#include "common/metadata.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::client {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kMasterPath[] = "/dkv/default/master";

class ClientTest : public ::testing::Test {
 protected:
  ClientTest()
      : tree_(std::make_shared<coord::MemoryTree>()),
        server_(std::make_unique<coord::MemoryCoordinator>(tree_)),
        cluster_(std::make_shared<FakeCluster>()) {
    EXPECT_TRUE(server_->CreateAll("/dkv/default").ok());
  }

  std::unique_ptr<Client> NewClient(milliseconds timeout = milliseconds(2000), int32_t db = 0) {
    coordinator_ = std::make_shared<coord::MemoryCoordinator>(tree_);
    ClientOptions options;
    options.timeout = timeout;
    options.db = db;
    auto client = Client::Impl::Create(options, coordinator_, cluster_->Factory(),
                                       RetryBackoff{milliseconds(5), milliseconds(20)});
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return std::move(client).value();
  }

  // Elects `address`: the fake servers and the master znode agree on it.
  void ElectMaster(const std::string& address, Limits limits = Limits{}) {
    cluster_->SetMaster(address);
    const std::string bytes = rpc::EncodeMaster(MasterInfo{"srv-1", address, 1, limits});
    Status s = server_->Create(kMasterPath, bytes, coord::NodeMode::kEphemeral);
    if (s.IsAlreadyExists()) s = server_->Set(kMasterPath, bytes).status();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<std::string> Clients() {
    auto children = server_->GetChildren("/dkv/default/clients");
    return children.ok() ? *children : std::vector<std::string>();
  }

  std::shared_ptr<coord::MemoryTree> tree_;
  std::unique_ptr<coord::MemoryCoordinator> server_;
  std::shared_ptr<FakeCluster> cluster_;
  std::shared_ptr<coord::MemoryCoordinator> coordinator_;  // the client's session
};

TEST_F(ClientTest, SetGetRemoveReachTheMaster) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  ASSERT_TRUE(client->Set("k", std::string("v\0w\n", 4)).ok());
  auto got = client->Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(**got, std::string("v\0w\n", 4));
  EXPECT_EQ(*client->Remove("k"), true);
  EXPECT_EQ(*client->Remove("k"), false);
  got = client->Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(ClientTest, OversizedKeyOrValueFailsUnderThePublishedLimitsWithoutBeingSent) {
  ElectMaster("127.0.0.1:7001", Limits{4, 8});
  auto client = NewClient();
  EXPECT_EQ(client->Set("k", "123456789").code(), Status::Code::kValueTooLarge);
  EXPECT_EQ(client->Set("12345", "v").code(), Status::Code::kKeyTooLarge);
  EXPECT_EQ(client->Get("12345").status().code(), Status::Code::kKeyTooLarge);
  EXPECT_EQ(client->Remove("12345").status().code(), Status::Code::kKeyTooLarge);
  client->UnsafeSet("k", "123456789");
  EXPECT_FALSE(cluster_->Peek("k").has_value());
  ASSERT_TRUE(client->Set("k", "12345678").ok());
  EXPECT_EQ(cluster_->Peek("k"), "12345678");
}

TEST_F(ClientTest, RegistersInClientsWhileItLives) {
  auto client = NewClient();
  auto members = Clients();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].rfind("cli-", 0), 0u) << members[0];
  auto second = NewClient();
  EXPECT_EQ(Clients().size(), 2u);
  second.reset();
  coordinator_.reset();  // the test's reference: now the session closes
  EXPECT_EQ(Clients().size(), 1u);
}

TEST_F(ClientTest, RegistersAgainAfterSessionExpiry) {
  auto client = NewClient();
  ASSERT_EQ(Clients().size(), 1u);
  coordinator_->ExpireSessionForTests();
  coordinator_->FlushForTests();
  EXPECT_EQ(Clients().size(), 1u);
}

TEST_F(ClientTest, FollowsNotMasterToTheNamedMaster) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  ASSERT_TRUE(client->Set("a", "1").ok());
  // 7001 steps down; ZooKeeper still names it, but it names 7002, which the client follows.
  cluster_->SetMaster("127.0.0.1:7002");
  ASSERT_TRUE(client->Set("b", "2").ok());
  EXPECT_EQ(cluster_->Peek("b"), "2");
}

TEST_F(ClientTest, NotMasterWithoutHintRereadsZooKeeper) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetHints(false);
  auto client = NewClient();
  ASSERT_TRUE(client->Set("a", "1").ok());
  cluster_->SetMaster("127.0.0.1:7002");
  std::thread elect([&] {
    std::this_thread::sleep_for(milliseconds(50));
    ElectMaster("127.0.0.1:7002");
  });
  Status s = client->Set("b", "2");
  elect.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(ClientTest, WaitsForAMasterToBeElected) {
  auto client = NewClient();
  std::thread elect([&] {
    std::this_thread::sleep_for(milliseconds(100));
    ElectMaster("127.0.0.1:7001");
  });
  Status s = client->Set("k", "v");
  elect.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(ClientTest, FollowsANewMasterAfterTheOldOneDies) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  ASSERT_TRUE(client->Set("a", "1").ok());
  cluster_->SetDown("127.0.0.1:7001", true);
  std::thread elect([&] {
    std::this_thread::sleep_for(milliseconds(100));
    ElectMaster("127.0.0.1:7002");
  });
  Status s = client->Set("b", "2");
  elect.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(cluster_->Peek("b"), "2");
}

TEST_F(ClientTest, GivesUpAtTheDeadlineWithUnavailableNamingClusterAndZooKeeper) {
  auto client = NewClient(milliseconds(150));
  const auto start = Clock::now();
  Status s = client->Set("k", "v");
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("cluster 'default'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("127.0.0.1:2181"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("150 ms"), std::string::npos) << s.message();
  EXPECT_GE(elapsed, milliseconds(150));
  EXPECT_LT(elapsed, milliseconds(500));
}

TEST_F(ClientTest, PerCallTimeoutOverridesTheDefault) {
  auto client = NewClient(milliseconds(5000));
  const auto start = Clock::now();
  EXPECT_TRUE(client->Get("k", milliseconds(50)).status().IsUnavailable());
  EXPECT_LT(Clock::now() - start, milliseconds(400));
}

TEST_F(ClientTest, MasterThatStaysDownIsUnavailableAtTheDeadline) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetDown("127.0.0.1:7001", true);
  auto client = NewClient(milliseconds(100));
  Result<bool> removed = client->Remove("k");
  ASSERT_TRUE(removed.status().IsUnavailable());
  EXPECT_NE(removed.status().message().find("127.0.0.1:7001"), std::string::npos)
      << removed.status().message();
  EXPECT_GT(cluster_->calls(), 1);  // it retried
}

TEST_F(ClientTest, OtherErrorsReturnAtOnceWithoutRetrying) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  cluster_->FailCalls(Status::KeyTooLarge("key of 70000 bytes, limit 65536"));
  Status s = client->Set("k", "v");
  EXPECT_EQ(s.code(), Status::Code::kKeyTooLarge) << s.ToString();
  EXPECT_EQ(cluster_->calls(), 1);
  cluster_->FailCalls(Status::NoDataNodes("no data node owns slot 3"));
  EXPECT_TRUE(client->Get("k").status().IsNoDataNodes());
  EXPECT_EQ(cluster_->calls(), 2);
}

TEST_F(ClientTest, UnsafeSetMakesOneAttemptAndReturnsAtOnce) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  client->UnsafeSet("k", "v");
  EXPECT_EQ(cluster_->Peek("k"), "v");
  cluster_->SetDown("127.0.0.1:7001", true);
  const auto start = Clock::now();
  client->UnsafeSet("k", "w");  // lost, silently
  EXPECT_LT(Clock::now() - start, milliseconds(100));
  EXPECT_EQ(cluster_->unsafe_puts(), 2);
  EXPECT_EQ(cluster_->Peek("k"), "v");
}

TEST_F(ClientTest, GetStatusComesFromTheMaster) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  auto status = client->GetStatus();
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  ASSERT_TRUE(status->master.has_value());
  EXPECT_EQ(status->master->address, "127.0.0.1:7001");
}

TEST_F(ClientTest, DrainAndRebalanceFollowNotMasterToTheMaster) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  auto slots = client->DrainDataNode("d1");
  ASSERT_TRUE(slots.ok()) << slots.status().ToString();
  EXPECT_EQ(*slots, 16);
  auto moves = client->Rebalance();
  ASSERT_TRUE(moves.ok()) << moves.status().ToString();
  EXPECT_EQ(*moves, 0);
}

TEST_F(ClientTest, DrainOfAnUnknownDataNodeIsNotFoundAtOnce) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  const int before = cluster_->calls();
  EXPECT_TRUE(client->DrainDataNode("nope").status().IsNotFound());
  EXPECT_EQ(cluster_->calls() - before, 1);  // not retried
}

TEST_F(ClientTest, ManyThreadsShareOneClient) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = std::to_string(t) + "/" + std::to_string(i);
        Status set = client->Set(key, key);
        auto got = client->Get(key);
        if (set.ok() && got.ok() && *got == key) ++ok;
        if (i == 25 && t == 0) cluster_->SetMaster("127.0.0.1:7002");  // a failover mid-run
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 400);
}

// ---- Keyspace operations: the ops sent through Dkv.execute and how replies come back ----

int64_t NowUnixMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(ClientTest, SetWithOptionsSendsConditionAndAbsoluteExpiryInTheClientsDb) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler([](const Op&) { return Reply::Ok(); });
  auto client = NewClient(milliseconds(2000), 3);
  SetOptions options;
  options.condition = SetOptions::Condition::kIfAbsent;
  options.ttl = milliseconds(60000);
  const int64_t before = NowUnixMs();
  auto stored = client->Set("k", "v", options);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_TRUE(*stored);
  const std::vector<Op> ops = cluster_->executed_ops();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].code, OpCode::kSet);
  EXPECT_EQ(ops[0].db, 3);
  EXPECT_EQ(ops[0].key, "k");
  EXPECT_EQ(ops[0].value, "v");
  EXPECT_EQ(ops[0].flags, kNx);
  EXPECT_GE(ops[0].expire_at_ms, before + 60000);
  EXPECT_LE(ops[0].expire_at_ms, NowUnixMs() + 60000);

  options = SetOptions();
  options.condition = SetOptions::Condition::kIfPresent;
  options.keep_ttl = true;
  ASSERT_TRUE(client->Set("k", "w", options).ok());
  EXPECT_EQ(cluster_->executed_ops().back().flags, kXx | kKeepTtl);
  EXPECT_EQ(cluster_->executed_ops().back().expire_at_ms, 0);
}

TEST_F(ClientTest, SetRefusedByItsConditionIsFalse) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler([](const Op&) { return Reply::Nil(); });
  auto client = NewClient();
  SetOptions options;
  options.condition = SetOptions::Condition::kIfPresent;
  auto stored = client->Set("k", "v", options);
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(*stored);
}

TEST_F(ClientTest, BadSetOptionsFailWithoutBeingSent) {
  ElectMaster("127.0.0.1:7001");
  auto client = NewClient();
  SetOptions options;
  options.ttl = milliseconds(0);
  EXPECT_EQ(client->Set("k", "v", options).status().code(), Status::Code::kInvalidArgument);
  options.ttl = milliseconds(10);
  options.keep_ttl = true;
  EXPECT_EQ(client->Set("k", "v", options).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(cluster_->executed_ops().empty());
}

TEST_F(ClientTest, TtlTellsAbsentKeyNoExpiryAndTimeLeftApart) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler([](const Op& op) {
    EXPECT_EQ(op.code, OpCode::kPTtl);
    return Reply::Integer(op.key == "gone" ? -2 : op.key == "forever" ? -1 : 1500);
  });
  auto client = NewClient();
  auto gone = client->Ttl("gone");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->exists);
  EXPECT_FALSE(gone->remaining.has_value());
  auto forever = client->Ttl("forever");
  ASSERT_TRUE(forever.ok());
  EXPECT_TRUE(forever->exists);
  EXPECT_FALSE(forever->remaining.has_value());
  auto soon = client->Ttl("soon");
  ASSERT_TRUE(soon.ok());
  EXPECT_TRUE(soon->exists);
  EXPECT_EQ(soon->remaining, milliseconds(1500));
}

TEST_F(ClientTest, ExpireAndPersistReportWhetherTheyApplied) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler([](const Op& op) { return Reply::Integer(op.key == "k" ? 1 : 0); });
  auto client = NewClient();
  const int64_t before = NowUnixMs();
  EXPECT_EQ(*client->Expire("k", milliseconds(5000)), true);
  EXPECT_EQ(cluster_->executed_ops().back().code, OpCode::kExpire);
  EXPECT_GE(cluster_->executed_ops().back().expire_at_ms, before + 5000);
  EXPECT_EQ(*client->Expire("other", milliseconds(5000)), false);
  // A ttl <= 0 sends a time already past, which deletes the key.
  EXPECT_EQ(*client->Expire("k", milliseconds(0)), true);
  EXPECT_LT(cluster_->executed_ops().back().expire_at_ms, NowUnixMs());
  EXPECT_EQ(*client->Persist("k"), true);
  EXPECT_EQ(cluster_->executed_ops().back().code, OpCode::kPersist);
  EXPECT_EQ(*client->Persist("other"), false);
}

TEST_F(ClientTest, ATtlBeyondTheLastRepresentableTimeIsInvalidArgument) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler([](const Op&) { return Reply::Integer(1); });
  auto client = NewClient();
  EXPECT_EQ(client->Expire("k", milliseconds::max()).status().code(),
            Status::Code::kInvalidArgument);
  SetOptions options;
  options.ttl = milliseconds::max();
  EXPECT_EQ(client->Set("k", "v", options).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(cluster_->executed_ops().empty());
}

TEST_F(ClientTest, IncrByReturnsTheNewValueAndANonIntegerIsInvalidArgument) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler([](const Op& op) {
    if (op.key == "text") return Reply::Error("ERR value is not an integer or out of range");
    return Reply::Integer(40 + op.arg1);
  });
  auto client = NewClient();
  EXPECT_EQ(*client->IncrBy("n", 2), 42);
  EXPECT_EQ(cluster_->executed_ops().back().code, OpCode::kIncrBy);
  auto bad = client->IncrBy("text", 1);
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "incrby 'text': value is not an integer or out of range");
}

TEST_F(ClientTest, AppendReturnsTheNewLength) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler(
      [](const Op& op) { return Reply::Integer(static_cast<int64_t>(op.value.size()) + 3); });
  auto client = NewClient();
  EXPECT_EQ(*client->Append("k", "ab"), 5);
  EXPECT_EQ(cluster_->executed_ops().back().code, OpCode::kAppend);
}

TEST_F(ClientTest, MGetAndMSetAreOneCallAnsweredInOrder) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler([](const Op& op) {
    if (op.code == OpCode::kSet) return Reply::Ok();
    return op.key == "b" ? Reply::Nil() : Reply::Bulk(op.key + "!");
  });
  auto client = NewClient();
  ASSERT_TRUE(client->MSet({{"a", "1"}, {"b", "2"}}).ok());
  const int calls = cluster_->calls();
  auto values = client->MGet({"a", "b", "c"});
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  EXPECT_EQ(cluster_->calls(), calls + 1);
  EXPECT_EQ(*values, (std::vector<std::optional<std::string>>{"a!", std::nullopt, "c!"}));
  EXPECT_TRUE(client->MGet({})->empty());
}

TEST_F(ClientTest, OpTheMasterDidNotExecuteIsRetriedWhenUnavailable) {
  ElectMaster("127.0.0.1:7001");
  std::atomic<int> attempts{0};
  cluster_->SetOpHandler([&](const Op&) {
    return ++attempts == 1 ? Reply::Failed(Status::Unavailable("data node down")) : Reply::Ok();
  });
  auto client = NewClient();
  auto stored = client->Set("k", "v", SetOptions());
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(attempts.load(), 2);
  // Other codes come back at once.
  cluster_->SetOpHandler([](const Op&) { return Reply::Failed(Status::NoDataNodes("none")); });
  EXPECT_TRUE(client->Set("k", "v", SetOptions()).status().IsNoDataNodes());
}

TEST_F(ClientTest, ScanWalksEverySlotOnceAndEndsWithCursorZero) {
  ElectMaster("127.0.0.1:7001");  // FakeCluster's status reports 16 slots
  cluster_->SetOpHandler([](const Op& op) {
    EXPECT_EQ(op.code, OpCode::kScan);
    EXPECT_EQ(op.value, "k*");
    return Reply::Array({"k" + std::to_string(op.arg1)});
  });
  auto client = NewClient();
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int pages = 0;
  do {
    auto page = client->Scan(cursor, ScanOptions{"k*", 3});
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const std::string& key : page->keys) EXPECT_TRUE(seen.insert(key).second) << key;
    cursor = page->cursor;
    ++pages;
  } while (cursor != 0 && pages < 100);
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(cursor, 0u);
  EXPECT_GT(pages, 1);
  EXPECT_EQ(client->Scan(16).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(client->Scan(0, ScanOptions{"", 0}).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(ClientTest, GetSetRemoveInAnotherDbGoThroughExecute) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler([](const Op& op) {
    EXPECT_EQ(op.db, 5);
    if (op.code == OpCode::kGet) return Reply::Bulk("v");
    if (op.code == OpCode::kDel) return Reply::Integer(1);
    return Reply::Ok();
  });
  auto client = NewClient(milliseconds(2000), 5);
  ASSERT_TRUE(client->Set("k", "v").ok());
  EXPECT_EQ(**client->Get("k"), "v");
  EXPECT_EQ(*client->Remove("k"), true);
  EXPECT_EQ(cluster_->executed_ops().size(), 3u);
  EXPECT_EQ(cluster_->Peek("k"), std::nullopt);  // the db-0 RPCs were not used
}

// ---- Asynchronous calls ----

// A key-value store behind Dkv.execute (SET, GET, DEL), for the asynchronous calls, which the
// client sends through Execute.
std::function<Reply(const Op&)> StoreHandler(
    std::shared_ptr<std::map<std::string, std::string>> data) {
  return [data](const Op& op) {
    switch (op.code) {
      case OpCode::kSet:
        (*data)[op.key] = op.value;
        return Reply::Ok();
      case OpCode::kGet: {
        auto it = data->find(op.key);
        return it == data->end() ? Reply::Nil() : Reply::Bulk(it->second);
      }
      default:
        return Reply::Integer(static_cast<int64_t>(data->erase(op.key)));
    }
  };
}

TEST_F(ClientTest, AsyncCallsAnswerWhatTheSynchronousOnesWould) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler(StoreHandler(std::make_shared<std::map<std::string, std::string>>()));
  auto client = NewClient();
  std::vector<Status> sets;
  Result<std::optional<std::string>> hit = Status::Internal("not called");
  Result<std::optional<std::string>> miss = Status::Internal("not called");
  Result<bool> removed = Status::Internal("not called");
  Result<bool> removed_again = Status::Internal("not called");
  Result<std::vector<std::optional<std::string>>> values = Status::Internal("not called");
  client->SetAsync("a", "1", [&](Status s) { sets.push_back(s); });
  client->MSetAsync({{"b", "2"}, {"c", "3"}}, [&](Status s) { sets.push_back(s); });
  client->GetAsync("a", [&](auto r) { hit = std::move(r); });
  client->GetAsync("zz", [&](auto r) { miss = std::move(r); });
  client->MGetAsync({"b", "zz", "c"}, [&](auto r) { values = std::move(r); });
  client->RemoveAsync("a", [&](auto r) { removed = std::move(r); });
  client->RemoveAsync("a", [&](auto r) { removed_again = std::move(r); });
  client.reset();  // waits for every asynchronous call
  ASSERT_EQ(sets.size(), 2u);
  for (const Status& s : sets) EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(hit.ok()) << hit.status().ToString();
  EXPECT_EQ(*hit, "1");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  EXPECT_EQ(*values, (std::vector<std::optional<std::string>>{"2", std::nullopt, "3"}));
  EXPECT_EQ(removed.value(), true);
  EXPECT_EQ(removed_again.value(), false);
}

TEST_F(ClientTest, AsyncCallsOnOneKeyExecuteInTheOrderTheyWereMade) {
  ElectMaster("127.0.0.1:7001");
  cluster_->SetOpHandler(StoreHandler(std::make_shared<std::map<std::string, std::string>>()));
  auto client = NewClient();
  std::vector<int> done_order;
  for (int i = 0; i < 300; ++i) {
    client->SetAsync("k", std::to_string(i), [&done_order, i](Status s) {
      EXPECT_TRUE(s.ok());
      done_order.push_back(i);
    });
  }
  Result<std::optional<std::string>> last = Status::Internal("not called");
  client->GetAsync("k", [&](auto r) { last = std::move(r); });
  client.reset();
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(*last, "299");
  ASSERT_EQ(done_order.size(), 300u);
  EXPECT_TRUE(std::is_sorted(done_order.begin(), done_order.end()));
  // Calls made while one was out went in fewer requests than calls.
  EXPECT_LT(cluster_->calls(), 301);
}

TEST_F(ClientTest, AsyncOversizedKeyOrValueFailsInItsCallbackWithoutBeingSent) {
  ElectMaster("127.0.0.1:7001", Limits{4, 8});
  auto client = NewClient();
  Result<std::optional<std::string>> got = Status::Internal("not called");
  Status set, mset;
  std::thread::id test_thread = std::this_thread::get_id(), callback_thread;
  client->GetAsync("12345", [&](auto r) {
    got = std::move(r);
    callback_thread = std::this_thread::get_id();
  });
  client->SetAsync("k", "123456789", [&](Status s) { set = s; });
  client->MSetAsync({{"k", "v"}, {"12345", "v"}}, [&](Status s) { mset = s; });
  client.reset();
  EXPECT_EQ(got.status().code(), Status::Code::kKeyTooLarge);
  EXPECT_EQ(set.code(), Status::Code::kValueTooLarge);
  EXPECT_EQ(mset.code(), Status::Code::kKeyTooLarge);
  EXPECT_NE(callback_thread, test_thread) << "done never runs inside the call";
  EXPECT_TRUE(cluster_->executed_ops().empty());
}

TEST_F(ClientTest, AsyncCallsAreRetriedAsTheSynchronousOnes) {
  ElectMaster("127.0.0.1:7001");
  std::atomic<int> attempts{0};
  cluster_->SetOpHandler([&](const Op&) {
    return ++attempts == 1 ? Reply::Failed(Status::Unavailable("data node down")) : Reply::Ok();
  });
  auto client = NewClient();
  Status retried, not_retried;
  client->SetAsync("k", "v", [&](Status s) { retried = s; });
  client.reset();
  EXPECT_TRUE(retried.ok()) << retried.ToString();
  EXPECT_EQ(attempts.load(), 2);

  // The master dies and another is elected meanwhile: the call follows it.
  client = NewClient();
  cluster_->SetDown("127.0.0.1:7001", true);
  client->SetAsync("k", "v", [&](Status s) { retried = s; });
  ElectMaster("127.0.0.1:7002");
  client.reset();
  EXPECT_TRUE(retried.ok()) << retried.ToString();

  // Other codes come back at once, in the call's own outcome only.
  cluster_->SetOpHandler([](const Op& op) {
    return op.key == "bad" ? Reply::Failed(Status::NoDataNodes("none")) : Reply::Ok();
  });
  client = NewClient();
  cluster_->gate().Hold();
  client->SetAsync("first", "v", [&](Status) {});
  ASSERT_TRUE(cluster_->gate().WaitForPassed(1));
  client->SetAsync("bad", "v", [&](Status s) { not_retried = s; });
  client->SetAsync("good", "v", [&](Status s) { retried = s; });
  cluster_->gate().Release();
  client.reset();
  EXPECT_TRUE(not_retried.IsNoDataNodes()) << not_retried.ToString();
  EXPECT_TRUE(retried.ok()) << retried.ToString();
}

TEST_F(ClientTest, AsyncCallWithoutAMasterIsUnavailableAtItsDeadline) {
  auto client = NewClient(milliseconds(100));
  Result<std::optional<std::string>> got = Status::Internal("not called");
  const auto start = Clock::now();
  client->GetAsync("k", [&](auto r) { got = std::move(r); });
  client.reset();
  EXPECT_TRUE(got.status().IsUnavailable()) << got.status().ToString();
  EXPECT_GE(Clock::now() - start, milliseconds(100));
}

TEST(ClientConnectTest, BadOptionsAreInvalidArgument) {
  ClientOptions options;
  options.timeout = milliseconds(0);
  EXPECT_EQ(Client::Connect(options).status().code(), Status::Code::kInvalidArgument);
  options = ClientOptions();
  options.cluster = "a/b";
  EXPECT_EQ(Client::Connect(options).status().code(), Status::Code::kInvalidArgument);
  for (int32_t db : {-1, 16}) {
    options = ClientOptions();
    options.db = db;
    EXPECT_EQ(Client::Connect(options).status().code(), Status::Code::kInvalidArgument);
  }
}

TEST(ClientConnectTest, UnreachableZooKeeperFailsWithinTheTimeoutNamingIt) {
  ClientOptions options;
  options.zookeeper = "127.0.0.1:1";
  options.timeout = milliseconds(300);
  const auto start = Clock::now();
  auto client = Client::Connect(options);
  ASSERT_TRUE(client.status().IsUnavailable()) << client.status().ToString();
  EXPECT_NE(client.status().message().find("127.0.0.1:1"), std::string::npos);
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
}

}  // namespace
}  // namespace dkv::client
