#include "server/move_planner.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

namespace dkv::server {
namespace {

bool Contains(const std::vector<std::string>& chain, const std::string& node) {
  return std::find(chain.begin(), chain.end(), node) != chain.end();
}

}  // namespace

SlotPlan PlanSlots(const SlotMap& current, const PlanMembers& members) {
  const std::set<std::string> unreachable(members.unreachable.begin(), members.unreachable.end());
  std::set<std::string> live;       // live, not draining, reachable: where memberships go
  std::set<std::string> reachable;  // live or draining, reachable: members that hold keys
  for (const auto* ids : {&members.live, &members.draining}) {
    for (const std::string& id : *ids) {
      if (unreachable.count(id)) continue;
      reachable.insert(id);
      if (ids == &members.live) live.insert(id);
    }
  }
  std::vector<std::string> frozen(members.waiting);
  frozen.insert(frozen.end(), unreachable.begin(), unreachable.end());
  const std::set<std::string> kept_frozen(frozen.begin(), frozen.end());

  // A member without the slot's table holds nothing there.
  std::set<std::pair<std::string, Slot>> stale;
  for (const auto& [node, slots] : members.stale) {
    for (Slot s : slots) stale.emplace(node, s);
  }

  // 1. Splice out.
  SlotPlan plan{current, 0, {}, {}};
  for (Slot s = 0; s < current.slot_count(); ++s) {
    const std::vector<std::string>& chain = current.Chain(s);
    auto holds = [&](const std::string& m) {
      return reachable.count(m) > 0 && !stale.count({m, s});
    };
    const bool has_reachable = std::any_of(chain.begin(), chain.end(), holds);
    std::vector<std::string> kept;
    for (const std::string& m : chain) {
      if (has_reachable ? holds(m) : kept_frozen.count(m) > 0) {
        kept.push_back(m);
      } else if (has_reachable) {
        plan.spliced[m].push_back(s);
      }
    }
    if (kept.size() == chain.size()) continue;
    plan.map.SetChain(s, std::move(kept));
    ++plan.assigned;
  }

  // 2. The target. With no live node left, the draining nodes take the slots nobody holds
  // (better than none), but no slot moves between them.
  const std::vector<std::string> owners(live.empty() ? reachable.begin() : live.begin(),
                                        live.empty() ? reachable.end() : live.end());
  SlotMap target = plan.map;
  target.Rebalance(owners, frozen, members.hosts);

  const size_t r = static_cast<size_t>(std::max(current.replication_factor(), 1));
  const size_t width = std::min(r, live.size());
  for (Slot s = 0; s < current.slot_count(); ++s) {
    std::vector<std::string> chain = plan.map.Chain(s);
    const std::vector<std::string>& goal = target.Chain(s);
    if (chain == goal) continue;
    // 3. Direct changes.
    if (chain.empty() || chain.size() > r) {
      const bool was_empty = chain.empty();
      if (was_empty) chain = goal;
      for (size_t i = chain.size(); i-- > 0 && chain.size() > r;) {
        if (!Contains(goal, chain[i])) chain.erase(chain.begin() + i);
      }
      const bool counted = plan.map.Chain(s) != current.Chain(s);
      plan.map.SetChain(s, chain);
      if (!counted) ++plan.assigned;
      if (was_empty) continue;
    }
    // 4. One move per slot: extend first, else replace by position.
    auto joining = std::find_if(goal.begin(), goal.end(), [&](const std::string& m) {
      return !Contains(chain, m) && live.count(m) > 0;
    });
    if (joining == goal.end()) continue;
    if (chain.size() < width) {
      plan.moves.push_back(SlotMove{s, chain.back(), *joining, SlotMove::Kind::kAdd});
      continue;
    }
    for (size_t i = 0; i < chain.size(); ++i) {
      if (Contains(goal, chain[i])) continue;
      // The joining member that the target put in this place, if any, keeps the heads where
      // Rebalance balanced them.
      if (i < goal.size() && !Contains(chain, goal[i]) && live.count(goal[i])) {
        joining = goal.begin() + static_cast<std::ptrdiff_t>(i);
      }
      plan.moves.push_back(SlotMove{s, chain[i], *joining, SlotMove::Kind::kReplace});
      break;
    }
  }
  std::sort(plan.moves.begin(), plan.moves.end(), [](const SlotMove& a, const SlotMove& b) {
    return std::tie(a.from, a.to, a.kind, a.slot) < std::tie(b.from, b.to, b.kind, b.slot);
  });
  return plan;
}

std::vector<MoveBatch> BatchMoves(const std::vector<SlotMove>& moves, int32_t max_slots) {
  std::map<std::tuple<std::string, std::string, SlotMove::Kind>, std::vector<Slot>> by_kind;
  for (const SlotMove& m : moves) by_kind[{m.from, m.to, m.kind}].push_back(m.slot);
  std::vector<MoveBatch> batches;
  for (auto& [key, slots] : by_kind) {
    std::sort(slots.begin(), slots.end());
    for (size_t i = 0; i < slots.size(); i += static_cast<size_t>(max_slots)) {
      const size_t end = std::min(slots.size(), i + static_cast<size_t>(max_slots));
      batches.push_back(MoveBatch{std::get<0>(key), std::get<1>(key), std::get<2>(key),
                                  std::vector<Slot>(slots.begin() + i, slots.begin() + end)});
    }
  }
  return batches;
}

}  // namespace dkv::server
