// RpcConnection/RpcPool against a real RpcServer on loopback, serving a tiny DataNode handler.
#include "common/rpc/rpc_connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "common/rpc/rpc_server.h"
#include "gen-cpp/DataNode.h"

namespace dkv::rpc {
namespace {

constexpr int32_t kMaxString = 1024;

// Answers each op of execute with "v:" and its key, and leave() with WRONG_NODE.
class EchoDataNode : public DataNodeNull {
 public:
  void unsafe_put(const Fence&, const std::string&, const std::string&) override { ++unsafe_; }
  void stats(DataNodeStats& stats) override { stats.keys = unsafe_; }
  void execute(std::vector<Reply>& replies, const Fence&, const std::vector<Op>& ops) override {
    replies.assign(ops.size(), Reply());
    for (size_t i = 0; i < ops.size(); ++i) replies[i].__set_str("v:" + ops[i].key);
  }
  void leave() override { throw ToThrift(Status::WrongNode("slot 3 is not mine")); }

  std::atomic<int> unsafe_{0};
};

// An execute of one op on `key`: its reply's text.
std::string Echo(DataNodeClient& c, const std::string& key) {
  std::vector<Op> ops(1);
  ops[0].key = key;
  std::vector<Reply> replies;
  c.execute(replies, Fence(), ops);
  return replies.size() == 1 ? replies[0].str : "";
}

std::unique_ptr<RpcServer> Serve(std::shared_ptr<EchoDataNode> handler, uint16_t port = 0) {
  auto server = RpcServer::Start({"127.0.0.1", port}, std::make_shared<DataNodeProcessor>(handler),
                                 kMaxString);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return std::move(server).value();
}

TEST(RpcConnectionTest, CallsReachTheHandlerAndErrorsComeBackAsStatus) {
  auto handler = std::make_shared<EchoDataNode>();
  auto server = Serve(handler);
  RpcPool<DataNodeClient> pool({"127.0.0.1", server->port()}, RpcOptions{});
  std::string echoed;
  ASSERT_TRUE(pool.Call([&](DataNodeClient& c) { echoed = Echo(c, "k"); }).ok());
  EXPECT_EQ(echoed, "v:k");
  Status s = pool.Call([&](DataNodeClient& c) { c.leave(); });
  EXPECT_TRUE(s.IsWrongNode());
  EXPECT_EQ(s.message(), "slot 3 is not mine");
}

TEST(RpcConnectionTest, ClosedPortIsUnavailableNamingTheAddress) {
  RpcPool<DataNodeClient> pool({"127.0.0.1", 1}, RpcOptions{});
  Status s = pool.Call([&](DataNodeClient& c) { Echo(c, "k"); });
  EXPECT_TRUE(s.IsUnavailable());
  EXPECT_NE(s.message().find("127.0.0.1:1"), std::string::npos) << s.message();
}

TEST(RpcConnectionTest, PoolReconnectsAfterTheServerRestarts) {
  auto handler = std::make_shared<EchoDataNode>();
  auto server = Serve(handler);
  const uint16_t port = server->port();
  RpcPool<DataNodeClient> pool({"127.0.0.1", port}, RpcOptions{});
  std::string echoed;
  ASSERT_TRUE(pool.Call([&](DataNodeClient& c) { echoed = Echo(c, "k"); }).ok());
  server.reset();
  server = Serve(handler, port);
  // The pooled connection was closed by the old server; the pool notices and opens a new one.
  echoed.clear();
  ASSERT_TRUE(pool.Call([&](DataNodeClient& c) { echoed = Echo(c, "k"); }).ok());
  EXPECT_EQ(echoed, "v:k");
}

TEST(RpcConnectionTest, ConcurrentCallersShareThePool) {
  auto handler = std::make_shared<EchoDataNode>();
  auto server = Serve(handler);
  RpcPool<DataNodeClient> pool({"127.0.0.1", server->port()}, RpcOptions{});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        std::string echoed;
        if (pool.Call([&](DataNodeClient& c) { echoed = Echo(c, "k"); }).ok() && echoed == "v:k") {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

TEST(RpcServerTest, OversizedStringClosesTheConnectionAndTheServerKeepsServing) {
  auto handler = std::make_shared<EchoDataNode>();
  auto server = Serve(handler);
  RpcPool<DataNodeClient> pool({"127.0.0.1", server->port()}, RpcOptions{});
  Status s = pool.Call([&](DataNodeClient& c) { Echo(c, std::string(kMaxString + 1, 'k')); });
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  std::string echoed;
  ASSERT_TRUE(pool.Call([&](DataNodeClient& c) { echoed = Echo(c, "k"); }).ok());
  EXPECT_EQ(echoed, "v:k");
}

TEST(RpcServerTest, ExecuteCarriesABatchOfMoreThan65536Ops) {
  // One RESP round or one client MGET can batch this many ops for one node.
  auto handler = std::make_shared<EchoDataNode>();
  auto server = Serve(handler);
  RpcPool<DataNodeClient> pool({"127.0.0.1", server->port()}, RpcOptions{});
  std::vector<Op> ops(100000);
  std::vector<Reply> replies;
  Status s = pool.Call([&](DataNodeClient& c) { c.execute(replies, Fence(), ops); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(replies.size(), ops.size());
}

TEST(RpcServerTest, IdleConnectionIsClosedAndThePoolReconnects) {
  auto handler = std::make_shared<EchoDataNode>();
  auto server = RpcServer::Start({"127.0.0.1", 0}, std::make_shared<DataNodeProcessor>(handler),
                                 kMaxString, std::chrono::milliseconds(100));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  RpcPool<DataNodeClient> pool({"127.0.0.1", (*server)->port()}, RpcOptions{});
  ASSERT_TRUE(pool.Call([&](DataNodeClient& c) { Echo(c, "k"); }).ok());
  // A silent peer holds its server thread only until the idle timeout.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((*server)->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(0, ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)));
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(1, ::poll(&p, 1, 5000)) << "the server did not close an idle connection";
  char byte;
  EXPECT_EQ(0, ::read(fd, &byte, 1));  // EOF: closed by the server
  ::close(fd);
  // The pooled connection was closed the same way; the next call opens a new one.
  ASSERT_TRUE(pool.Call([&](DataNodeClient& c) { Echo(c, "k"); }).ok());
}

TEST(RpcServerTest, StopEndsOpenConnectionsAtOnce) {
  auto handler = std::make_shared<EchoDataNode>();
  auto server = Serve(handler);  // idle timeout: minutes
  RpcConnection<DataNodeClient> idle({"127.0.0.1", server->port()}, RpcOptions{});
  // Served once, so accepted: its server thread now sleeps reading the next request.
  ASSERT_TRUE(idle.Call([&](DataNodeClient& c) { Echo(c, "k"); }).ok());
  auto stopped = std::async(std::launch::async, [&] { server->Stop(); });
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "Stop waited for the idle connection";
  // And the server closed it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!idle.IsBroken() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(idle.IsBroken());
}

TEST(RpcServerTest, BindingAPortInUseFailsWithIoError) {
  auto handler = std::make_shared<EchoDataNode>();
  auto server = Serve(handler);
  auto second = RpcServer::Start({"127.0.0.1", server->port()},
                                 std::make_shared<DataNodeProcessor>(handler), kMaxString);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kIoError);
}

}  // namespace
}  // namespace dkv::rpc
