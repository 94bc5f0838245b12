// dkv::client::Client and Client::Impl: the public API over RetryingCaller, MasterFinder and
// ClientRegistration (see client_impl.h).
#include "dkv/client.h"

#include <utility>

#include "client/client_impl.h"
#include "client/combining_master_stub.h"
#include "common/limits.h"
#include "common/op.h"

namespace dkv::client {
namespace {

// A connect attempt to a master gets at most this long (RpcPool fixes it per pool); the call's own
// deadline bounds every send and receive.
constexpr std::chrono::milliseconds kMaxConnectTimeout{1000};

Status CheckOptions(const ClientOptions& options) {
  if (options.zookeeper.empty()) return Status::InvalidArgument("empty ZooKeeper connect string");
  if (options.cluster.empty() || options.cluster.find('/') != std::string::npos) {
    return Status::InvalidArgument("bad cluster name '" + options.cluster +
                                   "': must be non-empty, without '/'");
  }
  if (options.timeout.count() <= 0) {
    return Status::InvalidArgument("timeout must be positive, not " +
                                   std::to_string(options.timeout.count()) + " ms");
  }
  if (options.db < 0 || options.db >= kDatabases) {
    return Status::InvalidArgument("db " + std::to_string(options.db) + " is out of range 0.." +
                                   std::to_string(kDatabases - 1));
  }
  if (options.session_timeout.count() <= 0) {
    return Status::InvalidArgument("session timeout must be positive, not " +
                                   std::to_string(options.session_timeout.count()) + " ms");
  }
  return Status::OK();
}

}  // namespace

// ---- Client::Impl ----

Client::Impl::Impl(const ClientOptions& options, std::shared_ptr<coord::Coordinator> coordinator,
                   MasterStubFactory stub_factory, RetryBackoff backoff)
    : options_(options),
      coordinator_(std::move(coordinator)),
      finder_(std::make_shared<MasterFinder>(coordinator_.get(), options.cluster)),
      registration_(std::make_shared<ClientRegistration>(coordinator_.get(), options.cluster)),
      caller_(finder_.get(), std::move(stub_factory), options.cluster, options.zookeeper, backoff),
      async_(std::make_unique<AsyncCaller>(
          [this](const std::vector<Op>& ops, std::chrono::milliseconds timeout,
                 std::vector<Reply>* replies) { return SendAsync(ops, timeout, replies); })) {}

Result<std::unique_ptr<Client>> Client::Impl::Create(
    const ClientOptions& options, std::shared_ptr<coord::Coordinator> coordinator,
    MasterStubFactory stub_factory, RetryBackoff backoff) {
  DKV_RETURN_NOT_OK(CheckOptions(options));
  std::unique_ptr<Impl> impl(
      new Impl(options, std::move(coordinator), std::move(stub_factory), backoff));
  std::weak_ptr<MasterFinder> finder = impl->finder_;
  std::weak_ptr<ClientRegistration> registration = impl->registration_;
  impl->coordinator_->SetSessionListener([finder, registration](coord::SessionEvent event) {
    if (event != coord::SessionEvent::kExpired) return;
    // The old session's watches and member node are gone: forget the master (its watch will
    // never fire) and join clients/ again.
    if (auto f = finder.lock()) f->OnSessionExpired();
    if (auto r = registration.lock()) r->OnSessionExpired();
  });
  DKV_RETURN_NOT_OK_PREPEND(impl->registration_->Register(),
                            "cluster '" + options.cluster + "' at ZooKeeper " + options.zookeeper);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Impl::~Impl() {
  async_.reset();
  coordinator_->SetSessionListener(nullptr);
}

std::chrono::milliseconds Client::Impl::Resolve(std::chrono::milliseconds timeout) const {
  return timeout.count() > 0 ? timeout : options_.timeout;
}

Status Client::Impl::CheckSizes(std::string_view key, const std::string_view* value) {
  const Limits limits = finder_->CurrentLimits();
  DKV_RETURN_NOT_OK(CheckKey(key, limits));
  return value ? CheckValue(*value, limits) : Status::OK();
}

void Client::Impl::UnsafeSet(std::string_view key, std::string_view value,
                             std::chrono::milliseconds timeout) {
  // By definition nobody learns whether this worked: the status is dropped on purpose.
  if (!CheckSizes(key, &value).ok()) return;
  // The oneway RPC has no db: in another keyspace this is an ordinary Set whose outcome is
  // dropped, which keeps the promise (no error reported, the write may be lost).
  if (options_.db != 0) {
    (void)Set(key, value, timeout);
    return;
  }
  (void)caller_.RunOnce(Resolve(timeout), [&](MasterStub& m, std::chrono::milliseconds t,
                                              std::string*) { return m.UnsafePut(key, value, t); });
}

Result<ClusterStatus> Client::Impl::GetStatus(std::chrono::milliseconds timeout) {
  ClusterStatus status;
  DKV_RETURN_NOT_OK(caller_.Run("status", Resolve(timeout),
                                [&](MasterStub& m, std::chrono::milliseconds t, std::string* h) {
                                  return m.GetStatus(&status, t, h);
                                }));
  return status;
}

Result<int32_t> Client::Impl::DrainDataNode(std::string_view id, bool leave_when_done,
                                            std::chrono::milliseconds timeout) {
  int32_t slots = 0;
  DKV_RETURN_NOT_OK(caller_.Run("drain", Resolve(timeout),
                                [&](MasterStub& m, std::chrono::milliseconds t, std::string* h) {
                                  return m.Drain(id, leave_when_done, &slots, t, h);
                                }));
  return slots;
}

Result<int32_t> Client::Impl::Rebalance(std::chrono::milliseconds timeout) {
  int32_t slots = 0;
  DKV_RETURN_NOT_OK(caller_.Run("rebalance", Resolve(timeout),
                                [&](MasterStub& m, std::chrono::milliseconds t, std::string* h) {
                                  return m.Rebalance(&slots, t, h);
                                }));
  return slots;
}

Result<ReplicationFactorChange> Client::Impl::SetReplicationFactor(
    int32_t replication_factor, std::chrono::milliseconds timeout) {
  ReplicationFactorChange change;
  DKV_RETURN_NOT_OK(caller_.Run("replicas", Resolve(timeout),
                                [&](MasterStub& m, std::chrono::milliseconds t, std::string* h) {
                                  return m.SetReplicationFactor(replication_factor, &change, t, h);
                                }));
  return change;
}

// ---- Client ----

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  DKV_RETURN_NOT_OK(CheckOptions(options));
  coord::ZooKeeperOptions zk;
  zk.connect_string = options.zookeeper;
  zk.session_timeout = options.session_timeout;
  zk.connect_timeout = options.timeout;
  Result<std::unique_ptr<coord::Coordinator>> coordinator = coord::ConnectZooKeeper(zk);
  if (!coordinator.ok()) {
    const Status& s = coordinator.status();
    // The contract promises the connect string in the message; add it unless it is there.
    if (s.message().find(options.zookeeper) != std::string::npos) return s;
    return s.CloneAndPrepend("ZooKeeper " + options.zookeeper);
  }
  const std::chrono::milliseconds connect_timeout = std::min(options.timeout, kMaxConnectTimeout);
  return Impl::Create(
      options, std::shared_ptr<coord::Coordinator>(std::move(coordinator).value()),
      [connect_timeout](const HostPort& address) {
        return std::make_unique<CombiningMasterStub>(NewRpcMasterStub(address, connect_timeout));
      });
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::optional<std::string>> Client::Get(std::string_view key,
                                               std::chrono::milliseconds timeout) {
  return impl_->Get(key, timeout);
}
Status Client::Set(std::string_view key, std::string_view value,
                   std::chrono::milliseconds timeout) {
  return impl_->Set(key, value, timeout);
}
Result<bool> Client::Remove(std::string_view key, std::chrono::milliseconds timeout) {
  return impl_->Remove(key, timeout);
}
void Client::UnsafeSet(std::string_view key, std::string_view value,
                       std::chrono::milliseconds timeout) {
  impl_->UnsafeSet(key, value, timeout);
}
Result<ClusterStatus> Client::GetStatus(std::chrono::milliseconds timeout) {
  return impl_->GetStatus(timeout);
}
Result<bool> Client::Set(std::string_view key, std::string_view value, const SetOptions& options,
                         std::chrono::milliseconds timeout) {
  return impl_->Set(key, value, options, timeout);
}
Result<KeyTtl> Client::Ttl(std::string_view key, std::chrono::milliseconds timeout) {
  return impl_->Ttl(key, timeout);
}
Result<bool> Client::Expire(std::string_view key, std::chrono::milliseconds ttl,
                            std::chrono::milliseconds timeout) {
  return impl_->Expire(key, ttl, timeout);
}
Result<bool> Client::Persist(std::string_view key, std::chrono::milliseconds timeout) {
  return impl_->Persist(key, timeout);
}
Result<int64_t> Client::IncrBy(std::string_view key, int64_t delta,
                               std::chrono::milliseconds timeout) {
  return impl_->IncrBy(key, delta, timeout);
}
Result<int64_t> Client::Append(std::string_view key, std::string_view value,
                               std::chrono::milliseconds timeout) {
  return impl_->Append(key, value, timeout);
}
Result<std::vector<std::optional<std::string>>> Client::MGet(const std::vector<std::string>& keys,
                                                             std::chrono::milliseconds timeout) {
  return impl_->MGet(keys, timeout);
}
Status Client::MSet(const std::vector<std::pair<std::string, std::string>>& pairs,
                    std::chrono::milliseconds timeout) {
  return impl_->MSet(pairs, timeout);
}
Result<ScanPage> Client::Scan(uint64_t cursor, const ScanOptions& options,
                              std::chrono::milliseconds timeout) {
  return impl_->Scan(cursor, options, timeout);
}

void Client::GetAsync(std::string_view key, Callback<Result<std::optional<std::string>>> done,
                      std::chrono::milliseconds timeout) {
  impl_->GetAsync(key, std::move(done), timeout);
}
void Client::SetAsync(std::string_view key, std::string_view value, Callback<Status> done,
                      std::chrono::milliseconds timeout) {
  impl_->SetAsync(key, value, std::move(done), timeout);
}
void Client::RemoveAsync(std::string_view key, Callback<Result<bool>> done,
                         std::chrono::milliseconds timeout) {
  impl_->RemoveAsync(key, std::move(done), timeout);
}
void Client::MGetAsync(const std::vector<std::string>& keys,
                       Callback<Result<std::vector<std::optional<std::string>>>> done,
                       std::chrono::milliseconds timeout) {
  impl_->MGetAsync(keys, std::move(done), timeout);
}
void Client::MSetAsync(const std::vector<std::pair<std::string, std::string>>& pairs,
                       Callback<Status> done, std::chrono::milliseconds timeout) {
  impl_->MSetAsync(pairs, std::move(done), timeout);
}

Result<int32_t> Client::DrainDataNode(std::string_view id, bool leave_when_done,
                                      std::chrono::milliseconds timeout) {
  return impl_->DrainDataNode(id, leave_when_done, timeout);
}

Result<int32_t> Client::Rebalance(std::chrono::milliseconds timeout) {
  return impl_->Rebalance(timeout);
}

Result<ReplicationFactorChange> Client::SetReplicationFactor(int32_t replication_factor,
                                                             std::chrono::milliseconds timeout) {
  return impl_->SetReplicationFactor(replication_factor, timeout);
}

const ClientOptions& Client::options() const { return impl_->options(); }

}  // namespace dkv::client
