// MemoryCoordinator: an in-memory Coordinator for unit tests of the logic classes (Election, slot
// ownership, ...). It behaves as ZooKeeper does where dkv can tell: persistent, ephemeral and
// sequential nodes (10-digit sequence from the parent's child-change counter), data versions,
// one-shot data/exists/child watches, the same error codes (see coordinator.h), session events.
//
// Several coordinators may share one MemoryTree, each modelling one process with its own session:
//
//   auto tree = std::make_shared<MemoryTree>();
//   MemoryCoordinator a(tree), b(tree);
//   ... a.ExpireSessionForTests();   // a's ephemerals vanish, b's watches on them fire
//
// Threads: methods are synchronous and thread-safe. Watches and session events run on the
// coordinator's own event thread, one at a time, as with ZooKeeperCoordinator; FlushForTests()
// waits until everything queued so far has run. A watch belongs to the coordinator that set it and
// runs on that coordinator's thread, whichever coordinator made the change.
//
// Lifecycle: destroying a coordinator ends its session as a clean close does: its ephemerals are
// deleted (firing other sessions' watches) and its watches dropped; no callback of it runs after
// the destructor returns. The tree lives as long as any coordinator or test holds it.
//
// Lock order: MemoryTree::mu_, then MemoryCoordinator::mu_, then the CallbackThread's lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/coord/callback_thread.h"
#include "common/coord/coordinator.h"
#include "common/mutex.h"

namespace dkv::coord {

class MemoryCoordinator;

// The shared znode tree: the "ZooKeeper server" several MemoryCoordinators talk to. Only
// MemoryCoordinator touches its contents. Thread-safe.
class MemoryTree {
 public:
  MemoryTree();
  ~MemoryTree();
  MemoryTree(const MemoryTree&) = delete;
  MemoryTree& operator=(const MemoryTree&) = delete;

  // Every node path, sorted, for test assertions and failure messages.
  std::vector<std::string> PathsForTests();

 private:
  friend class MemoryCoordinator;

  struct Node {
    std::string data;
    int32_t version = 0;
    int32_t cversion = 0;         // child creations + deletions; the next sequence number
    int64_t ephemeral_owner = 0;  // session id, 0 for persistent nodes
    std::set<std::string> children;
  };
  struct WatchEntry {
    MemoryCoordinator* owner;
    Watch watch;
  };
  using WatchTable = std::multimap<std::string, WatchEntry>;

  // Hands every watch on `path` in `table` to its owner, and forgets them.
  void FireLocked(WatchTable* table, const std::string& path) REQUIRES(mu_);
  // Deletes `path` (which exists and has no children) and fires the watches that ZooKeeper would.
  void DeleteLocked(const std::string& path) REQUIRES(mu_);
  // Drops every watch of `owner`, then deletes its ephemerals (firing the other sessions' watches).
  void EndSessionLocked(MemoryCoordinator* owner, int64_t session_id) REQUIRES(mu_);

  Mutex mu_;
  std::map<std::string, Node> nodes_ GUARDED_BY(mu_);  // by path; "/" always exists
  WatchTable data_watches_ GUARDED_BY(mu_);            // Get and Exists: creation, change, deletion
  WatchTable child_watches_ GUARDED_BY(mu_);           // GetChildren: child set change, deletion
  int64_t next_session_id_ GUARDED_BY(mu_) = 1;
};

class MemoryCoordinator final : public Coordinator {
 public:
  // Opens a session on `tree` (a private tree by default).
  explicit MemoryCoordinator(std::shared_ptr<MemoryTree> tree = std::make_shared<MemoryTree>());
  // Must not be called from a watch or the session listener.
  ~MemoryCoordinator() override;

  MemoryCoordinator(const MemoryCoordinator&) = delete;
  MemoryCoordinator& operator=(const MemoryCoordinator&) = delete;

  Status Create(const std::string& path, const std::string& data, NodeMode mode,
                std::string* created_path = nullptr) override;
  Status CreateAll(const std::string& path) override;
  Result<NodeData> Get(const std::string& path, Watch watch = nullptr) override;
  Result<bool> Exists(const std::string& path, Watch watch = nullptr) override;
  Result<std::vector<std::string>> GetChildren(const std::string& path,
                                               Watch watch = nullptr) override;
  Result<int32_t> Set(const std::string& path, const std::string& data,
                      int32_t expected_version = -1) override;
  Status Delete(const std::string& path, int32_t expected_version = -1) override;
  void SetSessionListener(SessionListener listener) override;
  const std::string& connect_string() const override { return connect_string_; }

  const std::shared_ptr<MemoryTree>& tree() const { return tree_; }
  int64_t session_id();

  // Expires this session as ZooKeeper would: drops its watches (they never fire), deletes its
  // ephemerals (firing other sessions' watches), opens a new session, then delivers kExpired.
  // Watches that had already fired but were held while disconnected are dropped too.
  void ExpireSessionForTests();

  // Loses the connection: delivers kSuspended; calls fail with UNAVAILABLE; the session, its
  // ephemerals and its watches stay, and watches that fire meanwhile are held back.
  void DisconnectForTests();
  // Regains the connection within the same session: delivers kConnected, then the held watches.
  void ReconnectForTests();

  // Returns once every watch and session event queued for this coordinator so far has run.
  // Must not be called from a callback.
  void FlushForTests();

 private:
  friend class MemoryTree;

  // Called by the tree (under its lock) when a watch of this coordinator fires.
  void DeliverWatch(Watch watch) EXCLUDES(mu_);
  // UNAVAILABLE while disconnected.
  Status CheckConnected(const char* op, const std::string& path) EXCLUDES(mu_);

  // Constant after construction.
  const std::shared_ptr<MemoryTree> tree_;
  const std::string connect_string_;

  // Internally synchronized.
  CallbackThread events_;

  // Read and written under tree_->mu_ (only changes on expiry).
  int64_t session_id_;

  Mutex mu_;
  bool connected_ GUARDED_BY(mu_) = true;
  std::vector<Watch> held_ GUARDED_BY(mu_);  // fired while disconnected
  SessionListener listener_ GUARDED_BY(mu_);
};

}  // namespace dkv::coord
