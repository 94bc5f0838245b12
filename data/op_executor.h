// OpExecutor: runs one Op (common/op.h) on the Store with Redis 7's semantics, replies and error
// texts, atomically under the lock of the op's slot (all the slots of an MSETNX at once). The
// table in common/op.h is the contract; where it is silent, Redis 7.0 decides (index rules of
// GETRANGE/SETRANGE, number parsing of INCRBY/INCRBYFLOAT, EXPIRE's NX/XX/GT/LT, ...).
//
// Answers that are not Redis replies (Reply::Failed): what ValidateOp refuses
// (common/op_validation.h: an unknown op code, a db out of range, a key or value over the limits,
// ...), and what the Store refuses (WRONG_NODE when the slot was dropped meanwhile, MOVING while
// its writes are paused). FLUSHDB and FLUSHALL flush every slot whose writes are not paused and
// answer MOVING if one was.
//
// Thread-safety: Execute may be called from any number of threads at once; the Store serializes
// per slot.
#pragma once

#include <vector>

#include "common/limits.h"
#include "common/op.h"
#include "common/slot.h"
#include "data/store.h"

namespace dkv::data {

class OpExecutor {
 public:
  // `store` is not owned and must outlive the executor. Values (and SETRANGE/APPEND results)
  // above limits.max_value_bytes, keys above limits.max_key_bytes, are refused.
  OpExecutor(Store* store, Limits limits) : store_(store), limits_(limits) {}

  // Executes `op`, whose slots the caller has checked against the node's slot map: `slots` holds
  // the slot of op.key for a single-key op, the slot of each key (args[0], args[2], ...) for
  // MSETNX, arg1 for SCAN, and nothing for the ops every node runs. The (slot, seq) pairs the
  // reply must wait for before it is given (Store::Access) are appended to `waits`.
  Reply Execute(const Op& op, const std::vector<Slot>& slots,
                std::vector<SlotSeq>* waits = nullptr);

 private:
  Reply ExecuteOnKey(const Op& op, LockedSlot& table) const;
  Reply Set(const Op& op, LockedSlot& table, size_t pos) const;
  Reply Append(const Op& op, LockedSlot& table, size_t pos) const;
  Reply IncrBy(const Op& op, LockedSlot& table, size_t pos) const;
  Reply IncrByFloat(const Op& op, LockedSlot& table, size_t pos) const;
  Reply GetRange(const Op& op, LockedSlot& table, size_t pos) const;
  Reply SetRange(const Op& op, LockedSlot& table, size_t pos) const;
  Reply Expire(const Op& op, LockedSlot& table, size_t pos) const;
  Reply MSetNx(const Op& op, const std::vector<Slot>& slots, std::vector<SlotSeq>* waits);
  Reply Scan(const Op& op, Slot slot, std::vector<SlotSeq>* waits);
  Reply DbSize(const Op& op, std::vector<SlotSeq>* waits);
  Reply Flush(int32_t db, std::vector<SlotSeq>* waits);  // every database when db < 0
  Reply RandomKey(const Op& op, std::vector<SlotSeq>* waits);

  Store* const store_;
  const Limits limits_;
};

}  // namespace dkv::data
