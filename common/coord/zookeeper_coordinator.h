// ZooKeeperCoordinator: the Coordinator on a real ZooKeeper ensemble, through the multithreaded C
// client (libzookeeper_mt). docs/coordination.md describes the mapping and session handling.
//
// Lifecycle: Connect() opens the first session (or fails within connect_timeout). From then on the
// coordinator always works towards one live session: when the connection drops it reports
// kSuspended, and kConnected if the same session comes back; when the session expires it closes
// the old handle, opens a new session (retrying with backoff, each attempt bounded by
// connect_timeout) and then reports kExpired. The destructor closes the session (ZooKeeper deletes
// its ephemerals at once), stops the event thread, and returns only when no callback is running
// or will run.
//
// Threads:
//  - callers: every public method is synchronous and thread-safe. Calls pin the current session
//    for their duration and fail fast with UNAVAILABLE while it is not connected (suspended,
//    expired, being replaced), so none waits much beyond the session timeout.
//  - ZooKeeper's IO and completion threads (inside the C client): our C watcher functions run on
//    the completion thread; they only record state and post to the event thread, never block.
//  - the event thread (a CallbackThread, owned here): runs user watches and the session listener
//    one at a time, and replaces expired sessions (so no user callback runs meanwhile).
//
// Lock order: mu_ before the CallbackThread's internal lock. mu_ is never held while calling into
// the ZooKeeper client (zoo_*, zookeeper_init/close), since ZooKeeper's completion thread takes
// mu_ in our watcher functions and zookeeper_close joins that thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/coord/callback_thread.h"
#include "common/coord/coordinator.h"
#include "common/deadline.h"
#include "common/mutex.h"

struct _zhandle;  // zhandle_t of <zookeeper/zookeeper.h>, kept out of this header

namespace dkv::coord {

class ZooKeeperCoordinator final : public Coordinator {
 public:
  // Opens a session. UNAVAILABLE naming the connect string if none is established within
  // options.connect_timeout; INVALID_ARGUMENT for a malformed connect string.
  static Result<std::unique_ptr<ZooKeeperCoordinator>> Connect(const ZooKeeperOptions& options);

  // Must not be called from a watch or the session listener.
  ~ZooKeeperCoordinator() override;

  ZooKeeperCoordinator(const ZooKeeperCoordinator&) = delete;
  ZooKeeperCoordinator& operator=(const ZooKeeperCoordinator&) = delete;

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
  const std::string& connect_string() const override { return options_.connect_string; }

  // ZooKeeper's id of the current session; 0 while there is none. For logs and tests.
  int64_t session_id();

  // Ends the current session from outside, as the server would on expiry: opens a second handle
  // on the same session and closes it. The coordinator then sees the expiry, opens a new session
  // and reports kExpired, as in production; usually within milliseconds, at worst after about the
  // session timeout (when the client keeps a connection the server no longer serves). For tests.
  // UNAVAILABLE if not connected.
  Status ExpireSessionForTests();

 private:
  struct Session;
  struct WatchContext;
  class SessionPin;

  explicit ZooKeeperCoordinator(const ZooKeeperOptions& options);

  // C watcher functions registered with the client; run on ZooKeeper's completion thread.
  static void SessionWatcherFn(_zhandle* zh, int type, int state, const char* path, void* ctx);
  static void WatchFiredFn(_zhandle* zh, int type, int state, const char* path, void* ctx);
  void OnSessionState(Session* session, int state) EXCLUDES(mu_);
  void OnWatchFired(WatchContext* context) EXCLUDES(mu_);

  // Opens a session, publishes it as current_ and waits until it is connected (or `deadline`
  // passes, or the coordinator shuts down: then it closes it again). UNAVAILABLE.
  Status OpenSession(Deadline deadline) EXCLUDES(mu_);
  // Unpublishes current_, waits for the calls pinning it, closes its handle, frees its watches.
  void CloseCurrentSession() EXCLUDES(mu_);
  // Event thread: handles one session state change of session `generation`; `was_connected`:
  // whether the session had been connected before this change.
  void HandleSessionState(uint64_t generation, int state, bool was_connected) EXCLUDES(mu_);
  // Event thread: replaces an expired session; false if the coordinator shut down meanwhile.
  bool ReplaceSession() EXCLUDES(mu_);
  void NotifyListener(SessionEvent event) EXCLUDES(mu_);

  // Registers `watch` for one call on `session`: the context lives until it fires, is found
  // unregistered (ForgetWatch), or the session is closed.
  WatchContext* RememberWatch(Session* session, Watch watch) EXCLUDES(mu_);
  void ForgetWatch(WatchContext* context) EXCLUDES(mu_);

  // Maps a ZooKeeper return code to a Status naming the operation, path and ensemble.
  Status ToStatus(int rc, const char* op, const std::string& path) const;

  // Constant after construction.
  const ZooKeeperOptions options_;

  // Internally synchronized.
  CallbackThread events_;

  Mutex mu_;
  CondVar cv_{&mu_};  // signalled on session state changes, call completion and shutdown
  std::unique_ptr<Session> current_ GUARDED_BY(mu_);  // null while none is open
  uint64_t last_generation_ GUARDED_BY(mu_) = 0;
  bool shutting_down_ GUARDED_BY(mu_) = false;
  SessionListener listener_ GUARDED_BY(mu_);
};

}  // namespace dkv::coord
