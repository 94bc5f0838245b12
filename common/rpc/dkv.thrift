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
  MOVING = 15,
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

// ---- commands (Redis string and key commands; common/op.h is their C++ form and the contract of
// what each one does) ----

enum OpCode {
  // Routed by the slot of `key`, executed atomically on the data node that owns it.
  GET = 1,
  SET = 2,
  DEL = 3,
  EXISTS = 4,
  TYPE = 5,
  GETDEL = 6,
  GETEX = 7,
  APPEND = 8,
  STRLEN = 9,
  INCRBY = 10,
  INCRBYFLOAT = 11,
  GETRANGE = 12,
  SETRANGE = 13,
  EXPIRE = 14,
  PERSIST = 15,
  PTTL = 16,
  MSETNX = 17,
  // Routed by slot number (arg1), not by key.
  SCAN = 30,
  // Sent to every data node.
  DBSIZE = 31,
  FLUSHDB = 32,
  FLUSHALL = 33,
  RANDOMKEY = 34,
}

// Op and Reply leave a field at its default value (0, empty) off the wire: the optional fields
// are written only when set (common/rpc/op_codec.cc), and a reader takes a missing one as its
// default, so a GET costs its code and key, not nine fields. Readers of either form agree.
struct Op {
  1: OpCode code,
  2: optional i32 db,             // keyspace index, 0..15 (Redis SELECT)
  3: binary key,
  4: optional binary value,
  5: optional i64 arg1,
  6: optional i64 arg2,
  7: optional i64 expire_at_ms,   // absolute Unix time in ms; 0 = none
  8: optional i32 flags,          // OpFlag bits (common/op.h)
  9: optional list<binary> pairs,  // MSETNX: k1, v1, k2, v2, ...
}

enum ReplyType {
  NIL = 0,
  STATUS = 1,
  INTEGER = 2,
  BULK = 3,
  ARRAY = 4,
  ERROR = 5,
}

struct Reply {
  1: ReplyType type,
  2: optional i64 integer,
  3: optional binary str,             // STATUS text, BULK bytes, ERROR text as Redis words it
  4: optional list<binary> elements,  // ARRAY of bulk strings
  // Set when the op was not executed for a reason the router handles (WRONG_NODE, MOVING,
  // NO_DATA_NODES, UNAVAILABLE, KEY_TOO_LARGE, ...): str then holds the message.
  5: optional ErrorCode error,
}

// ---- znode payloads (layout in docs/architecture.md) ----

// servers/srv-<seq> (id is the znode name) and data/<node-id>
struct MemberRecord {
  1: string id,
  2: string address,   // advertised Thrift host:port
  3: i32 pid,
  4: string host,      // host name of the machine it runs on
  5: string resp_address,  // servers: advertised RESP host:port; empty when --resp-port is 0
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
  6: string resp_address,  // the master's RESP host:port; empty when off
}

// epoch
struct EpochRecord {
  1: i64 epoch,
}

// slotmap: slot s's chain is nodes[chains[s][0]] (head), ..., nodes[chains[s][last]] (tail);
// owners[s] is its head's index, -1 when the slot is unassigned. Maps whose every chain has at most
// one member leave chains and chain_since off (as maps written before chains existed): a record
// without chains has the one-member chains {nodes[owners[s]]}.
struct SlotMapRecord {
  1: i64 epoch,         // epoch of the master that wrote this version
  2: i64 version,       // raised by one on every write
  3: i32 slot_count,
  4: list<string> nodes,
  5: list<i32> owners,
  // owner_since[s]: the version in which slot s's head joined its chain (empty in maps written
  // before it existed: all 0).
  6: list<i64> owner_since,
  7: optional list<list<i32>> chains,      // node indices per slot, head first
  8: optional list<list<i64>> chain_since,  // chain_since[s][i]: when chains[s][i] joined it
  9: optional i32 replication_factor,       // R; absent = 1
}

// ---- slot moves (docs/migration.md) ----

// One key, or one part of a big value, copied from a slot's old owner to its new one.
struct MigrationEntry {
  1: i32 db,
  2: binary key,
  3: binary value,        // the bytes of the value at [offset, offset + size(value))
  4: i64 expire_at_ms,    // 0 = none
  5: i64 offset,          // 0 for the first (or only) part
  6: i64 total_size,      // the whole value's size; complete when offset + size(value) == total_size
  7: bool deleted,        // the key was removed after it was copied (final delta)
}

struct MigrationStatus {
  1: i64 migration_id,
  2: string phase,        // "copying", "delta", "frozen", "committed", "failed", "aborted"
  3: i64 keys_copied,
  4: i64 keys_total,      // keys in the slots when the copy started
  5: i64 bytes_copied,
  6: string error,        // why it failed, when phase == "failed"
}

// draining/<node-id>: a request that the node's slots move away and the node then leaves.
struct DrainRecord {
  1: i64 requested_at_ms,
  2: bool leave_when_done,   // tell the node to exit once it owns no slot
}

// ---- status ----

struct SlotMoveStatus {
  1: i64 migration_id,
  2: string from_node,
  3: string to_node,
  4: list<i32> slots,
  5: string phase,
  6: i64 keys_copied,
  7: i64 keys_total,
  8: i64 bytes_copied,
  // "replace": to_node takes from_node's place in the chains; "add": to_node is appended after
  // from_node, the tail (re-replication). Servers from before chains send none: "replace".
  9: string kind = "replace",
  10: i64 keys_per_second,  // keys_copied over the time since the move started
}

struct DataNodeStatus {
  1: string id,
  2: string address,
  3: i32 slots,         // slots whose chain it is a member of (with R = 1, the slots it owns)
  4: i64 keys,          // keys it holds; -1 when it did not answer
  5: optional i32 head_slots,  // slots whose chain it heads; unset by servers from before chains
}

struct ClusterStatus {
  1: string cluster,
  2: MasterRecord master,
  3: list<MemberRecord> standbys,
  4: list<DataNodeStatus> data_nodes,
  5: i32 clients,
  6: i32 slot_count,
  7: i64 slot_map_version,
  // How many distinct slots were reassigned empty (their keys lost) since this master took over:
  // their data node died and did not come back within the grace period, or came back as a new
  // process. Which ones: lost_slot_ids.
  8: i64 lost_slots,
  // Data nodes gone from data/ that still own slots, within their grace period.
  9: list<string> departed_data_nodes,
  10: list<SlotMoveStatus> moves,           // slot moves in progress
  11: list<string> draining_data_nodes,
  12: i64 moved_slots,                      // slot moves completed since this master took over
  13: list<i32> lost_slot_ids,              // the lost slots, ascending
  // Chains (docs/replication.md); servers from before chains send none of these.
  14: i32 replication_factor = 1,           // R: the members each slot's chain should have
  15: i32 under_replicated_slots,           // slots whose chain has fewer than R members
  16: list<i32> under_replicated_slot_ids,  // those slots, ascending
  // What an operator should know, one sentence each (e.g. R above the live data nodes).
  17: list<string> warnings,
}

struct DrainReply {
  1: i32 slots_to_move,
}

struct RebalanceReply {
  1: i32 slots_to_move,
}

struct ReplicasReply {
  1: i32 replication_factor,  // R now
  // Live data nodes that are not draining: chains have min(R, data_nodes) members.
  2: i32 data_nodes,
}

// Served by dkv-server. Only the master serves; a standby throws NOT_MASTER with the master's address.
// (Thrift reserves the word "set", so the IDL says put/unsafe_put for the API's Set/UnsafeSet.)
// get, put and remove are one-op executes (GET, SET, DEL in db 0) kept for clients that call them;
// dkv's client library sends execute.
service Dkv {
  GetReply get(1: binary key) throws (1: DkvError error),
  void put(1: binary key, 2: binary value) throws (1: DkvError error),
  bool remove(1: binary key) throws (1: DkvError error),   // true if the key existed
  oneway void unsafe_put(1: binary key, 2: binary value),  // no reply, no error report
  ClusterStatus status() throws (1: DkvError error),
  // Commands in order; replies[i] answers ops[i]. Ops are grouped per data node into one call
  // each. Not atomic across keys.
  list<Reply> execute(1: list<Op> ops) throws (1: DkvError error),
  // Moves every slot of the data node away (then tells it to leave when leave_when_done);
  // NOT_FOUND for an unknown node.
  DrainReply drain(1: string data_node_id, 2: bool leave_when_done) throws (1: DkvError error),
  // Recomputes the balanced slot map over the live data nodes and starts the moves it needs.
  RebalanceReply rebalance() throws (1: DkvError error),
  // Sets the replication factor R: chains longer than R shrink at once, shorter ones grow by
  // copies in the background. INVALID_ARGUMENT for R outside 1..16.
  ReplicasReply replicas(1: i32 replication_factor) throws (1: DkvError error),
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
  // The answering process: when it is not the pid data/<id> names, the node restarted (and lost
  // what it held in memory) at the same address, whatever ZooKeeper still shows.
  6: i32 pid,
  // Slots whose chain lists this node but whose table it does not hold (an earlier process's
  // membership, or a stream it missed effects of): the master splices it out of those chains and
  // gives them a member by copy.
  7: list<i32> stale_slots,
}

// ---- chain replication (docs/replication.md) ----

enum EffectKind {
  PUT = 1,    // key holds value, expiring at expire_at_ms (0: never)
  DEL = 2,    // key is absent
  FLUSH = 3,  // every key of db is gone (every database when db is -1)
}

// One change to one slot, numbered by the slot's head (data/effect.h is its C++ form).
struct Effect {
  1: i32 slot,
  2: i64 seq,
  3: EffectKind kind,
  4: optional i32 db,
  5: optional binary key,
  6: optional binary value,
  7: optional i64 expire_at_ms,
}

// A slot and a sequence number in it: "the slot's effects up to seq".
struct SlotSeq {
  1: i32 slot,
  2: i64 seq,
}

// Served by dkv-data, called by the master only. The data node computes the key's slot itself and
// refuses it with WRONG_NODE unless it owns that slot under slot map version fence.map_version, and
// with STALE_EPOCH if fence.epoch is below the highest epoch it has seen.
service DataNode {
  // A SET of key to value in db 0, executed as a batch of that one op; no reply, no error report.
  oneway void unsafe_put(1: Fence fence, 2: binary key, 3: binary value),
  DataNodeStats stats() throws (1: DkvError error),
  // Commands in order, replies[i] answers ops[i]; an op on a slot this node does not own (or
  // whose writes are paused by a move) answers with Reply.error set, the others still execute.
  list<Reply> execute(1: Fence fence, 2: list<Op> ops) throws (1: DkvError error),

  // Slot moves, source side (called by the master). Starts copying `slots` to the node
  // target_id at target_address in the background, tracking writes made meanwhile.
  void migrate_slots(1: Fence fence, 2: i64 migration_id, 3: list<i32> slots,
                     4: string target_id, 5: string target_address) throws (1: DkvError error),
  MigrationStatus migration_status(1: Fence fence, 2: i64 migration_id)
      throws (1: DkvError error),
  // Pauses writes to the slots (MOVING), sends what changed since it was copied, and has the
  // target commit the import. Returns once the target holds everything; the master then flips
  // the slot map. Bounded by the fence's master session (docs/migration.md).
  MigrationStatus finish_migration(1: Fence fence, 2: i64 migration_id)
      throws (1: DkvError error),
  // Forgets the move (source resumes writes; target discards what it imported). Idempotent.
  void abort_migration(1: Fence fence, 2: i64 migration_id) throws (1: DkvError error),

  // Slot moves, target side (called by the source node).
  void import_begin(1: Fence fence, 2: i64 migration_id, 3: list<i32> slots)
      throws (1: DkvError error),
  void import_chunk(1: Fence fence, 2: i64 migration_id, 3: list<MigrationEntry> entries)
      throws (1: DkvError error),
  // seqs: each slot's effect seq on the source, where the copy continues the slot's stream
  // (absent from an older source: 0).
  void import_commit(1: Fence fence, 2: i64 migration_id, 3: list<SlotSeq> seqs)
      throws (1: DkvError error),
  void import_abort(1: Fence fence, 2: i64 migration_id) throws (1: DkvError error),

  // The master asks a drained node (owning no slot) to leave: it deregisters and exits 0.
  void leave() throws (1: DkvError error),

  // Chain replication, called by the predecessor `sender` of this node in the slots' chains under
  // slot map version fence.map_version (which must be this node's: WRONG_NODE for an older one,
  // UNAVAILABLE while a newer one is not visible yet). Effects of one slot come in ascending seq.
  // Answers, per slot of the request, the seq up to which this node and the chain after it
  // applied the slot's effects: the effects above it are to be sent again (the slot is paused by
  // a move, the chain after this node did not answer in time, `from` is not this node's
  // predecessor for the slot, or an effect is out of sequence: logged, never applied).
  list<SlotSeq> replicate(1: Fence fence, 2: string sender, 3: list<Effect> effects)
      throws (1: DkvError error),
}
