// FakeCluster: fake dkv-servers for the client's unit tests, reached through MasterStubFactory.
// One server (by address) is the master and keeps a key-value map; the others answer NOT_MASTER
// naming it; addresses marked down answer UNAVAILABLE, as a refused connection does. Tests can also
// make the next calls fail with a chosen Status, and hold Dkv.execute calls in flight (gate()).
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/master_stub.h"
#include "common/mutex.h"
#include "tests/harness/gate.h"

namespace dkv::client {

class FakeCluster : public std::enable_shared_from_this<FakeCluster> {
 public:
  void SetMaster(const std::string& address) {
    MutexLock l(&mu_);
    master_ = address;
  }
  void SetDown(const std::string& address, bool down) {
    MutexLock l(&mu_);
    if (down) {
      down_.insert(address);
    } else {
      down_.erase(address);
    }
  }
  // Standbys name no master in their NOT_MASTER when false.
  void SetHints(bool hints) {
    MutexLock l(&mu_);
    hints_ = hints;
  }
  // The master fails every call with `status` until cleared (OK).
  void FailCalls(Status status) {
    MutexLock l(&mu_);
    fail_ = std::move(status);
  }
  // Dkv.execute on the master answers each op with `handler` and records it. Without one, GET, SET
  // and DEL work on the master's map (as the client's Get, Set and Remove send them) and any other
  // op is answered NIL.
  void SetOpHandler(std::function<Reply(const Op&)> handler) {
    MutexLock l(&mu_);
    op_handler_ = std::move(handler);
  }
  std::vector<Op> executed_ops() {
    MutexLock l(&mu_);
    return executed_ops_;
  }
  // Every Dkv.execute call passes it before it is served.
  test::Gate& gate() { return gate_; }
  int calls() const { return calls_.load(); }
  int unsafe_puts() const { return unsafe_puts_.load(); }
  std::optional<std::string> Peek(const std::string& key) {
    MutexLock l(&mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::nullopt;
    return it->second;
  }

  MasterStubFactory Factory() {
    std::shared_ptr<FakeCluster> self = shared_from_this();
    return [self](const HostPort& address) -> std::unique_ptr<MasterStub> {
      return std::make_unique<Stub>(self, address);
    };
  }

 private:
  class Stub : public MasterStub {
   public:
    Stub(std::shared_ptr<FakeCluster> cluster, HostPort address)
        : cluster_(std::move(cluster)), address_(std::move(address)) {}
    const HostPort& address() const override { return address_; }

    Status UnsafePut(std::string_view key, std::string_view value,
                     std::chrono::milliseconds) override {
      ++cluster_->unsafe_puts_;
      std::string hint;
      return cluster_->Serve(address_, &hint, [&](std::map<std::string, std::string>& data) {
        data[std::string(key)] = std::string(value);
      });
    }
    Status GetStatus(ClusterStatus* status, std::chrono::milliseconds, std::string* hint) override {
      return cluster_->Serve(address_, hint, [&](std::map<std::string, std::string>& data) {
        status->cluster = "fake";
        status->master = ClusterStatus::Master{"srv-1", address_.ToString(), 1};
        status->data_nodes.push_back({"d1", "127.0.0.1:1", 16, static_cast<int64_t>(data.size())});
        status->slot_count = 16;
        status->replication_factor = cluster_->replication_factor_;
      });
    }
    // Data node "d1" owns all 16 slots; any other id is unknown.
    Status Drain(std::string_view id, bool, int32_t* slots_to_move, std::chrono::milliseconds,
                 std::string* hint) override {
      Status found = id == "d1" ? Status::OK() : Status::NotFound("no live data node has that id");
      Status s = cluster_->Serve(address_, hint,
                                 [&](std::map<std::string, std::string>&) { *slots_to_move = 16; });
      return s.ok() ? found : s;
    }
    Status Rebalance(int32_t* slots_to_move, std::chrono::milliseconds,
                     std::string* hint) override {
      return cluster_->Serve(address_, hint,
                             [&](std::map<std::string, std::string>&) { *slots_to_move = 0; });
    }

    // R within 1..16, as the master takes it; one data node ("d1") to make chains of.
    Status SetReplicationFactor(int32_t replication_factor, ReplicationFactorChange* change,
                                std::chrono::milliseconds, std::string* hint) override {
      const bool in_range = replication_factor >= 1 && replication_factor <= 16;
      Status s = cluster_->Serve(address_, hint, [&](std::map<std::string, std::string>&) {
        if (!in_range) return;
        cluster_->replication_factor_ = replication_factor;
        *change = ReplicationFactorChange{replication_factor, 1};
      });
      if (s.ok() && !in_range) return Status::InvalidArgument("replication factor out of range");
      return s;
    }

    Status Execute(const std::vector<Op>& ops, std::vector<Reply>* replies,
                   std::chrono::milliseconds, std::string* hint) override {
      return cluster_->Execute(address_, hint, ops, replies);
    }

   private:
    const std::shared_ptr<FakeCluster> cluster_;
    const HostPort address_;
  };

  template <typename Fn>
  Status Serve(const HostPort& address, std::string* hint, Fn fn) {
    ++calls_;
    MutexLock l(&mu_);
    DKV_RETURN_NOT_OK(Admit(address, hint));
    fn(data_);
    return Status::OK();
  }

  Status Execute(const HostPort& address, std::string* hint, const std::vector<Op>& ops,
                 std::vector<Reply>* replies) {
    ++calls_;
    gate_.Pass();
    MutexLock l(&mu_);
    DKV_RETURN_NOT_OK(Admit(address, hint));
    replies->clear();
    for (const Op& op : ops) {
      executed_ops_.push_back(op);
      replies->push_back(op_handler_ ? op_handler_(op) : OnMap(op));
    }
    return Status::OK();
  }

  Reply OnMap(const Op& op) REQUIRES(mu_) {
    switch (op.code) {
      case OpCode::kGet: {
        auto it = data_.find(op.key);
        return it == data_.end() ? Reply::Nil() : Reply::Bulk(it->second);
      }
      case OpCode::kSet:
        data_[op.key] = op.value;
        return Reply::Ok();
      case OpCode::kDel:
        return Reply::Integer(data_.erase(op.key) > 0 ? 1 : 0);
      default:
        return Reply::Nil();
    }
  }

  // Whether `address` serves a call now: down, a standby (NOT_MASTER), failing, or the master.
  Status Admit(const HostPort& address, std::string* hint) REQUIRES(mu_) {
    const std::string a = address.ToString();
    if (down_.count(a)) return Status::Unavailable("connection to " + a + " failed: refused");
    if (a != master_) {
      *hint = hints_ ? master_ : "";
      return Status::NotMaster(a + " is a standby");
    }
    return fail_;
  }

  std::atomic<int> calls_{0};
  std::atomic<int> unsafe_puts_{0};
  std::atomic<int32_t> replication_factor_{1};
  test::Gate gate_;
  Mutex mu_;
  std::string master_ GUARDED_BY(mu_);
  std::set<std::string> down_ GUARDED_BY(mu_);
  bool hints_ GUARDED_BY(mu_) = true;
  Status fail_ GUARDED_BY(mu_);
  std::map<std::string, std::string> data_ GUARDED_BY(mu_);
  std::function<Reply(const Op&)> op_handler_ GUARDED_BY(mu_);
  std::vector<Op> executed_ops_ GUARDED_BY(mu_);
};

}  // namespace dkv::client
