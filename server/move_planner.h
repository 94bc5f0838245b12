// MovePlanner: from the current slot map and the data nodes' states, what the master changes in
// the map at once and which chain changes it makes by copying a slot (docs/migration.md,
// "Master"; DESIGN.md, "Replication: chains per slot").
//
// Each slot has a chain of R = replication_factor() distinct data nodes. The plan, in order:
//  1. Splice out: a member that is not reachable (gone from data/, within its grace period or
//     not, or unreachable) leaves every chain that has a reachable member, at once; the chain's
//     order is otherwise kept (a head that left is replaced by its successor, a tail by its
//     predecessor). A chain without a reachable member keeps its waiting and unreachable members
//     and drops the others; one left empty (its keys are lost) is unassigned.
//  2. The balanced target is SlotMap::Rebalance over the live data nodes that are not draining,
//     with the waiting and unreachable nodes frozen: chains of min(R, live) members, memberships
//     per node differing by at most one, on distinct hosts when the hosts allow, fewest changes.
//  3. At once: an unassigned slot takes its target chain (no keys to copy); a chain longer than R
//     drops members its target lacks, tail first, down to R.
//  4. By copy (SlotMove, one per slot at a time): a chain shorter than min(R, live) is extended
//     by a kAdd from its tail to a target member; otherwise a member its target lacks (draining,
//     or on a node over its share) is replaced by a kReplace at the same position. The chain stays
//     as it is in the returned map until the move commits. Moves go to live nodes only.
// With R = 1 a chain is a slot's owner, and this is the plan of single-owner slots: slots of live
// owners move with their keys, slots of dead owners wait out the grace period, then are
// reassigned empty. Pure functions of their arguments; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/slot.h"
#include "common/slot_map.h"

namespace dkv::server {

// The data nodes as the master sees them when it plans. A node appears in at most one of live,
// draining and waiting; one in `unreachable` is treated as unreachable whichever other list it
// is in.
struct PlanMembers {
  std::vector<std::string> live;      // in data/, not draining: the nodes that get memberships
  std::vector<std::string> draining;  // in data/ and in draining/: they give their memberships away
  // Gone from data/ within their grace period: they keep the chains that have no reachable
  // member, get no others.
  std::vector<std::string> waiting;
  // Node id -> host name, so that a chain's members are on distinct hosts when the hosts allow. A
  // node without an entry is a host of its own.
  std::map<std::string, std::string> hosts = {};
  // In data/, but the master could not reach them: spliced out of chains that have a reachable
  // member, kept (frozen) in the others, given no memberships.
  std::vector<std::string> unreachable = {};
  // Node -> slots whose chain lists it but whose table it lacks (it restarted, or missed
  // effects): it is spliced out of those chains where another member is reachable, as an
  // unreachable member is, and may join them again by copy.
  std::map<std::string, std::vector<Slot>> stale = {};
};

struct SlotMove {
  // kReplace: the copy's target takes `from`'s place in the chain (with R = 1, an owner move).
  // kAdd: `from` is the chain's tail; the target is appended after it (re-replication).
  enum class Kind { kReplace, kAdd };

  Slot slot = 0;
  std::string from;  // the member the keys are copied from
  std::string to;    // the node that joins the chain
  Kind kind = Kind::kReplace;

  bool operator==(const SlotMove& o) const {
    return slot == o.slot && from == o.from && to == o.to && kind == o.kind;
  }
};

struct SlotPlan {
  SlotMap map;                  // the current map with the direct changes made
  int32_t assigned = 0;         // slots whose chain changed directly
  std::vector<SlotMove> moves;  // by (from, to, kind, slot)
  // Node -> the slots (ascending) whose chains it was spliced out of (step 1, chains that kept a
  // reachable member).
  std::map<std::string, std::vector<Slot>> spliced;
};

// Plans over `members` with current.replication_factor(). When no node is live but some are
// draining, the draining nodes keep what they hold (there is nowhere to move it) and share the
// slots nobody holds. The returned map keeps `current`'s version, epoch, R and stamps.
SlotPlan PlanSlots(const SlotMap& current, const PlanMembers& members);

// One migration: slots changing chains the same way, between the same two data nodes, together.
struct MoveBatch {
  std::string from;
  std::string to;
  SlotMove::Kind kind = SlotMove::Kind::kReplace;
  std::vector<Slot> slots;  // ascending
};

// Groups `moves` into batches of at most `max_slots` (> 0) slots per (from, to, kind), in the
// order of those triples.
std::vector<MoveBatch> BatchMoves(const std::vector<SlotMove>& moves, int32_t max_slots);

}  // namespace dkv::server
