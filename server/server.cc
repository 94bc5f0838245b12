#include "server/server.h"

#include <unistd.h>

#include "common/logging.h"
#include "common/rpc/metadata_codec.h"
#include "gen-cpp/Dkv.h"
#include "server/combining_data_channel.h"
#include "server/server_service.h"

namespace dkv::server {

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      paths_(options_.cluster),
      router_(
          options_.limits,
          [timeout = options_.data_call_timeout](const HostPort& address) {
            return std::make_shared<CombiningDataChannel>(NewThriftDataChannel(address, timeout));
          }),
      forwarder_(options_.data_call_timeout) {}

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
  if (options_.resp_port > 0) {
    RespServerOptions resp;
    resp.listen = HostPort{options_.listen.host, static_cast<uint16_t>(options_.resp_port)};
    resp.io_threads = options_.resp_threads;
    // The bulk limit is the larger of the key and value limits: no longer argument could be
    // stored as either, so it is refused as a protocol error before it is read into memory. A key
    // or value within it but over its own limit gets the command's error (KEY_TOO_LARGE,
    // VALUE_TOO_LARGE).
    resp.limits.max_bulk_bytes =
        std::max(options_.limits.max_key_bytes, options_.limits.max_value_bytes);
    resp.limits.max_array_elements = options_.resp_max_array_elements;
    resp.limits.max_inline_bytes = options_.resp_max_inline_bytes;
    DKV_ASSIGN_OR_RETURN(resp_server_, RespServer::Start(resp, this));
    DKV_ASSIGN_OR_RETURN(
        HostPort resp_advertised,
        AdvertisedAddress(options_.resp_advertise, options_.listen.host, resp_server_->port()));
    resp_advertised_ = resp_advertised.ToString();
  }

  MasterConfig master_config{advertised_, options_.limits, options_.slots, options_.data_grace,
                             resp_advertised_};
  master_config.replication_factor = options_.replication_factor;
  master_ = std::make_unique<Master>(coord_.get(), paths_, master_config, &router_);
  MemberInfo self{"", advertised_, static_cast<int32_t>(getpid()), LocalHostName(),
                  resp_advertised_};
  election_ = std::make_unique<Election>(coord_.get(), paths_, self, this);
  // Request threads may run from the moment the RpcServer started; they look at master_ and
  // election_ only once this is set (release/acquire).
  ready_.store(true, std::memory_order_release);
  coord_->SetSessionListener([this](coord::SessionEvent e) { OnSessionEvent(e); });
  DKV_RETURN_NOT_OK(election_->Start());
  DKV_LOG(INFO) << "dkv-server listening on " << options_.listen.host << ":" << rpc_server_->port()
                << ", advertised as " << advertised_ << ", cluster '" << options_.cluster << "'"
                << (resp_server_ ? ", RESP on port " + std::to_string(resp_server_->port()) +
                                       " advertised as " + resp_advertised_
                                 : std::string());
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
  if (resp_server_) resp_server_->Stop();
  master_.reset();
  coord_.reset();
}

bool Server::IsServingMaster() {
  return ready_.load(std::memory_order_acquire) && !shut_down_.load() && election_->is_master() &&
         connected_.load(std::memory_order_acquire) && master_->serving();
}

Status Server::CheckServing(std::string* master_address) {
  if (IsServingMaster()) return Status::OK();
  if (!ready_.load(std::memory_order_acquire) || shut_down_.load()) {
    return Status::Unavailable("this server is starting or stopping");
  }
  if (election_->is_master()) {
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

std::vector<Reply> Server::Execute(std::vector<Op> ops) {
  std::string master_address;
  Status s = CheckServing(&master_address);
  if (s.ok()) return router_.Execute(std::move(ops));
  const size_t n = ops.size();
  if (s.IsNotMaster() && !master_address.empty()) {
    auto replies = forwarder_.Execute(master_address, std::move(ops));
    if (replies.ok()) return std::move(*replies);
    s = replies.status();
  }
  return std::vector<Reply>(n, Reply::Failed(s));
}

int32_t Server::SlotCount() {
  // A cluster's slot count never changes once its slot map exists: read it once.
  const int32_t cached = slot_count_.load(std::memory_order_relaxed);
  if (cached > 0 || !ready_.load(std::memory_order_acquire)) return cached;
  auto node = coord_->Get(paths_.slotmap());
  SlotMap map;
  if (!node.ok() || !rpc::DecodeSlotMap(node->data, &map).ok()) return 0;
  slot_count_.store(map.slot_count(), std::memory_order_relaxed);
  return map.slot_count();
}

std::vector<std::pair<std::string, std::string>> Server::ClusterInfo() {
  std::vector<std::pair<std::string, std::string>> info;
  std::string master_address;
  const bool serving = CheckServing(&master_address).ok();
  info.emplace_back("dkv_cluster", options_.cluster);
  info.emplace_back("dkv_role", serving ? "master" : "standby");
  if (serving) {
    Router::Summary routing = router_.Summarize();
    info.emplace_back("dkv_slots", std::to_string(routing.slot_count));
    info.emplace_back("dkv_slot_map_version", std::to_string(routing.map_version));
    info.emplace_back("dkv_data_nodes", std::to_string(routing.data_nodes.size()));
  } else {
    info.emplace_back("dkv_master", master_address);
  }
  return info;
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
