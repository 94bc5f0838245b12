// Client::Impl: the body behind the public dkv::client::Client (pimpl). It owns the ZooKeeper
// session (Coordinator), the MasterFinder, this client's registration in clients/ and the
// RetryingCaller; the public methods forward here.
//
// Every keyspace operation, Get/Set/Remove as one-op batches among them, goes through the stub's
// Execute (client_keyspace.cc); only UnsafeSet in db 0 keeps its own oneway RPC (UnsafePut). The
// stubs Client::Connect makes send the calls that threads make at the same time as one
// Dkv.execute (CombiningMasterStub). The asynchronous calls
// are queued on an AsyncCaller, whose thread sends them as Dkv.execute batches through the same
// RetryingCaller (SendAsync).
//
// Create() is also the seam for tests: they pass a MemoryCoordinator and fake MasterStubs.
//
// Thread-safe, as Client. The session listener runs on the coordinator's event thread and holds the
// finder and the registration weakly, so it is harmless once the Impl is gone.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/async_caller.h"
#include "client/client_registration.h"
#include "client/master_finder.h"
#include "client/master_stub.h"
#include "client/retrying_caller.h"
#include "common/coord/coordinator.h"
#include "common/op.h"
#include "dkv/client.h"

namespace dkv::client {

class Client::Impl {
 public:
  // A client on an open coordinator session: registers it in clients/ and installs the session
  // listener. Errors from the registration, with context.
  static Result<std::unique_ptr<Client>> Create(const ClientOptions& options,
                                                std::shared_ptr<coord::Coordinator> coordinator,
                                                MasterStubFactory stub_factory,
                                                RetryBackoff backoff = RetryBackoff());

  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<std::optional<std::string>> Get(std::string_view key, std::chrono::milliseconds timeout);
  Status Set(std::string_view key, std::string_view value, std::chrono::milliseconds timeout);
  Result<bool> Remove(std::string_view key, std::chrono::milliseconds timeout);
  void UnsafeSet(std::string_view key, std::string_view value, std::chrono::milliseconds timeout);
  Result<ClusterStatus> GetStatus(std::chrono::milliseconds timeout);
  Result<int32_t> DrainDataNode(std::string_view id, bool leave_when_done,
                                std::chrono::milliseconds timeout);
  Result<int32_t> Rebalance(std::chrono::milliseconds timeout);
  Result<ReplicationFactorChange> SetReplicationFactor(int32_t replication_factor,
                                                       std::chrono::milliseconds timeout);

  // Keyspace operations (client_keyspace.cc), as Client's.
  Result<bool> Set(std::string_view key, std::string_view value, const SetOptions& options,
                   std::chrono::milliseconds timeout);
  Result<KeyTtl> Ttl(std::string_view key, std::chrono::milliseconds timeout);
  Result<bool> Expire(std::string_view key, std::chrono::milliseconds ttl,
                      std::chrono::milliseconds timeout);
  Result<bool> Persist(std::string_view key, std::chrono::milliseconds timeout);
  Result<int64_t> IncrBy(std::string_view key, int64_t delta, std::chrono::milliseconds timeout);
  Result<int64_t> Append(std::string_view key, std::string_view value,
                         std::chrono::milliseconds timeout);
  Result<std::vector<std::optional<std::string>>> MGet(const std::vector<std::string>& keys,
                                                       std::chrono::milliseconds timeout);
  Status MSet(const std::vector<std::pair<std::string, std::string>>& pairs,
              std::chrono::milliseconds timeout);
  Result<ScanPage> Scan(uint64_t cursor, const ScanOptions& options,
                        std::chrono::milliseconds timeout);

  // Asynchronous calls (client_keyspace.cc), as Client's.
  void GetAsync(std::string_view key, Client::Callback<Result<std::optional<std::string>>> done,
                std::chrono::milliseconds timeout);
  void SetAsync(std::string_view key, std::string_view value, Client::Callback<Status> done,
                std::chrono::milliseconds timeout);
  void RemoveAsync(std::string_view key, Client::Callback<Result<bool>> done,
                   std::chrono::milliseconds timeout);
  void MGetAsync(const std::vector<std::string>& keys,
                 Client::Callback<Result<std::vector<std::optional<std::string>>>> done,
                 std::chrono::milliseconds timeout);
  void MSetAsync(const std::vector<std::pair<std::string, std::string>>& pairs,
                 Client::Callback<Status> done, std::chrono::milliseconds timeout);

  const ClientOptions& options() const { return options_; }
  // The registration's znode path, for tests.
  std::string registration_path() const { return registration_->path(); }

 private:
  Impl(const ClientOptions& options, std::shared_ptr<coord::Coordinator> coordinator,
       MasterStubFactory stub_factory, RetryBackoff backoff);

  // `timeout`, or the default when it is <= 0.
  std::chrono::milliseconds Resolve(std::chrono::milliseconds timeout) const;
  // KEY_TOO_LARGE / VALUE_TOO_LARGE under the master's published limits, before anything is sent
  // (a value far over the limit would otherwise only break the connection). `value` may be null.
  Status CheckSizes(std::string_view key, const std::string_view* value);

  // Runs `ops` (their db set to options_.db) in one Dkv.execute call, retried as every call is;
  // an op the master did not execute (Reply::error) fails the attempt with its Status, so an
  // UNAVAILABLE one is retried like a failed connection. `op` names the call in messages.
  Result<std::vector<Reply>> Execute(const char* op, std::vector<Op> ops,
                                     std::chrono::milliseconds timeout);
  // Execute for one op.
  Result<Reply> ExecuteOne(const char* op, Op one, std::chrono::milliseconds timeout);
  // Queues `ops` (their db set to options_.db) on the AsyncCaller, to be run within `timeout`,
  // or, when `checked` is an error, a call failing with it; `done` gets the outcome.
  void SubmitAsync(Status checked, std::vector<Op> ops, std::chrono::milliseconds timeout,
                   AsyncCaller::DoneFn done);
  // The AsyncCaller's send: one Dkv.execute of the batch, retried as Execute's are, except that an
  // op's error that is not retried stays in its reply (it belongs to one call, not the batch).
  Status SendAsync(const std::vector<Op>& ops, std::chrono::milliseconds timeout,
                   std::vector<Reply>* replies);
  // The cluster's slot count (fixed for its life), asked from the master once.
  Result<int32_t> SlotCount(std::chrono::milliseconds timeout);

  const ClientOptions options_;
  const std::shared_ptr<coord::Coordinator> coordinator_;
  const std::shared_ptr<MasterFinder> finder_;
  const std::shared_ptr<ClientRegistration> registration_;
  RetryingCaller caller_;
  std::atomic<int32_t> slot_count_{0};  // 0 until SlotCount has asked
  // Reset first by the destructor: its calls finish while everything they use is still there.
  std::unique_ptr<AsyncCaller> async_;
};

}  // namespace dkv::client
