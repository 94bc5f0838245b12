// Coordinator: the small slice of ZooKeeper that dkv uses (znodes, ephemeral members, one-shot
// watches, session events), behind an interface so that logic classes (Election, the data node's
// slot ownership, ...) can be unit-tested with MemoryCoordinator and run for real on ZooKeeper.
//
// ZooKeeper's integer return codes become Status here and nowhere else:
//   ZNONODE -> NOT_FOUND, ZNODEEXISTS -> ALREADY_EXISTS, ZBADVERSION -> VERSION_MISMATCH,
//   connection loss / expired session / timeouts -> UNAVAILABLE (the message says which),
//   ZBADARGUMENTS (a malformed path) -> INVALID_ARGUMENT, anything else -> INTERNAL.
// Data above ZooKeeper's packet limit (~1 MB) is refused up front with INVALID_ARGUMENT, since
// ZooKeeper would drop the connection instead of answering.
//
// Threads: every method is thread-safe and synchronous, bounded by the session timeout. Watch
// callbacks and the session listener run one at a time on the coordinator's own event thread (never
// ZooKeeper's completion thread), so they may call back into the Coordinator; they should not block
// for long, since they delay every later event.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::coord {

enum class NodeMode {
  kPersistent,
  kEphemeral,            // deleted when the creating session ends
  kEphemeralSequential,  // as kEphemeral, with a 10-digit sequence number appended to the name
};

struct NodeData {
  std::string data;
  int32_t version = 0;  // ZooKeeper's data version, for conditional Set/Delete
};

enum class SessionEvent {
  kSuspended,  // the connection was lost; the session (and its ephemerals) may still be alive
  kConnected,  // connected again within the same session: nothing was lost
  kExpired,    // the session ended: its ephemerals and watches are gone. The coordinator has
               // already opened a new session, so the listener re-registers right away.
};

// One-shot, as in ZooKeeper: fires once on the next change of what was read (data, existence or
// children). Watches set in a session that expires never fire; the kExpired listener re-reads.
using Watch = std::function<void()>;
using SessionListener = std::function<void(SessionEvent)>;

class Coordinator {
 public:
  virtual ~Coordinator() = default;

  // Creates `path` holding `data`. For kEphemeralSequential, `path` is a prefix and the name
  // created is stored in *created_path (when non-null). ALREADY_EXISTS, NOT_FOUND (no parent).
  virtual Status Create(const std::string& path, const std::string& data, NodeMode mode,
                        std::string* created_path = nullptr) = 0;

  // Creates `path` and its missing ancestors as empty persistent nodes; OK if it already exists.
  virtual Status CreateAll(const std::string& path) = 0;

  // Data and version of `path`; NOT_FOUND. `watch` fires on the next change or deletion.
  virtual Result<NodeData> Get(const std::string& path, Watch watch = nullptr) = 0;

  // Whether `path` exists. `watch` fires when it is created, changed or deleted.
  virtual Result<bool> Exists(const std::string& path, Watch watch = nullptr) = 0;

  // Names (not paths) of the children of `path`, sorted; NOT_FOUND. `watch` fires when the set
  // of children changes or `path` is deleted.
  virtual Result<std::vector<std::string>> GetChildren(const std::string& path,
                                                       Watch watch = nullptr) = 0;

  // Replaces the data of `path` if its version is `expected_version` (-1: any); returns the new
  // version. NOT_FOUND, VERSION_MISMATCH.
  virtual Result<int32_t> Set(const std::string& path, const std::string& data,
                              int32_t expected_version = -1) = 0;

  // Deletes `path` if its version is `expected_version` (-1: any). NOT_FOUND, VERSION_MISMATCH.
  virtual Status Delete(const std::string& path, int32_t expected_version = -1) = 0;

  // Replaces the session listener (nullptr: none). Called on the event thread.
  virtual void SetSessionListener(SessionListener listener) = 0;

  // The connect string, for messages.
  virtual const std::string& connect_string() const = 0;
};

struct ZooKeeperOptions {
  std::string connect_string = "127.0.0.1:2181";  // host:port[,host:port...][/chroot]
  std::chrono::milliseconds session_timeout{4000};
  // How long Connect waits for the first session before UNAVAILABLE naming the connect string.
  std::chrono::milliseconds connect_timeout{5000};
};

// Opens a ZooKeeper session. Thereafter the coordinator keeps one alive: on expiry it opens a new
// session (retrying with backoff) and then reports kExpired.
Result<std::unique_ptr<Coordinator>> ConnectZooKeeper(const ZooKeeperOptions& options);

}  // namespace dkv::coord
