// ZooKeeperCoordinator on the multithreaded ZooKeeper C client. See the header for the threads
// and docs/coordination.md for the session state machine.
//
// Watch bookkeeping: every watching call passes its own WatchContext to the C client (zoo_wget,
// zoo_wexists, zoo_wget_children), so each Watch fires once on its own. The client delivers
// session events to every registered watcher too (without unregistering it); those are ignored.
// A context is freed exactly once, by whichever comes first:
//  - the watch fires (the client has then forgotten the registration);
//  - the call failed in a way that registered nothing (the client's rules: data and child watches
//    register on ZOK, exists watches on ZOK and ZNONODE);
//  - the session's handle is closed (zookeeper_close returns after the client's threads stopped).
#include "common/coord/zookeeper_coordinator.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <cinttypes>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "common/coord/znode_path.h"
#include "common/logging.h"

namespace dkv::coord {
namespace {

// Backoff between attempts to open a new session after expiry.
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
// The first read buffer for Get; larger data is read again with a buffer of its exact size.
constexpr int kInitialGetBuffer = 16 * 1024;
// ZooKeeper drops the connection on packets above jute.maxbuffer (1 MiB with the request
// header); refuse such data up front instead of losing the connection.
constexpr size_t kMaxDataSize = 1000 * 1024;

// The C client's own log lines (every refused reconnect, several a second while ZooKeeper is
// down) go to our log at debug level (ZooKeeperLog): what matters to users reaches them as a
// Status or a session event. DKV_ZK_LOG_LEVEL=off|error|warn|info|debug sets how much the client
// produces (default warn). Under ThreadSanitizer the default is off: the client
// formats socket addresses for its log lines into one static buffer, which races (harmlessly,
// garbling a line) when two handles in one process log at once, as in the integration tests.
#if defined(__SANITIZE_THREAD__)  // gcc
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)  // clang
constexpr bool kThreadSanitizer = __has_feature(thread_sanitizer);
#else
constexpr bool kThreadSanitizer = false;
#endif

void SetClientLogLevel() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::string level = kThreadSanitizer ? "off" : "warn";
    if (const char* env = getenv("DKV_ZK_LOG_LEVEL")) level = env;
    ZooLogLevel zoo_level = ZOO_LOG_LEVEL_WARN;
    if (level == "off") zoo_level = static_cast<ZooLogLevel>(0);  // 0 disables logging
    if (level == "error") zoo_level = ZOO_LOG_LEVEL_ERROR;
    if (level == "info") zoo_level = ZOO_LOG_LEVEL_INFO;
    if (level == "debug") zoo_level = ZOO_LOG_LEVEL_DEBUG;
    zoo_set_debug_level(zoo_level);
  });
}

void ZooKeeperLog(const char* message) { DKV_LOG(DEBUG) << "zookeeper client: " << message; }

std::string StateName(int state) {
  if (state == ZOO_CONNECTED_STATE) return "connected";
  if (state == ZOO_CONNECTING_STATE) return "connecting";
  if (state == ZOO_ASSOCIATING_STATE) return "associating";
  if (state == ZOO_EXPIRED_SESSION_STATE) return "expired";
  if (state == ZOO_AUTH_FAILED_STATE) return "auth failed";
  if (state == ZOO_READONLY_STATE) return "read-only";
  if (state == ZOO_NOTCONNECTED_STATE) return "not connected";
  return "state " + std::to_string(state);
}

// A no-op watcher for the handle ExpireSessionForTests opens.
void IgnoreEvents(zhandle_t*, int, int, const char*, void*) {}

}  // namespace

// One zhandle_t and everything registered through it.
struct ZooKeeperCoordinator::Session {
  ZooKeeperCoordinator* coordinator = nullptr;
  uint64_t generation = 0;  // constant; names the session in queued events
  zhandle_t* zh = nullptr;  // set before the session is published; closed by CloseCurrentSession

  // Guarded by coordinator->mu_ (nested struct: not expressible as GUARDED_BY).
  int zk_state = 0;             // the last state the client reported to the session watcher
  bool ever_connected = false;  // the client has reported ZOO_CONNECTED_STATE at least once
  int calls_in_flight = 0;      // SessionPins holding this session
  bool retired = false;         // unpublished; being closed
  std::unordered_map<WatchContext*, std::unique_ptr<WatchContext>> watches;

  // Event thread only.
  bool suspended = false;  // kSuspended delivered, kConnected not yet
};

struct ZooKeeperCoordinator::WatchContext {
  Session* session;
  Watch watch;
};

// Pins the current session for one call so that its handle stays open; UNAVAILABLE when there is
// no connected session.
class ZooKeeperCoordinator::SessionPin {
 public:
  SessionPin(ZooKeeperCoordinator* c, const char* op, const std::string& path) : c_(c) {
    {
      MutexLock lock(&c_->mu_);
      if (c_->current_ == nullptr || c_->shutting_down_) {
        status_ =
            Status::Unavailable(std::string(op) + " " + path + ": no ZooKeeper session with " +
                                c_->connect_string() + " (opening a new one)");
        return;
      }
      session_ = c_->current_.get();
      ++session_->calls_in_flight;
    }
    // zoo_state reads the client's own view, which is ahead of our watcher's.
    int state = zoo_state(session_->zh);
    if (state != ZOO_CONNECTED_STATE) {
      status_ = Status::Unavailable(std::string(op) + " " + path + ": not connected to ZooKeeper " +
                                    c_->connect_string() + " (session " + StateName(state) + ")");
    }
  }
  ~SessionPin() {
    if (session_ == nullptr) return;
    MutexLock lock(&c_->mu_);
    if (--session_->calls_in_flight == 0) c_->cv_.SignalAll();
  }
  SessionPin(const SessionPin&) = delete;
  SessionPin& operator=(const SessionPin&) = delete;

  const Status& status() const { return status_; }
  Session* session() const { return session_; }
  zhandle_t* zh() const { return session_->zh; }

 private:
  ZooKeeperCoordinator* const c_;
  Session* session_ = nullptr;
  Status status_;
};

Result<std::unique_ptr<Coordinator>> ConnectZooKeeper(const ZooKeeperOptions& options) {
  DKV_ASSIGN_OR_RETURN(std::unique_ptr<ZooKeeperCoordinator> zk,
                       ZooKeeperCoordinator::Connect(options));
  return std::unique_ptr<Coordinator>(std::move(zk));
}

Result<std::unique_ptr<ZooKeeperCoordinator>> ZooKeeperCoordinator::Connect(
    const ZooKeeperOptions& options) {
  SetClientLogLevel();
  if (options.connect_string.empty()) {
    return Status::InvalidArgument("empty ZooKeeper connect string");
  }
  std::unique_ptr<ZooKeeperCoordinator> zk(new ZooKeeperCoordinator(options));
  DKV_RETURN_NOT_OK(zk->OpenSession(Deadline::After(options.connect_timeout)));
  return zk;
}

ZooKeeperCoordinator::ZooKeeperCoordinator(const ZooKeeperOptions& options) : options_(options) {}

ZooKeeperCoordinator::~ZooKeeperCoordinator() {
  DKV_CHECK(!events_.IsCurrentThread()) << "ZooKeeperCoordinator destroyed from its own callback";
  {
    MutexLock lock(&mu_);
    shutting_down_ = true;
    cv_.SignalAll();
  }
  // A session replacement in progress on the event thread sees shutting_down_ and gives up.
  events_.Shutdown();
  CloseCurrentSession();
}

// ---- ZooKeeper's completion thread ----

void ZooKeeperCoordinator::SessionWatcherFn(zhandle_t*, int type, int state, const char*,
                                            void* ctx) {
  if (type != ZOO_SESSION_EVENT) return;  // node events come through WatchFiredFn only
  auto* session = static_cast<Session*>(ctx);
  session->coordinator->OnSessionState(session, state);
}

void ZooKeeperCoordinator::WatchFiredFn(zhandle_t*, int type, int, const char*, void* ctx) {
  // The client copies session events to every registered watcher; a watch fires only on a node
  // event (which also unregisters it).
  if (type == ZOO_SESSION_EVENT || type == ZOO_NOTWATCHING_EVENT) return;
  auto* context = static_cast<WatchContext*>(ctx);
  context->session->coordinator->OnWatchFired(context);
}

void ZooKeeperCoordinator::OnSessionState(Session* session, int state) {
  MutexLock lock(&mu_);
  session->zk_state = state;
  // Whether this session had been connected before this event: only then does "connecting" mean
  // a lost connection (kSuspended) rather than a first connection still under way.
  bool was_connected = session->ever_connected;
  if (state == ZOO_CONNECTED_STATE) session->ever_connected = true;
  cv_.SignalAll();
  if (session->retired || shutting_down_) return;
  uint64_t generation = session->generation;
  events_.Post([this, generation, state, was_connected] {
    HandleSessionState(generation, state, was_connected);
  });
}

void ZooKeeperCoordinator::OnWatchFired(WatchContext* context) {
  MutexLock lock(&mu_);
  auto& watches = context->session->watches;
  auto it = watches.find(context);
  if (it == watches.end()) return;
  Watch watch = std::move(it->second->watch);
  watches.erase(it);  // frees `context`
  if (watch != nullptr && !shutting_down_) events_.Post(std::move(watch));
}

// ---- session management ----

Status ZooKeeperCoordinator::OpenSession(Deadline deadline) {
  auto owned = std::make_unique<Session>();
  Session* session = owned.get();
  session->coordinator = this;
  {
    MutexLock lock(&mu_);
    if (shutting_down_) return Status::Unavailable("ZooKeeper coordinator is shutting down");
    session->generation = ++last_generation_;
  }
  // Not under mu_: the session watcher may run (and take mu_) before zookeeper_init returns.
  zhandle_t* zh = zookeeper_init2(
      options_.connect_string.c_str(), &ZooKeeperCoordinator::SessionWatcherFn,
      static_cast<int>(options_.session_timeout.count()), nullptr, session, 0, &ZooKeeperLog);
  if (zh == nullptr) {
    int err = errno;
    if (err == EINVAL) {
      return Status::InvalidArgument("bad ZooKeeper connect string '" + options_.connect_string +
                                     "'");
    }
    return Status::Unavailable("cannot create a ZooKeeper handle for " + options_.connect_string +
                               ": " + strerror(err));
  }
  bool connected;
  bool shutting_down;
  {
    MutexLock lock(&mu_);
    session->zh = zh;
    DKV_CHECK(current_ == nullptr) << "opening a session while another is current";
    current_ = std::move(owned);
    while (session->zk_state != ZOO_CONNECTED_STATE &&
           session->zk_state != ZOO_EXPIRED_SESSION_STATE &&
           session->zk_state != ZOO_AUTH_FAILED_STATE && !shutting_down_ && !deadline.Expired()) {
      cv_.WaitUntil(deadline.when());
    }
    connected = session->zk_state == ZOO_CONNECTED_STATE;
    shutting_down = shutting_down_;
  }
  if (connected) {
    DKV_LOG(INFO) << "ZooKeeper session 0x" << std::hex << zoo_client_id(zh)->client_id << std::dec
                  << " with " << options_.connect_string << ", timeout " << zoo_recv_timeout(zh)
                  << " ms";
    return Status::OK();
  }
  CloseCurrentSession();
  if (shutting_down) return Status::Unavailable("ZooKeeper coordinator is shutting down");
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.connect_timeout);
  return Status::Unavailable("cannot reach ZooKeeper at " + options_.connect_string + " within " +
                             std::to_string(timeout.count()) + " ms");
}

void ZooKeeperCoordinator::CloseCurrentSession() {
  std::unique_ptr<Session> session;
  {
    MutexLock lock(&mu_);
    if (current_ == nullptr) return;
    session = std::move(current_);
    session->retired = true;
    // Calls on an expired or closing handle return at once; on a live one they end within the
    // session timeout, so this wait is bounded.
    while (session->calls_in_flight > 0) cv_.Wait();
  }
  // Deletes the session's ephemerals at once if it is still alive. Returns after the client's
  // threads have stopped: no watcher function runs for this session afterwards.
  int rc = zookeeper_close(session->zh);
  if (rc != ZOK) {
    DKV_LOG(WARNING) << "closing ZooKeeper session with " << options_.connect_string << ": "
                     << zerror(rc);
  }
  MutexLock lock(&mu_);
  session->watches.clear();  // the never-fired watches of a closed session
}

void ZooKeeperCoordinator::HandleSessionState(uint64_t generation, int state, bool was_connected) {
  Session* session;
  {
    MutexLock lock(&mu_);
    // Only the event thread replaces current_, so it stays valid below.
    if (current_ == nullptr || current_->generation != generation || shutting_down_) return;
    session = current_.get();
  }
  if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE) {
    if (was_connected && !session->suspended) {
      session->suspended = true;
      DKV_LOG(WARNING) << "lost the connection to ZooKeeper " << options_.connect_string
                       << "; session suspended";
      NotifyListener(SessionEvent::kSuspended);
    }
  } else if (state == ZOO_CONNECTED_STATE) {
    if (session->suspended) {
      session->suspended = false;
      DKV_LOG(INFO) << "reconnected to ZooKeeper " << options_.connect_string
                    << " within the session";
      NotifyListener(SessionEvent::kConnected);
    }
  } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
    DKV_LOG(WARNING) << "ZooKeeper session with " << options_.connect_string << " "
                     << StateName(state) << "; opening a new one";
    if (ReplaceSession()) NotifyListener(SessionEvent::kExpired);
  }
}

bool ZooKeeperCoordinator::ReplaceSession() {
  CloseCurrentSession();
  std::chrono::milliseconds backoff = kMinBackoff;
  while (true) {
    Status s = OpenSession(Deadline::After(options_.connect_timeout));
    if (s.ok()) return true;
    MutexLock lock(&mu_);
    if (shutting_down_) return false;
    DKV_LOG(WARNING) << "no new ZooKeeper session yet: " << s.ToString() << "; retrying in "
                     << backoff.count() << " ms";
    Deadline retry = Deadline::After(backoff);
    while (!shutting_down_ && !retry.Expired()) cv_.WaitUntil(retry.when());
    if (shutting_down_) return false;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void ZooKeeperCoordinator::NotifyListener(SessionEvent event) {
  SessionListener listener;
  {
    MutexLock lock(&mu_);
    listener = listener_;
  }
  if (listener != nullptr) listener(event);
}

void ZooKeeperCoordinator::SetSessionListener(SessionListener listener) {
  MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

int64_t ZooKeeperCoordinator::session_id() {
  SessionPin pin(this, "session_id", "");
  if (pin.session() == nullptr) return 0;
  return zoo_client_id(pin.zh())->client_id;
}

Status ZooKeeperCoordinator::ExpireSessionForTests() {
  clientid_t id;
  uint64_t generation;
  {
    SessionPin pin(this, "expire session", "");
    DKV_RETURN_NOT_OK(pin.status());
    id = *zoo_client_id(pin.zh());
    generation = pin.session()->generation;
  }  // unpinned: replacing the session waits for pins
  std::string hosts = options_.connect_string.substr(0, options_.connect_string.find('/'));
  auto replaced = [&]() REQUIRES(mu_) {
    return current_ == nullptr || current_->generation != generation ||
           current_->zk_state == ZOO_EXPIRED_SESSION_STATE;
  };
  // A second handle attaching to the session makes the server drop our connection; closing it
  // ends the session. But our client reconnects within a millisecond and may take the session
  // back before the close arrives: then the close ends nothing, and we try again. Once the
  // server has ended the session, a second handle cannot attach any more (it is told "expired"),
  // and we only wait for our client to notice: at once if the server dropped its connection, or
  // after about 2/3 of the session timeout if the server left it open and silent.
  Deadline deadline = Deadline::After(options_.connect_timeout + 2 * options_.session_timeout);
  bool session_ended = false;
  while (!deadline.Expired()) {
    if (!session_ended) {
      zhandle_t* other = zookeeper_init2(hosts.c_str(), &IgnoreEvents,
                                         static_cast<int>(options_.session_timeout.count()), &id,
                                         nullptr, 0, &ZooKeeperLog);
      if (other == nullptr) {
        return Status::Unavailable("zookeeper_init: " + std::string(strerror(errno)));
      }
      // Test-only: polling the second handle's state is simpler than a watcher with a condvar.
      Deadline attach = Deadline::After(options_.connect_timeout);
      int state = zoo_state(other);
      while (state != ZOO_CONNECTED_STATE && state != ZOO_EXPIRED_SESSION_STATE &&
             !attach.Expired()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        state = zoo_state(other);
      }
      session_ended = state == ZOO_EXPIRED_SESSION_STATE;
      zookeeper_close(other);  // if connected: ends the session on the server
    }
    MutexLock lock(&mu_);
    Deadline check = session_ended ? deadline : Deadline::After(std::chrono::milliseconds(200));
    while (!replaced() && !shutting_down_ && !check.Expired()) cv_.WaitUntil(check.when());
    if (replaced()) return Status::OK();
    if (shutting_down_) return Status::Unavailable("ZooKeeper coordinator is shutting down");
  }
  return Status::TimedOut("the session with " + options_.connect_string + " did not expire");
}

// ---- watches ----

ZooKeeperCoordinator::WatchContext* ZooKeeperCoordinator::RememberWatch(Session* session,
                                                                        Watch watch) {
  auto context = std::make_unique<WatchContext>(WatchContext{session, std::move(watch)});
  WatchContext* raw = context.get();
  MutexLock lock(&mu_);
  session->watches.emplace(raw, std::move(context));
  return raw;
}

void ZooKeeperCoordinator::ForgetWatch(WatchContext* context) {
  MutexLock lock(&mu_);
  context->session->watches.erase(context);
}

// ---- operations ----

Status ZooKeeperCoordinator::ToStatus(int rc, const char* op, const std::string& path) const {
  std::string what = std::string(op) + " " + path + ": " + zerror(rc);
  switch (rc) {
    case ZNONODE:
      return Status::NotFound(what);
    case ZNODEEXISTS:
      return Status::AlreadyExists(what);
    case ZBADVERSION:
      return Status::VersionMismatch(what);
    case ZBADARGUMENTS:
      return Status::InvalidArgument(what);
    case ZCONNECTIONLOSS:
    case ZOPERATIONTIMEOUT:
    case ZSESSIONEXPIRED:
    case ZSESSIONMOVED:
    case ZINVALIDSTATE:
    case ZCLOSING:
    case ZNOTHING:
      return Status::Unavailable(what + " (ZooKeeper " + options_.connect_string + ")");
    default:
      return Status::Internal(what + " (ZooKeeper " + options_.connect_string + ", code " +
                              std::to_string(rc) + ")");
  }
}

Status ZooKeeperCoordinator::Create(const std::string& path, const std::string& data, NodeMode mode,
                                    std::string* created_path) {
  if (data.size() > kMaxDataSize) {
    return Status::InvalidArgument("create " + path + ": " + std::to_string(data.size()) +
                                   " bytes of data, more than ZooKeeper accepts");
  }
  int flags = 0;
  if (mode == NodeMode::kEphemeral) flags = ZOO_EPHEMERAL;
  if (mode == NodeMode::kEphemeralSequential) flags = ZOO_EPHEMERAL_SEQUENTIAL;
  SessionPin pin(this, "create", path);
  DKV_RETURN_NOT_OK(pin.status());
  std::string created(path.size() + 16, '\0');  // room for the 10-digit sequence number
  int rc =
      zoo_create(pin.zh(), path.c_str(), data.data(), static_cast<int>(data.size()),
                 &ZOO_OPEN_ACL_UNSAFE, flags, created.data(), static_cast<int>(created.size()));
  if (rc != ZOK) return ToStatus(rc, "create", path);
  if (created_path != nullptr) *created_path = created.c_str();
  return Status::OK();
}

Status ZooKeeperCoordinator::CreateAll(const std::string& path) {
  if (!IsValidZnodePath(path)) return Status::InvalidArgument("create " + path + ": bad path");
  if (path == "/") return Status::OK();
  SessionPin pin(this, "create", path);
  DKV_RETURN_NOT_OK(pin.status());
  size_t next = 0;
  do {
    next = path.find('/', next + 1);
    std::string prefix = path.substr(0, next);
    int rc = zoo_create(pin.zh(), prefix.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return ToStatus(rc, "create", prefix);
  } while (next != std::string::npos);
  return Status::OK();
}

Result<NodeData> ZooKeeperCoordinator::Get(const std::string& path, Watch watch) {
  SessionPin pin(this, "get", path);
  DKV_RETURN_NOT_OK(pin.status());
  WatchContext* context = watch ? RememberWatch(pin.session(), std::move(watch)) : nullptr;
  std::string buffer(kInitialGetBuffer, '\0');
  int length = static_cast<int>(buffer.size());
  Stat stat{};
  int rc = context != nullptr
               ? zoo_wget(pin.zh(), path.c_str(), &ZooKeeperCoordinator::WatchFiredFn, context,
                          buffer.data(), &length, &stat)
               : zoo_get(pin.zh(), path.c_str(), 0, buffer.data(), &length, &stat);
  if (rc != ZOK) {
    if (context != nullptr) ForgetWatch(context);  // data watches register on ZOK only
    return ToStatus(rc, "get", path);
  }
  // The data did not fit: read it again with a buffer of its size. The watch set above stays;
  // if the data changed in between it fires, which is what the caller wants.
  while (stat.dataLength > length) {
    buffer.assign(static_cast<size_t>(stat.dataLength), '\0');
    length = stat.dataLength;
    rc = zoo_get(pin.zh(), path.c_str(), 0, buffer.data(), &length, &stat);
    if (rc != ZOK) return ToStatus(rc, "get", path);
  }
  buffer.resize(length < 0 ? 0 : static_cast<size_t>(length));  // -1: the node holds null
  return NodeData{std::move(buffer), stat.version};
}

Result<bool> ZooKeeperCoordinator::Exists(const std::string& path, Watch watch) {
  SessionPin pin(this, "exists", path);
  DKV_RETURN_NOT_OK(pin.status());
  WatchContext* context = watch ? RememberWatch(pin.session(), std::move(watch)) : nullptr;
  Stat stat{};
  int rc = context != nullptr ? zoo_wexists(pin.zh(), path.c_str(),
                                            &ZooKeeperCoordinator::WatchFiredFn, context, &stat)
                              : zoo_exists(pin.zh(), path.c_str(), 0, &stat);
  if (rc == ZOK) return true;
  if (rc == ZNONODE) return false;
  if (context != nullptr) ForgetWatch(context);  // exists watches register on ZOK and ZNONODE
  return ToStatus(rc, "exists", path);
}

Result<std::vector<std::string>> ZooKeeperCoordinator::GetChildren(const std::string& path,
                                                                   Watch watch) {
  SessionPin pin(this, "get children of", path);
  DKV_RETURN_NOT_OK(pin.status());
  WatchContext* context = watch ? RememberWatch(pin.session(), std::move(watch)) : nullptr;
  String_vector children{};
  int rc = context != nullptr
               ? zoo_wget_children(pin.zh(), path.c_str(), &ZooKeeperCoordinator::WatchFiredFn,
                                   context, &children)
               : zoo_get_children(pin.zh(), path.c_str(), 0, &children);
  if (rc != ZOK) {
    if (context != nullptr) ForgetWatch(context);  // child watches register on ZOK only
    return ToStatus(rc, "get children of", path);
  }
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(children.count));
  for (int32_t i = 0; i < children.count; ++i) names.emplace_back(children.data[i]);
  deallocate_String_vector(&children);
  std::sort(names.begin(), names.end());
  return names;
}

Result<int32_t> ZooKeeperCoordinator::Set(const std::string& path, const std::string& data,
                                          int32_t expected_version) {
  if (data.size() > kMaxDataSize) {
    return Status::InvalidArgument("set " + path + ": " + std::to_string(data.size()) +
                                   " bytes of data, more than ZooKeeper accepts");
  }
  SessionPin pin(this, "set", path);
  DKV_RETURN_NOT_OK(pin.status());
  Stat stat{};
  int rc = zoo_set2(pin.zh(), path.c_str(), data.data(), static_cast<int>(data.size()),
                    expected_version, &stat);
  if (rc != ZOK) return ToStatus(rc, "set", path);
  return stat.version;
}

Status ZooKeeperCoordinator::Delete(const std::string& path, int32_t expected_version) {
  SessionPin pin(this, "delete", path);
  DKV_RETURN_NOT_OK(pin.status());
  int rc = zoo_delete(pin.zh(), path.c_str(), expected_version);
  if (rc != ZOK) return ToStatus(rc, "delete", path);
  return Status::OK();
}

}  // namespace dkv::coord
