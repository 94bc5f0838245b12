#include "client/client_registration.h"

#include <unistd.h>

#include "common/host_port.h"
#include "common/logging.h"
#include "common/metadata.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::client {

ClientRegistration::ClientRegistration(coord::Coordinator* coordinator, const std::string& cluster)
    : coordinator_(coordinator), paths_(cluster) {}

Status ClientRegistration::Register() {
  DKV_RETURN_NOT_OK_PREPEND(coordinator_->CreateAll(paths_.clients()),
                            "creating " + paths_.clients());
  ClientInfo info;
  info.host = LocalHostName();
  info.pid = static_cast<int32_t>(::getpid());
  std::string created;
  DKV_RETURN_NOT_OK_PREPEND(coordinator_->Create(paths_.client_prefix(), rpc::EncodeClient(info),
                                                 coord::NodeMode::kEphemeralSequential, &created),
                            "registering in " + paths_.clients());
  MutexLock l(&mu_);
  path_ = created;
  return Status::OK();
}

void ClientRegistration::OnSessionExpired() {
  Status s = Register();
  if (!s.ok()) {
    DKV_LOG(WARNING) << "could not re-register this client after session expiry: " << s.ToString();
  }
}

std::string ClientRegistration::path() const {
  MutexLock l(&mu_);
  return path_;
}

}  // namespace dkv::client
