// Client::Impl: the body behind the public dkv::client::Client (pimpl). It owns the ZooKeeper
// session (Coordinator), the MasterFinder, this client's registration in clients/ and the
// RetryingCaller; the public methods forward here.
//
// Create() is also the seam for tests: they pass a MemoryCoordinator and fake MasterStubs.
//
// Thread-safe, as Client. The session listener runs on the coordinator's event thread and holds the
// finder and the registration weakly, so it is harmless once the Impl is gone.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/client_registration.h"
#include "client/master_finder.h"
#include "client/master_stub.h"
#include "client/retrying_caller.h"
#include "common/coord/coordinator.h"
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

  const ClientOptions options_;
  const std::shared_ptr<coord::Coordinator> coordinator_;
  const std::shared_ptr<MasterFinder> finder_;
  const std::shared_ptr<ClientRegistration> registration_;
  RetryingCaller caller_;
};

}  // namespace dkv::client
