#include "common/slot_map.h"

#include <algorithm>
#include <set>

namespace dkv {

void SlotMap::StampChanges(const SlotMap& previous) {
  for (Slot s = 0; s < slot_count(); ++s) {
    const bool same = s < previous.slot_count() && previous.owners_[s] == owners_[s];
    since_[s] = same ? previous.since_[s] : version_;
  }
}

std::vector<Slot> SlotMap::SlotsOf(const std::string& node) const {
  std::vector<Slot> slots;
  for (Slot s = 0; s < slot_count(); ++s) {
    if (owners_[s] == node) slots.push_back(s);
  }
  return slots;
}

std::map<std::string, int32_t> SlotMap::Counts() const {
  std::map<std::string, int32_t> counts;
  for (const auto& owner : owners_) {
    if (!owner.empty()) ++counts[owner];
  }
  return counts;
}

int32_t SlotMap::Rebalance(const std::vector<std::string>& live_nodes,
                           const std::vector<std::string>& frozen_nodes) {
  const std::set<std::string> live(live_nodes.begin(), live_nodes.end());
  const std::set<std::string> frozen(frozen_nodes.begin(), frozen_nodes.end());
  std::map<std::string, std::vector<Slot>> held;  // live node -> the slots it keeps for now
  for (const auto& node : live) held[node];
  std::vector<Slot> pool;  // slots that need a (new) owner
  int32_t frozen_slots = 0;
  for (Slot s = 0; s < slot_count(); ++s) {
    auto it = held.find(owners_[s]);
    if (it != held.end()) {
      it->second.push_back(s);
    } else if (frozen.count(owners_[s])) {
      ++frozen_slots;
    } else {
      pool.push_back(s);
    }
  }
  if (live.empty()) {
    int32_t moved = 0;
    for (Slot s : pool) {
      if (!owners_[s].empty()) ++moved;
      owners_[s].clear();
    }
    return moved;
  }

  // Targets: everyone gets its share of the slots not frozen; the remainder goes to the nodes
  // holding the most already (ties by id), which is what keeps the number of moved slots minimal.
  const int32_t n = static_cast<int32_t>(live.size());
  const int32_t shared = slot_count() - frozen_slots;
  const int32_t base = shared / n;
  int32_t extra = shared % n;
  std::vector<std::string> by_size(live.begin(), live.end());
  std::stable_sort(by_size.begin(), by_size.end(), [&](const std::string& a, const std::string& b) {
    return held[a].size() > held[b].size();
  });
  std::map<std::string, size_t> target;
  for (const auto& node : by_size) {
    target[node] = base + (extra > 0 ? 1 : 0);
    if (extra > 0) --extra;
  }

  // Over-full nodes give up their highest slots; under-full nodes take from the pool.
  for (auto& [node, slots] : held) {
    while (slots.size() > target[node]) {
      pool.push_back(slots.back());
      slots.pop_back();
    }
  }
  std::sort(pool.begin(), pool.end());
  int32_t moved = 0;
  size_t next = 0;
  for (auto& [node, slots] : held) {
    while (slots.size() < target[node]) {
      Slot s = pool[next++];
      if (owners_[s] != node) ++moved;
      owners_[s] = node;
      slots.push_back(s);
    }
  }
  return moved;
}

}  // namespace dkv
