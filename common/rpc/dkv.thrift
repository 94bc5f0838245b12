// dkv's one schema: the client-facing service, the master->data service, and the payloads of the
// ZooKeeper znodes (serialized with TBinaryProtocol, see common/rpc/thrift_codec.h).
// Generated C++ lives in the build tree only; code outside common/rpc and the *_service.cc handlers
// sees dkv::Status and plain C++ types instead.

namespace cpp dkv.rpc

// One-to-one with dkv::Status::Code (common/include/dkv/status.h); OK is never sent.
enum ErrorCode {
  NOT_MASTER = 1,
  NO_DATA_NODES = 2,
  KEY_TOO_LARGE = 3,
  VALUE_TOO_LARGE = 4,
  UNAVAILABLE = 5,
  WRONG_NODE = 6,
  STALE_EPOCH = 7,
  INVALID_ARGUMENT = 8,
  NOT_FOUND = 9,
  ALREADY_EXISTS = 10,
  VERSION_MISMATCH = 11,
  TIMED_OUT = 12,
  IO_ERROR = 13,
  INTERNAL = 14,
}

exception DkvError {
  1: ErrorCode code,
  2: string message,
  // Set with NOT_MASTER: the Thrift address (host:port) of the master, when one is known.
  3: optional string master_address,
}

struct GetReply {
  1: bool found,
  2: binary value,
}

// ---- znode payloads (layout in docs/architecture.md) ----

// servers/srv-<seq> (id is the znode name) and data/<node-id>
struct MemberRecord {
  1: string id,
  2: string address,   // advertised Thrift host:port
  3: i32 pid,
  4: string host,      // host name of the machine it runs on
}

// clients/cli-<seq>
struct ClientRecord {
  1: string host,
  2: i32 pid,
}

// master
struct MasterRecord {
  1: string server_id,
  2: string address,
  3: i64 epoch,
  // The master's size limits, so clients refuse an oversized key or value before sending it.
  4: i64 max_key_bytes,
  5: i64 max_value_bytes,
}

// epoch
struct EpochRecord {
  1: i64 epoch,
}

// slotmap: slot s belongs to nodes[owners[s]]; owners[s] == -1 means unassigned.
struct SlotMapRecord {
  1: i64 epoch,         // epoch of the master that wrote this version
  2: i64 version,       // raised by one on every write
  3: i32 slot_count,
  4: list<string> nodes,
  5: list<i32> owners,
  // owner_since[s]: the version in which slot s's owner got it (empty in maps written before it
  // existed: all 0).
  6: list<i64> owner_since,
}

// ---- status ----

struct DataNodeStatus {
  1: string id,
  2: string address,
  3: i32 slots,         // slots assigned to it in the slot map
  4: i64 keys,          // keys it holds; -1 when it did not answer
}

struct ClusterStatus {
  1: string cluster,
  2: MasterRecord master,
  3: list<MemberRecord> standbys,
  4: list<DataNodeStatus> data_nodes,
  5: i32 clients,
  6: i32 slot_count,
  7: i64 slot_map_version,
  // Slots reassigned empty (their keys lost) since this master took over: their data node died
  // and did not come back within the grace period, or came back as a new process.
  8: i64 lost_slots,
  // Data nodes gone from data/ that still own slots, within their grace period.
  9: list<string> departed_data_nodes,
}

// Served by dkv-server. Only the master serves; a standby throws NOT_MASTER with the master's address.
// (Thrift reserves the word "set", so the IDL says put/unsafe_put for the API's Set/UnsafeSet.)
service Dkv {
  GetReply get(1: binary key) throws (1: DkvError error),
  void put(1: binary key, 2: binary value) throws (1: DkvError error),
  bool remove(1: binary key) throws (1: DkvError error),   // true if the key existed
  oneway void unsafe_put(1: binary key, 2: binary value),  // no reply, no error report
  ClusterStatus status() throws (1: DkvError error),
}

// What fences every master->data call: the caller's epoch and the slot map version it routed with.
struct Fence {
  1: i64 epoch,
  2: i64 map_version,
}

struct DataNodeStats {
  1: string id,
  2: i32 slots,         // slots it owns under its current slot map
  3: i64 keys,
  4: i64 map_version,
  5: i64 epoch,         // highest master epoch it has seen
}

// Served by dkv-data, called by the master only. The data node computes the key's slot itself and
// refuses it with WRONG_NODE unless it owns that slot under slot map version fence.map_version, and
// with STALE_EPOCH if fence.epoch is below the highest epoch it has seen.
service DataNode {
  GetReply get(1: Fence fence, 2: binary key) throws (1: DkvError error),
  void put(1: Fence fence, 2: binary key, 3: binary value) throws (1: DkvError error),
  bool remove(1: Fence fence, 2: binary key) throws (1: DkvError error),
  oneway void unsafe_put(1: Fence fence, 2: binary key, 3: binary value),
  DataNodeStats stats() throws (1: DkvError error),
}
