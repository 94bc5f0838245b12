// SlotMap: the chain of data nodes of each slot, as stored in the cluster's `slotmap` znode.
//
// Each slot has a chain of distinct data nodes, head first, tail last (DESIGN.md, "Replication:
// chains per slot"); with replication factor 1 the chain is the slot's one owner. The master
// computes the map (Rebalance, server/move_planner.h) and writes it; data nodes read it to know
// which slots they hold and where in their chains. A value type, thread-compatible; it knows
// nothing of ZooKeeper or Thrift (the codec is in common/rpc/metadata_codec.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/slot.h"

namespace dkv {

class SlotMap {
 public:
  SlotMap() = default;  // no slots: the map of a cluster that has none yet
  explicit SlotMap(int32_t slot_count) : chains_(slot_count), since_(slot_count) {}

  int32_t slot_count() const { return static_cast<int32_t>(chains_.size()); }
  // Raised by one by every write of the map; 0 for a map never written.
  int64_t version() const { return version_; }
  void set_version(int64_t version) { version_ = version; }
  // Epoch of the master that wrote this version.
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t epoch) { epoch_ = epoch; }
  // R: how many members each slot's chain should have (>= 1; 1 unless set).
  int32_t replication_factor() const { return replication_factor_; }
  void set_replication_factor(int32_t r) { replication_factor_ = r; }

  // Every accessor below requires 0 <= slot < slot_count().

  // The slot's chain, head first; empty when the slot is unassigned.
  const std::vector<std::string>& Chain(Slot slot) const { return chains_[slot]; }
  // Replaces the chain; `chain` must hold distinct, non-empty ids. Members that were already in
  // the chain keep their stamps, new ones get 0 until StampChanges.
  void SetChain(Slot slot, std::vector<std::string> chain);
  // The head, or "" when the slot is unassigned.
  const std::string& Owner(Slot slot) const;
  // The tail (the head of a one-member chain), or "" when the slot is unassigned.
  const std::string& Tail(Slot slot) const;
  // Sets the chain to {node}, or unassigns the slot when `node` is "".
  void Assign(Slot slot, std::string node);
  bool IsMember(Slot slot, const std::string& node) const { return Position(slot, node) >= 0; }
  // The node's index in the chain (0 = head), -1 when it is not a member.
  int Position(Slot slot, const std::string& node) const;
  // The member after (before) `node` in the chain; "" at the tail (head) or when `node` is not a
  // member.
  std::string Successor(Slot slot, const std::string& node) const;
  std::string Predecessor(Slot slot, const std::string& node) const;

  // The map version in which `node` joined the slot's chain; 0 when it is not a member, or in a
  // map written before stamps existed. A data node that held a slot under an older version and
  // holds it again here knows from this whether it was out of the chain in between (and so its old
  // table is stale), even if it never saw the versions in between.
  int64_t MemberSince(Slot slot, const std::string& node) const;
  // MemberSince of the head (0 when unassigned).
  int64_t OwnerSince(Slot slot) const { return MemberSince(slot, Owner(slot)); }
  // Sets the stamp of member `node` (the codec's use); a node that is not a member is ignored.
  void SetMemberSince(Slot slot, const std::string& node, int64_t version);
  // Every member that was a member of the same slot in `previous` keeps `previous`'s stamp; every
  // other member gets this map's version. Call after set_version, before writing the map.
  void StampChanges(const SlotMap& previous);

  // Slots that `node` heads, ascending.
  std::vector<Slot> SlotsOf(const std::string& node) const;
  // Slots whose chain contains `node`, ascending.
  std::vector<Slot> MemberSlotsOf(const std::string& node) const;
  // Slots headed per node (unassigned slots are not counted).
  std::map<std::string, int32_t> Counts() const;
  // Chain memberships per node.
  std::map<std::string, int32_t> MemberCounts() const;
  // Slots whose chain has fewer than replication_factor() members (unassigned ones included),
  // ascending.
  std::vector<Slot> UnderReplicated() const;

  // Reassigns chain members so that every chain has min(R, live) distinct members of
  // `live_nodes`, memberships per live node differ by at most one, and as few memberships as
  // possible change: members that are live stay in their chains (at their positions) unless their
  // node holds more than its share or the chain is longer than that. A node over its share leaves
  // the chains it heads beyond its share of heads first, so the heads stay balanced too, and
  // chains that a node below its share can join before the others; where the members still cannot
  // be balanced so, memberships are exchanged along a series of chains (a leaves a chain that b
  // joins, b leaves one that c joins...) from nodes over their share to nodes under it. New
  // members take the places of those that left (a head that left is replaced by a new head) or are
  // appended, preferring nodes below their share, then nodes whose `hosts` entry (node id -> host;
  // a node without one is a host of its own) differs from the other members', then (for a head)
  // nodes heading the fewest chains, then nodes sharing the fewest chains with the other members
  // (so that a dead node's chains are re-replicated from many nodes). With no live node every
  // chain becomes empty. A chain with a member in `frozen_nodes` (absent, waiting to come back) is
  // left as it is and not counted. Returns the number of slots whose chain changed. Does not touch
  // version, epoch, R or stamps.
  int32_t Rebalance(const std::vector<std::string>& live_nodes,
                    const std::vector<std::string>& frozen_nodes = {},
                    const std::map<std::string, std::string>& hosts = {});

  bool operator==(const SlotMap& o) const {
    return chains_ == o.chains_ && since_ == o.since_ &&
           replication_factor_ == o.replication_factor_ && version_ == o.version_ &&
           epoch_ == o.epoch_;
  }

 private:
  std::vector<std::vector<std::string>> chains_;
  std::vector<std::vector<int64_t>> since_;  // MemberSince per slot, parallel to chains_
  int32_t replication_factor_ = 1;
  int64_t version_ = 0;
  int64_t epoch_ = 0;
};

}  // namespace dkv
