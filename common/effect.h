// Effect: one change to one slot's keys, as the slot's head made it, numbered by the slot's
// sequence (DESIGN.md, "Slot replicas and the effect stream"). An effect says what changed, never
// the command that changed it: a key now holds this value with this absolute expiry, a key is
// gone, a database of the slot was emptied. So it is deterministic and self-contained: INCRBYFLOAT
// travels as the value it produced, EXPIRE as the absolute time, an expiry as the deletion.
//
// The head of a slot's chain numbers its effects 1, 2, 3, ... (per slot, under the slot's lock);
// every other member applies them in that order exactly once (a repeated number is skipped, a gap
// is refused), so "up to seq n" names one state of the slot on every member.
#pragma once

#include <cstdint>
#include <string>

#include "common/slot.h"

namespace dkv {

struct Effect {
  enum class Kind : int8_t {
    kPut = 1,    // key holds value, expiring at expire_at_ms (0: never)
    kDel = 2,    // key is absent
    kFlush = 3,  // every key of database db is gone (of every database when db < 0)
  };
  Slot slot = 0;
  uint64_t seq = 0;
  Kind kind = Kind::kPut;
  int32_t db = 0;
  std::string key;
  std::string value;
  int64_t expire_at_ms = 0;

  // Key and value bytes, what batching limits count.
  size_t bytes() const { return key.size() + value.size(); }
};

// A slot and a sequence number in it: "the slot's effects up to seq".
struct SlotSeq {
  Slot slot = 0;
  uint64_t seq = 0;
};

}  // namespace dkv
