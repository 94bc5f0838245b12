// Op and Reply: one command on the data nodes' keys and its answer, the unit the RESP front end,
// the client library and the master's router exchange (Dkv.execute, DataNode.execute in
// common/rpc/dkv.thrift; common/rpc/op_codec.h converts).
//
// The commands are Redis 7's string and key commands, split so that each Op touches one key (or,
// for MSETNX, keys of one data node) and is executed atomically by the data node that owns the
// key's slot. Replies are shaped like RESP2 replies so a front end writes them as they come.
// Times are absolute Unix milliseconds: a front end turns EX/PX/EXPIRE into expire_at_ms with its
// own clock (as Redis propagates PXAT to its replicas).
//
//   code          key  uses                               reply
//   kGet          yes                                     BULK, or NIL when absent
//   kSet          yes  value, expire_at_ms, flags         STATUS "OK"; NIL when NX/XX refused it;
//                      (kNx|kXx|kKeepTtl|kGet)            with kGet: the old value (BULK/NIL)
//   kDel          yes                                     INTEGER 1 or 0
//   kExists       yes                                     INTEGER 1 or 0
//   kType         yes                                     STATUS "string" or "none"
//   kGetDel       yes                                     BULK or NIL
//   kGetEx        yes  expire_at_ms, flags (kPersist)     BULK or NIL
//   kAppend       yes  value                              INTEGER new length
//   kStrlen       yes                                     INTEGER (0 when absent)
//   kIncrBy       yes  arg1 = delta                       INTEGER, or ERROR "ERR value is not an
//                                                         integer or out of range" / "ERR
//                                                         increment or decrement would overflow"
//   kIncrByFloat  yes  value = increment as text          BULK (Redis 7's "%.17Lf" with trailing
//                                                         zeros cut), or ERROR
//   kGetRange     yes  arg1 = start, arg2 = end           BULK ("" when absent)
//   kSetRange     yes  arg1 = offset, value               INTEGER new length
//   kExpire       yes  expire_at_ms, flags (kNx|kXx|kGt|kLt)  INTEGER 1 or 0; a time in the past
//                                                         deletes the key (1)
//   kPersist      yes                                     INTEGER 1 or 0
//   kPTtl         yes                                     INTEGER ms left, -1 no expiry, -2 absent
//   kMSetNx       args = k1, v1, k2, v2, ... (one node)   INTEGER 1 if all were set, 0 if any
//                                                         existed (then none is set)
//   kScan         arg1 = slot, value = MATCH pattern      ARRAY of the slot's keys in db (glob
//                 (empty = all)                           match as Redis's stringmatchlen)
//   kDbSize       (every node)                            INTEGER keys in db
//   kFlushDb      (every node)                            STATUS "OK"
//   kFlushAll     (every node; db ignored)                STATUS "OK"
//   kRandomKey    (every node)                            BULK or NIL
//
// Expired keys are absent to every op. A Reply with `error` set was not executed: the data node
// does not own the slot (WRONG_NODE), the slot's writes are paused by a move (MOVING), or the key
// or value is over the limits; the router re-routes or reports it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/status.h"

namespace dkv {

enum class OpCode : int32_t {
  kGet = 1,
  kSet = 2,
  kDel = 3,
  kExists = 4,
  kType = 5,
  kGetDel = 6,
  kGetEx = 7,
  kAppend = 8,
  kStrlen = 9,
  kIncrBy = 10,
  kIncrByFloat = 11,
  kGetRange = 12,
  kSetRange = 13,
  kExpire = 14,
  kPersist = 15,
  kPTtl = 16,
  kMSetNx = 17,
  kScan = 30,
  kDbSize = 31,
  kFlushDb = 32,
  kFlushAll = 33,
  kRandomKey = 34,
};

// Bits of Op::flags.
enum OpFlag : int32_t {
  kNx = 1 << 0,
  kXx = 1 << 1,
  kKeepTtl = 1 << 2,
  kGetOld = 1 << 3,  // SET ... GET
  kGt = 1 << 4,
  kLt = 1 << 5,
  kPersist = 1 << 6,  // GETEX PERSIST
};

// How an op is routed (see the table above).
enum class OpRouting { kByKey, kBySlot, kEveryNode };
OpRouting RoutingOf(OpCode code);
// Whether the op may change data (paused while its slot is moved).
bool IsWrite(OpCode code);

inline constexpr int32_t kDatabases = 16;

// The most that one request carries where dkv batches calls itself (the client's and the master's
// combiners, the client's asynchronous calls): ops, and bytes of keys and values. A single call
// above it goes alone.
inline constexpr size_t kMaxBatchOps = 1024;
inline constexpr size_t kMaxBatchBytes = size_t{1} << 20;

struct Op {
  OpCode code = OpCode::kGet;
  int32_t db = 0;
  std::string key;
  std::string value;
  int64_t arg1 = 0;
  int64_t arg2 = 0;
  int64_t expire_at_ms = 0;
  int32_t flags = 0;
  std::vector<std::string> args;
};

// An op of `code` on `key` in db 0, with `value` (what the table above says the code uses).
Op KeyOp(OpCode code, std::string_view key, std::string_view value = {});

struct Reply {
  enum class Type { kNil = 0, kStatus = 1, kInteger = 2, kBulk = 3, kArray = 4, kError = 5 };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;                    // STATUS text, BULK bytes, ERROR text ("ERR ...")
  std::vector<std::string> elements;  // ARRAY of bulk strings
  // Not executed (see the file comment); str holds the message.
  std::optional<Status::Code> error;

  static Reply Nil() { return Reply{}; }
  static Reply Ok() { return StatusReply("OK"); }
  static Reply StatusReply(std::string text);
  static Reply Integer(int64_t value);
  static Reply Bulk(std::string bytes);
  static Reply Array(std::vector<std::string> elements);
  static Reply Error(std::string text);       // a Redis error reply, e.g. "ERR value is not ..."
  static Reply Failed(const Status& status);  // requires !status.ok()

  // The Status of a Reply with `error` set, OK otherwise.
  Status ToStatus() const;
};

}  // namespace dkv
