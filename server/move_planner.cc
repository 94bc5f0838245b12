#include "server/move_planner.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace dkv::server {

SlotPlan PlanSlots(const SlotMap& current, const PlanMembers& members) {
  // With no live node left, the draining nodes take the slots nobody owns (better than none),
  // but no slot moves between them.
  const std::vector<std::string>& owners = members.live.empty() ? members.draining : members.live;
  SlotMap target = current;
  target.Rebalance(owners, members.waiting);

  const std::set<std::string> live(members.live.begin(), members.live.end());
  std::set<std::string> has_keys(live);
  has_keys.insert(members.draining.begin(), members.draining.end());
  SlotPlan plan{current, 0, {}};
  for (Slot s = 0; s < current.slot_count(); ++s) {
    const std::string& from = current.Owner(s);
    const std::string& to = target.Owner(s);
    if (from == to) continue;
    if (!has_keys.count(from)) {
      plan.map.Assign(s, to);
      ++plan.assigned;
    } else if (live.count(to)) {
      plan.moves.push_back(SlotMove{s, from, to});
    }
  }
  std::sort(plan.moves.begin(), plan.moves.end(), [](const SlotMove& a, const SlotMove& b) {
    return std::tie(a.from, a.to, a.slot) < std::tie(b.from, b.to, b.slot);
  });
  return plan;
}

std::vector<MoveBatch> BatchMoves(const std::vector<SlotMove>& moves, int32_t max_slots) {
  std::map<std::pair<std::string, std::string>, std::vector<Slot>> by_pair;
  for (const SlotMove& m : moves) by_pair[{m.from, m.to}].push_back(m.slot);
  std::vector<MoveBatch> batches;
  for (auto& [pair, slots] : by_pair) {
    std::sort(slots.begin(), slots.end());
    for (size_t i = 0; i < slots.size(); i += static_cast<size_t>(max_slots)) {
      const size_t end = std::min(slots.size(), i + static_cast<size_t>(max_slots));
      batches.push_back(MoveBatch{pair.first, pair.second,
                                  std::vector<Slot>(slots.begin() + i, slots.begin() + end)});
    }
  }
  return batches;
}

}  // namespace dkv::server
