// MovePlanner: from the current slot map and the data nodes' states, what the master changes at
// once and which slots it moves by migration (docs/migration.md, "Master").
//
// The balanced target is SlotMap::Rebalance over the live data nodes that are not draining (counts
// differ by at most one, fewest slots change owner). A slot whose owner is live (draining or not)
// keeps its keys: it reaches its target owner by a move (SlotMove), and stays with its owner in the
// returned map until that move commits. A slot with no live owner (unassigned, or its node gone
// past its grace period) has no keys to copy: the returned map gives it to its target directly.
// Pure functions of their arguments; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/slot.h"
#include "common/slot_map.h"

namespace dkv::server {

// The data nodes as the master sees them when it plans; a node appears in at most one list.
struct PlanMembers {
  std::vector<std::string> live;      // in data/, not draining: the nodes that get slots
  std::vector<std::string> draining;  // in data/ and in draining/: they give their slots away
  // Gone from data/ within their grace period: they keep the slots they own, get no others.
  std::vector<std::string> waiting;
};

struct SlotMove {
  Slot slot = 0;
  std::string from;
  std::string to;

  bool operator==(const SlotMove& o) const {
    return slot == o.slot && from == o.from && to == o.to;
  }
};

struct SlotPlan {
  SlotMap map;                  // the current map with the direct assignments made
  int32_t assigned = 0;         // slots given to a new owner directly (no live owner had them)
  std::vector<SlotMove> moves;  // by (from, to, slot)
};

// Plans over `members`. When no node is live but some are draining, the draining nodes keep what
// they own (there is nowhere to move it) and share the slots nobody owns. The returned map keeps
// `current`'s version, epoch and owner stamps.
SlotPlan PlanSlots(const SlotMap& current, const PlanMembers& members);

// One migration: slots moving from one data node to another together.
struct MoveBatch {
  std::string from;
  std::string to;
  std::vector<Slot> slots;  // ascending
};

// Groups `moves` into batches of at most `max_slots` (> 0) slots per (from, to) pair, in the
// order of the pairs.
std::vector<MoveBatch> BatchMoves(const std::vector<SlotMove>& moves, int32_t max_slots);

}  // namespace dkv::server
