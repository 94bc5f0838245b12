#include "server/server.h"

#include <unistd.h>

#include "common/logging.h"
#include "common/rpc/metadata_codec.h"
#include "gen-cpp/Dkv.h"
#include "server/server_service.h"

namespace dkv::server {

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      paths_(options_.cluster),
      router_(options_.limits, [timeout = options_.data_call_timeout](const HostPort& address) {
        return NewThriftDataChannel(address, timeout);
      }) {}

Server::~Server() { Shutdown(); }

Status Server::Start() {
  coord::ZooKeeperOptions zk;
  zk.connect_string = options_.zookeeper;
  zk.session_timeout = options_.session_timeout;
  DKV_ASSIGN_OR_RETURN(coord_, coord::ConnectZooKeeper(zk));
  DKV_RETURN_NOT_OK(coord_->CreateAll(paths_.servers()));

  // Keys and values may be up to the limits; a request twice that size is refused by the
  // transport before it is read into memory.
  const size_t largest = std::max(options_.limits.max_key_bytes, options_.limits.max_value_bytes);
  const auto max_string =
      static_cast<int32_t>(std::min<size_t>(2 * largest + (1 << 20), INT32_MAX));
  DKV_ASSIGN_OR_RETURN(
      rpc_server_,
      rpc::RpcServer::Start(
          options_.listen,
          std::make_shared<rpc::DkvProcessor>(std::make_shared<ServerService>(this)), max_string));
  DKV_ASSIGN_OR_RETURN(
      HostPort advertised,
      AdvertisedAddress(options_.advertise, options_.listen.host, rpc_server_->port()));
  advertised_ = advertised.ToString();

  master_ = std::make_unique<Master>(
      coord_.get(), paths_,
      MasterConfig{advertised_, options_.limits, options_.slots, options_.data_grace}, &router_);
  MemberInfo self{"", advertised_, static_cast<int32_t>(getpid()), LocalHostName()};
  election_ = std::make_unique<Election>(coord_.get(), paths_, self, this);
  // Request threads may run from the moment the RpcServer started; they look at master_ and
  // election_ only once this is set (release/acquire).
  ready_.store(true, std::memory_order_release);
  coord_->SetSessionListener([this](coord::SessionEvent e) { OnSessionEvent(e); });
  DKV_RETURN_NOT_OK(election_->Start());
  DKV_LOG(INFO) << "dkv-server listening on " << options_.listen.host << ":" << rpc_server_->port()
                << ", advertised as " << advertised_ << ", cluster '" << options_.cluster << "'";
  return Status::OK();
}

void Server::Shutdown() {
  if (shut_down_.exchange(true)) return;
  if (coord_) coord_->SetSessionListener(nullptr);
  // Stop serving and let a standby take over at once; then stop the request threads, which use
  // the coordinator; only then close the session (which also deletes the master znode).
  if (election_) election_->Leave();
  if (master_) master_->StepDown();
  if (rpc_server_) rpc_server_->Stop();
  master_.reset();
  coord_.reset();
}

Status Server::CheckServing(std::string* master_address) {
  if (!ready_.load(std::memory_order_acquire) || shut_down_.load()) {
    return Status::Unavailable("this server is starting or stopping");
  }
  if (election_->is_master()) {
    if (connected_.load(std::memory_order_acquire) && master_->serving()) return Status::OK();
    return Status::Unavailable(
        connected_.load() ? "this master is not serving yet: it is taking over"
                          : "this master is not serving: it lost its ZooKeeper connection");
  }
  auto node = coord_->Get(paths_.master());
  MasterInfo master;
  if (node.ok() && rpc::DecodeMaster(node->data, &master).ok()) {
    *master_address = master.address;
    return Status::NotMaster("this server is a standby; the master is " + master.server_id +
                             " at " + master.address);
  }
  return Status::NotMaster("this server is a standby; no master is known yet");
}

void Server::OnElected(const std::string& id) {
  // On failure the Master retries by itself; it serves once it has taken over (serving()).
  Status s = master_->TakeOver(id);
  if (!s.ok()) DKV_LOG(ERROR) << "taking over as master failed, retrying: " << s.ToString();
}

void Server::OnDemoted() { master_->StepDown(); }

void Server::OnSessionEvent(coord::SessionEvent event) {
  switch (event) {
    case coord::SessionEvent::kSuspended:
      // Fencing: a master that cannot see ZooKeeper may already have been replaced; it stops
      // serving at once, before its session can expire and a successor be elected.
      if (connected_.exchange(false) && election_->is_master()) {
        DKV_LOG(WARNING) << "lost the ZooKeeper connection: master stops serving";
      }
      break;
    case coord::SessionEvent::kConnected:
      if (election_->is_master() && master_->serving()) {
        // Watches survive within a session, but a rebalance may have failed meanwhile.
        Status s = master_->Reconcile();
        if (!s.ok()) DKV_LOG(WARNING) << "rebalancing after reconnecting: " << s.ToString();
        DKV_LOG(INFO) << "ZooKeeper connection back within the session: master serves again";
      } else if (!election_->is_master()) {
        election_->Recheck();
      }
      connected_ = true;
      break;
    case coord::SessionEvent::kExpired:
      connected_ = true;
      DKV_LOG(WARNING) << "ZooKeeper session expired: joining the election again";
      election_->Rejoin();
      break;
  }
}

}  // namespace dkv::server
