#include "data/data_node.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "common/logging.h"
#include "common/rpc/metadata_codec.h"
#include "common/rpc/rpc_server.h"
#include "data/active_expiry.h"
#include "data/chain_replicator.h"
#include "data/data_service.h"
#include "data/effect_channel.h"
#include "data/import_channel.h"
#include "data/slot_moves.h"
#include "data/slot_ownership.h"
#include "data/store.h"
#include "gen-cpp/DataNode.h"

namespace dkv::data {

namespace {

constexpr std::chrono::milliseconds kRegisterPoll{100};
constexpr std::chrono::milliseconds kDrainPoll{100};
// Each import call of a move's source to its target.
constexpr std::chrono::milliseconds kImportCallTimeout{10000};
// Each replicate call to a chain successor: longer than a relaying member waits for its own
// successor (DataService::kRelayWait), so that a slow chain answers before the call times out.
constexpr std::chrono::milliseconds kReplicateCallTimeout{5000};

// A znode name: not empty, no '/', not "." or "..", printable (it appears in logs and messages).
Status CheckNodeId(const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos ||
      std::any_of(id.begin(), id.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    return Status::InvalidArgument("data node id '" + id +
                                   "' is not usable as a znode name (no '/', spaces or control "
                                   "characters, not '.' or '..')");
  }
  return Status::OK();
}

// Thrift's string limit: a value and a key, plus room for the rest of a request.
int32_t MaxStringBytes(const Limits& limits) {
  const uint64_t bytes =
      2 * static_cast<uint64_t>(std::max(limits.max_key_bytes, limits.max_value_bytes)) +
      (1u << 20);
  return static_cast<int32_t>(
      std::min<uint64_t>(bytes, static_cast<uint64_t>(std::numeric_limits<int32_t>::max())));
}

}  // namespace

DataNode::DataNode(DataNodeOptions options)
    : options_(std::move(options)), paths_(options_.cluster) {}

DataNode::~DataNode() { Shutdown(); }

std::chrono::milliseconds DataNode::RegisterWait() const {
  return options_.register_wait.count() > 0 ? options_.register_wait : 2 * options_.session_timeout;
}

Status DataNode::Start() {
  DKV_CHECK(!started_) << "DataNode::Start called twice";
  started_ = true;
  Status s = StartImpl();
  if (!s.ok()) Shutdown();
  return s;
}

Status DataNode::StartImpl() {
  if (!options_.id.empty()) DKV_RETURN_NOT_OK(CheckNodeId(options_.id));

  coord::ZooKeeperOptions zk;
  zk.connect_string = options_.zookeeper;
  zk.session_timeout = options_.session_timeout;
  zk.connect_timeout = options_.connect_timeout;
  DKV_ASSIGN_OR_RETURN(coordinator_, coord::ConnectZooKeeper(zk));
  DKV_RETURN_NOT_OK_PREPEND(coordinator_->CreateAll(paths_.data()),
                            "cannot create " + paths_.data());

  store_ = std::make_unique<Store>();
  replicator_ = std::make_unique<ChainReplicator>(
      [this] { return ownership_->View(); },
      [this](const std::string& node_id) { return OpenEffectChannel(node_id); });
  store_->SetEffectSink(replicator_.get());
  active_expiry_ = std::make_unique<ActiveExpiry>(store_.get());
  active_expiry_->Start();
  MigrationSourceOptions source_options;
  source_options.chain_drained = [this](const std::vector<SlotSeq>& seqs,
                                        std::chrono::steady_clock::time_point deadline) {
    return ChainDrained(seqs, deadline);
  };
  moves_ = std::make_unique<SlotMoves>(
      store_.get(), options_.limits,
      [](const HostPort& target) { return NewThriftImportChannel(target, kImportCallTimeout); },
      source_options);
  ownership_ = std::make_unique<SlotOwnership>(coordinator_.get(), paths_, store_.get());
  ownership_->SetListener(moves_.get());
  ownership_->SetReplicator(replicator_.get());
  service_ =
      std::make_shared<DataService>(ownership_.get(), store_.get(), moves_.get(), replicator_.get(),
                                    options_.limits, [this] { OnLeave(); });
  // Until SlotOwnership::Start below, every call is refused with WRONG_NODE (no slot map yet).
  DKV_ASSIGN_OR_RETURN(
      rpc_server_,
      rpc::RpcServer::Start(options_.listen, std::make_shared<rpc::DataNodeProcessor>(service_),
                            MaxStringBytes(options_.limits)));

  const uint16_t port = rpc_server_->port();
  id_ = options_.id.empty() ? LocalHostName() + "-" + std::to_string(port) : options_.id;
  DKV_RETURN_NOT_OK(CheckNodeId(id_));
  DKV_ASSIGN_OR_RETURN(advertised_,
                       AdvertisedAddress(options_.advertise, options_.listen.host, port));
  member_.id = id_;
  member_.address = advertised_.ToString();
  member_.pid = static_cast<int32_t>(getpid());
  member_.host = LocalHostName();

  DKV_RETURN_NOT_OK(ownership_->Start(id_));
  replicator_->Start();
  session_thread_ = std::thread([this] { SessionThread(); });
  coordinator_->SetSessionListener([this](coord::SessionEvent e) { OnSessionEvent(e); });
  DKV_RETURN_NOT_OK(Register(std::chrono::steady_clock::now() + RegisterWait()));

  DKV_LOG(INFO) << "data node " << id_ << " serving at " << advertised_.ToString()
                << " (listening on " << options_.listen.host << ":" << port << "), cluster '"
                << options_.cluster << "', ZooKeeper " << options_.zookeeper;
  return Status::OK();
}

Result<std::unique_ptr<EffectChannel>> DataNode::OpenEffectChannel(const std::string& node_id) {
  // The successor's address is in its data/ znode; read afresh for every new connection, since a
  // restarted node may listen elsewhere.
  DKV_ASSIGN_OR_RETURN(coord::NodeData data, coordinator_->Get(paths_.data_node(node_id)));
  MemberInfo member;
  DKV_RETURN_NOT_OK(rpc::DecodeMember(data.data, &member));
  DKV_ASSIGN_OR_RETURN(HostPort address, ParseHostPort(member.address));
  return NewThriftEffectChannel(address, kReplicateCallTimeout);
}

Status DataNode::ChainDrained(const std::vector<SlotSeq>& seqs,
                              std::chrono::steady_clock::time_point deadline) {
  std::vector<SlotSeq> waits;
  for (const SlotSeq& s : seqs) store_->AddChainWait(s.slot, &waits);
  const std::vector<bool> acked = replicator_->Wait(waits, deadline);
  for (size_t i = 0; i < waits.size(); ++i) {
    if (!acked[i]) {
      return Status::Unavailable("slot " + std::to_string(waits[i].slot) +
                                 ": the chain after data node " + id_ +
                                 " did not acknowledge effect " + std::to_string(waits[i].seq));
    }
  }
  return Status::OK();
}

Status DataNode::Register(std::chrono::steady_clock::time_point deadline) {
  const std::string path = paths_.data_node(id_);
  const std::string payload = rpc::EncodeMember(member_);
  bool logged_wait = false;
  for (;;) {
    Status s = coordinator_->Create(path, payload, coord::NodeMode::kEphemeral);
    if (s.ok()) {
      DKV_LOG(INFO) << "registered " << path << " (" << member_.address << ")";
      return s;
    }
    std::string holder = "unknown holder";
    if (s.IsAlreadyExists()) {
      Result<coord::NodeData> data = coordinator_->Get(path);
      MemberInfo other;
      if (data.ok() && rpc::DecodeMember(data->data, &other).ok()) {
        // A create that timed out may have succeeded on the server: the node is then ours.
        if (other.pid == member_.pid && other.host == member_.host &&
            other.address == member_.address) {
          return Status::OK();
        }
        holder = "pid " + std::to_string(other.pid) + " on host " + other.host + " (address " +
                 other.address + ")";
      }
      if (!logged_wait) {
        DKV_LOG(WARNING) << path << " is held by " << holder
                         << "; waiting for it to go away (a previous incarnation's session "
                            "lingers up to a session timeout)";
        logged_wait = true;
      }
    } else if (!s.IsUnavailable()) {
      return s.CloneAndPrepend("cannot register " + path);
    }
    MutexLock l(&mu_);
    if (stopping_) return Status::Unavailable("shutting down while registering " + path);
    if (std::chrono::steady_clock::now() + kRegisterPoll > deadline) {
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(RegisterWait());
      if (s.IsAlreadyExists()) {
        return Status::AlreadyExists("data node id '" + id_ + "' is already registered at " + path +
                                     " by " + holder + "; it did not go away within " +
                                     std::to_string(waited.count()) +
                                     " ms: is another dkv-data running with this id?");
      }
      return s.CloneAndPrepend("cannot register " + path);
    }
    cv_.WaitUntil(std::chrono::steady_clock::now() + kRegisterPoll);
  }
}

void DataNode::OnSessionEvent(coord::SessionEvent event) {
  // On the coordinator's event thread: hand over, never block here.
  MutexLock l(&mu_);
  events_.push_back(event);
  cv_.SignalAll();
}

void DataNode::SessionThread() {
  bool registered = true;  // by Start
  for (;;) {
    std::optional<coord::SessionEvent> event;
    {
      MutexLock l(&mu_);
      // While unregistered, wake up every second to try again.
      const auto retry_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (events_.empty() && !stopping_) {
        if (registered) {
          cv_.Wait();
        } else if (!cv_.WaitUntil(retry_at)) {
          break;  // time to try registering again
        }
      }
      if (stopping_) return;
      if (!events_.empty()) {
        event = events_.front();
        events_.pop_front();
      }
    }
    if (event == coord::SessionEvent::kExpired) {
      // The old session took data/<id> with it: register in the new one first, so the master sees
      // this node again as soon as possible.
      DKV_LOG(WARNING) << "ZooKeeper session expired: registering " << id_ << " again";
      registered = false;
    }
    if (!registered) {
      Status s = Register(std::chrono::steady_clock::now() + RegisterWait());
      registered = s.ok();
      if (!registered) {
        DKV_LOG(ERROR) << "data node " << id_ << " is unregistered, retrying: " << s.ToString();
      }
    }
    if (event) ownership_->OnSessionEvent(*event);
  }
}

void DataNode::OnLeave() {
  MutexLock l(&mu_);
  leave_requested_ = true;
}

bool DataNode::leave_requested() const {
  MutexLock l(&mu_);
  return leave_requested_;
}

Result<bool> DataNode::DrainCanProgress() {
  DKV_ASSIGN_OR_RETURN(bool master, coordinator_->Exists(paths_.master()));
  if (!master) return false;
  DKV_ASSIGN_OR_RETURN(std::vector<std::string> members, coordinator_->GetChildren(paths_.data()));
  return std::any_of(members.begin(), members.end(),
                     [this](const std::string& member) { return member != id_; });
}

Status DataNode::Drain(std::chrono::milliseconds timeout,
                       const std::function<bool(std::chrono::milliseconds)>& wait) {
  DKV_CHECK(ownership_ != nullptr) << "DataNode::Drain before Start";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool asked = false;
  for (;;) {
    const int32_t owned = ownership_->GetSummary().owned_slots;
    if (owned == 0) {
      if (asked) DKV_LOG(INFO) << "drained: data node " << id_ << " owns no slot";
      return Status::OK();
    }
    // Nobody to move the slots (no master, or no other data node): waiting would only delay the
    // exit (a whole cluster going down, say).
    Result<bool> can_progress = DrainCanProgress();
    if (!can_progress.ok()) {
      return can_progress.status().CloneAndPrepend("cannot drain data node " + id_);
    }
    if (!*can_progress) {
      return Status::Unavailable("cannot drain data node " + id_ + ": no master, or no other " +
                                 "data node to take its " + std::to_string(owned) + " slots");
    }
    if (!asked) {
      DKV_RETURN_NOT_OK(RequestDrain());
      asked = true;
      DKV_LOG(INFO) << "draining: asked the master to move " << owned << " slots away ("
                    << paths_.draining_node(id_) << "); waiting up to " << timeout.count() << " ms";
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Status::TimedOut("data node " + id_ + " still owns " + std::to_string(owned) +
                              " slots after draining for " + std::to_string(timeout.count()) +
                              " ms");
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (wait(std::min(kDrainPoll, left))) {
      return Status::Unavailable("drain of data node " + id_ + " interrupted with " +
                                 std::to_string(owned) + " slots left");
    }
  }
}

Status DataNode::RequestDrain() {
  const std::string path = paths_.draining_node(id_);
  DKV_RETURN_NOT_OK_PREPEND(coordinator_->CreateAll(paths_.draining()),
                            "cannot create " + paths_.draining());
  DrainInfo drain;
  drain.requested_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  drain.leave_when_done = false;
  Status s = coordinator_->Create(path, rpc::EncodeDrain(drain), coord::NodeMode::kPersistent);
  if (s.ok()) {
    created_drain_znode_ = true;
    return s;
  }
  // An operator's `dkv node drain` got there first: that request stands.
  if (s.IsAlreadyExists()) return Status::OK();
  return s.CloneAndPrepend("cannot create " + path);
}

void DataNode::Shutdown() {
  if (!started_) return;
  started_ = false;
  if (coordinator_) coordinator_->SetSessionListener(nullptr);
  {
    MutexLock l(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (session_thread_.joinable()) session_thread_.join();

  // Deregister first: the master sees the node leave and moves its slots at once, while calls
  // still in flight are answered.
  if (coordinator_ && !id_.empty()) {
    Status s = coordinator_->Delete(paths_.data_node(id_));
    if (!s.ok() && !s.IsNotFound()) {
      DKV_LOG(WARNING) << "cannot delete " << paths_.data_node(id_) << ": " << s.ToString();
    }
    // A drain this process asked for ends with it: a later incarnation with this id starts
    // afresh instead of being drained at once.
    if (created_drain_znode_) {
      s = coordinator_->Delete(paths_.draining_node(id_));
      if (!s.ok() && !s.IsNotFound()) {
        DKV_LOG(WARNING) << "cannot delete " << paths_.draining_node(id_) << ": " << s.ToString();
      }
    }
  }
  // Replies waiting for their chain give up at once (the stream stops); then stop serving, before
  // the coordinator goes: a call that asks SlotOwnership for a refresh reads ZooKeeper through it.
  if (replicator_) replicator_->Stop();
  if (rpc_server_) rpc_server_->Stop();
  rpc_server_.reset();
  if (ownership_) ownership_->Stop();
  coordinator_.reset();  // closes the session
  service_.reset();
  ownership_.reset();
  active_expiry_.reset();  // joins its thread before the store goes
  moves_.reset();          // ends the moves still running, joining their threads
  replicator_.reset();     // the store's effect sink: after every user of the store
  store_.reset();
  if (!id_.empty()) DKV_LOG(INFO) << "data node " << id_ << " stopped";
}

}  // namespace dkv::data
