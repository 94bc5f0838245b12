// MemoryCoordinator and its shared MemoryTree. Mutations happen under the tree's lock; fired
// watches are handed to their owners, which queue them on their own event threads, so no callback
// ever runs under a lock.
#include "common/coord/memory_coordinator.h"

#include <cstdio>
#include <utility>

#include "common/coord/znode_path.h"
#include "common/logging.h"

namespace dkv::coord {
namespace {

// As ZooKeeperCoordinator: ZooKeeper refuses packets above ~1 MiB.
constexpr size_t kMaxDataSize = 1000 * 1024;

Status BadPath(const char* op, const std::string& path) {
  return Status::InvalidArgument(std::string(op) + " " + path + ": bad arguments");
}

Status NoNode(const char* op, const std::string& path) {
  return Status::NotFound(std::string(op) + " " + path + ": no node");
}

Status BadVersion(const char* op, const std::string& path) {
  return Status::VersionMismatch(std::string(op) + " " + path + ": bad version");
}

std::string ChildName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

// ---- MemoryTree ----

MemoryTree::MemoryTree() {
  MutexLock lock(&mu_);
  nodes_["/"] = Node{};
}

MemoryTree::~MemoryTree() = default;

std::vector<std::string> MemoryTree::PathsForTests() {
  MutexLock lock(&mu_);
  std::vector<std::string> paths;
  for (const auto& entry : nodes_) paths.push_back(entry.first);
  return paths;
}

void MemoryTree::FireLocked(WatchTable* table, const std::string& path) {
  auto range = table->equal_range(path);
  for (auto it = range.first; it != range.second; ++it) {
    it->second.owner->DeliverWatch(std::move(it->second.watch));
  }
  table->erase(range.first, range.second);
}

void MemoryTree::DeleteLocked(const std::string& path) {
  std::string parent = ParentZnode(path);
  nodes_.erase(path);
  Node& p = nodes_.at(parent);
  p.children.erase(ChildName(path));
  ++p.cversion;
  FireLocked(&data_watches_, path);
  FireLocked(&child_watches_, path);
  FireLocked(&child_watches_, parent);
}

void MemoryTree::EndSessionLocked(MemoryCoordinator* owner, int64_t session_id) {
  for (WatchTable* table : {&data_watches_, &child_watches_}) {
    for (auto it = table->begin(); it != table->end();) {
      it = it->second.owner == owner ? table->erase(it) : std::next(it);
    }
  }
  std::vector<std::string> ephemerals;
  for (const auto& [path, node] : nodes_) {
    if (node.ephemeral_owner == session_id) ephemerals.push_back(path);
  }
  // Ephemerals have no children, so they can go in any order.
  for (const std::string& path : ephemerals) DeleteLocked(path);
}

// ---- MemoryCoordinator ----

MemoryCoordinator::MemoryCoordinator(std::shared_ptr<MemoryTree> tree)
    : tree_(std::move(tree)), connect_string_("memory") {
  DKV_CHECK(tree_ != nullptr);
  MutexLock lock(&tree_->mu_);
  session_id_ = tree_->next_session_id_++;
}

MemoryCoordinator::~MemoryCoordinator() {
  DKV_CHECK(!events_.IsCurrentThread()) << "MemoryCoordinator destroyed from its own callback";
  {
    MutexLock lock(&tree_->mu_);
    tree_->EndSessionLocked(this, session_id_);
  }
  // Nothing can reach DeliverWatch any more; drop what is queued and join.
  events_.Shutdown();
}

int64_t MemoryCoordinator::session_id() {
  MutexLock lock(&tree_->mu_);
  return session_id_;
}

void MemoryCoordinator::DeliverWatch(Watch watch) {
  MutexLock lock(&mu_);
  if (!connected_) {
    held_.push_back(std::move(watch));
  } else {
    events_.Post(std::move(watch));
  }
}

Status MemoryCoordinator::CheckConnected(const char* op, const std::string& path) {
  MutexLock lock(&mu_);
  if (connected_) return Status::OK();
  return Status::Unavailable(std::string(op) + " " + path + ": connection loss (" +
                             connect_string_ + " disconnected for the test)");
}

void MemoryCoordinator::SetSessionListener(SessionListener listener) {
  MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

void MemoryCoordinator::ExpireSessionForTests() {
  MutexLock tree_lock(&tree_->mu_);
  tree_->EndSessionLocked(this, session_id_);
  session_id_ = tree_->next_session_id_++;
  MutexLock lock(&mu_);
  connected_ = true;
  held_.clear();
  // The listener is read when the event runs, as ZooKeeperCoordinator does.
  events_.Post([this] {
    SessionListener listener;
    {
      MutexLock l(&mu_);
      listener = listener_;
    }
    if (listener) listener(SessionEvent::kExpired);
  });
}

void MemoryCoordinator::DisconnectForTests() {
  MutexLock lock(&mu_);
  if (!connected_) return;
  connected_ = false;
  events_.Post([this] {
    SessionListener listener;
    {
      MutexLock l(&mu_);
      listener = listener_;
    }
    if (listener) listener(SessionEvent::kSuspended);
  });
}

void MemoryCoordinator::ReconnectForTests() {
  MutexLock lock(&mu_);
  if (connected_) return;
  connected_ = true;
  events_.Post([this] {
    SessionListener listener;
    {
      MutexLock l(&mu_);
      listener = listener_;
    }
    if (listener) listener(SessionEvent::kConnected);
  });
  for (Watch& watch : held_) events_.Post(std::move(watch));
  held_.clear();
}

void MemoryCoordinator::FlushForTests() { events_.Flush(); }

Status MemoryCoordinator::Create(const std::string& path, const std::string& data, NodeMode mode,
                                 std::string* created_path) {
  const bool sequential = mode == NodeMode::kEphemeralSequential;
  if (!IsValidZnodePath(path, sequential) || path == "/") return BadPath("create", path);
  if (data.size() > kMaxDataSize) {
    return Status::InvalidArgument("create " + path + ": " + std::to_string(data.size()) +
                                   " bytes of data, more than ZooKeeper accepts");
  }
  DKV_RETURN_NOT_OK(CheckConnected("create", path));
  MutexLock lock(&tree_->mu_);
  std::string parent = ParentZnode(path);
  auto parent_it = tree_->nodes_.find(parent);
  if (parent_it == tree_->nodes_.end()) return NoNode("create", path);
  MemoryTree::Node& p = parent_it->second;
  if (p.ephemeral_owner != 0) {
    return Status::Internal("create " + path + ": ephemeral nodes may not have children");
  }
  std::string name = path;
  if (sequential) {
    char suffix[16];
    snprintf(suffix, sizeof(suffix), "%010d", p.cversion);
    name += suffix;
  }
  if (tree_->nodes_.count(name) != 0) {
    return Status::AlreadyExists("create " + name + ": node exists");
  }
  MemoryTree::Node node;
  node.data = data;
  if (mode != NodeMode::kPersistent) node.ephemeral_owner = session_id_;
  tree_->nodes_.emplace(name, std::move(node));
  p.children.insert(ChildName(name));
  ++p.cversion;
  tree_->FireLocked(&tree_->data_watches_, name);
  tree_->FireLocked(&tree_->child_watches_, parent);
  if (created_path != nullptr) *created_path = name;
  return Status::OK();
}

Status MemoryCoordinator::CreateAll(const std::string& path) {
  if (!IsValidZnodePath(path)) return BadPath("create", path);
  if (path == "/") return Status::OK();
  size_t next = 0;
  do {
    next = path.find('/', next + 1);
    Status s = Create(path.substr(0, next), "", NodeMode::kPersistent);
    if (!s.ok() && !s.IsAlreadyExists()) return s;
  } while (next != std::string::npos);
  return Status::OK();
}

Result<NodeData> MemoryCoordinator::Get(const std::string& path, Watch watch) {
  if (!IsValidZnodePath(path)) return BadPath("get", path);
  DKV_RETURN_NOT_OK(CheckConnected("get", path));
  MutexLock lock(&tree_->mu_);
  auto it = tree_->nodes_.find(path);
  if (it == tree_->nodes_.end()) return NoNode("get", path);  // no watch, as in ZooKeeper
  if (watch) tree_->data_watches_.emplace(path, MemoryTree::WatchEntry{this, std::move(watch)});
  return NodeData{it->second.data, it->second.version};
}

Result<bool> MemoryCoordinator::Exists(const std::string& path, Watch watch) {
  if (!IsValidZnodePath(path)) return BadPath("exists", path);
  DKV_RETURN_NOT_OK(CheckConnected("exists", path));
  MutexLock lock(&tree_->mu_);
  if (watch) tree_->data_watches_.emplace(path, MemoryTree::WatchEntry{this, std::move(watch)});
  return tree_->nodes_.count(path) != 0;
}

Result<std::vector<std::string>> MemoryCoordinator::GetChildren(const std::string& path,
                                                                Watch watch) {
  if (!IsValidZnodePath(path)) return BadPath("get children of", path);
  DKV_RETURN_NOT_OK(CheckConnected("get children of", path));
  MutexLock lock(&tree_->mu_);
  auto it = tree_->nodes_.find(path);
  if (it == tree_->nodes_.end()) return NoNode("get children of", path);
  if (watch) tree_->child_watches_.emplace(path, MemoryTree::WatchEntry{this, std::move(watch)});
  return std::vector<std::string>(it->second.children.begin(), it->second.children.end());
}

Result<int32_t> MemoryCoordinator::Set(const std::string& path, const std::string& data,
                                       int32_t expected_version) {
  if (!IsValidZnodePath(path)) return BadPath("set", path);
  if (data.size() > kMaxDataSize) {
    return Status::InvalidArgument("set " + path + ": " + std::to_string(data.size()) +
                                   " bytes of data, more than ZooKeeper accepts");
  }
  DKV_RETURN_NOT_OK(CheckConnected("set", path));
  MutexLock lock(&tree_->mu_);
  auto it = tree_->nodes_.find(path);
  if (it == tree_->nodes_.end()) return NoNode("set", path);
  MemoryTree::Node& node = it->second;
  if (expected_version != -1 && expected_version != node.version) return BadVersion("set", path);
  node.data = data;
  ++node.version;
  int32_t version = node.version;
  tree_->FireLocked(&tree_->data_watches_, path);
  return version;
}

Status MemoryCoordinator::Delete(const std::string& path, int32_t expected_version) {
  if (!IsValidZnodePath(path)) return BadPath("delete", path);
  if (path == "/") return BadPath("delete", path);
  DKV_RETURN_NOT_OK(CheckConnected("delete", path));
  MutexLock lock(&tree_->mu_);
  auto it = tree_->nodes_.find(path);
  if (it == tree_->nodes_.end()) return NoNode("delete", path);
  if (expected_version != -1 && expected_version != it->second.version) {
    return BadVersion("delete", path);
  }
  if (!it->second.children.empty()) {
    return Status::Internal("delete " + path + ": the node has children");
  }
  tree_->DeleteLocked(path);
  return Status::OK();
}

}  // namespace dkv::coord
