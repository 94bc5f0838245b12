#include "common/slot_map.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <tuple>

namespace dkv {
namespace {

const std::string kNoNode;

bool Contains(const std::vector<std::string>& chain, const std::string& node) {
  return std::find(chain.begin(), chain.end(), node) != chain.end();
}

}  // namespace

void SlotMap::SetChain(Slot slot, std::vector<std::string> chain) {
  std::vector<int64_t> since(chain.size());
  for (size_t i = 0; i < chain.size(); ++i) {
    assert(!chain[i].empty());
    assert(std::find(chain.begin(), chain.begin() + i, chain[i]) == chain.begin() + i);
    since[i] = MemberSince(slot, chain[i]);
  }
  chains_[slot] = std::move(chain);
  since_[slot] = std::move(since);
}

const std::string& SlotMap::Owner(Slot slot) const {
  return chains_[slot].empty() ? kNoNode : chains_[slot].front();
}

const std::string& SlotMap::Tail(Slot slot) const {
  return chains_[slot].empty() ? kNoNode : chains_[slot].back();
}

void SlotMap::Assign(Slot slot, std::string node) {
  if (node.empty()) {
    SetChain(slot, {});
  } else {
    SetChain(slot, {std::move(node)});
  }
}

int SlotMap::Position(Slot slot, const std::string& node) const {
  const std::vector<std::string>& chain = chains_[slot];
  const auto it = std::find(chain.begin(), chain.end(), node);
  return it == chain.end() ? -1 : static_cast<int>(it - chain.begin());
}

std::string SlotMap::Successor(Slot slot, const std::string& node) const {
  const int i = Position(slot, node);
  return i < 0 || i + 1 == static_cast<int>(chains_[slot].size()) ? "" : chains_[slot][i + 1];
}

std::string SlotMap::Predecessor(Slot slot, const std::string& node) const {
  const int i = Position(slot, node);
  return i <= 0 ? "" : chains_[slot][i - 1];
}

int64_t SlotMap::MemberSince(Slot slot, const std::string& node) const {
  const int i = Position(slot, node);
  return i < 0 ? 0 : since_[slot][i];
}

void SlotMap::SetMemberSince(Slot slot, const std::string& node, int64_t version) {
  const int i = Position(slot, node);
  if (i >= 0) since_[slot][i] = version;
}

void SlotMap::StampChanges(const SlotMap& previous) {
  for (Slot s = 0; s < slot_count(); ++s) {
    for (size_t i = 0; i < chains_[s].size(); ++i) {
      const bool stayed = s < previous.slot_count() && previous.IsMember(s, chains_[s][i]);
      since_[s][i] = stayed ? previous.MemberSince(s, chains_[s][i]) : version_;
    }
  }
}

std::vector<Slot> SlotMap::SlotsOf(const std::string& node) const {
  std::vector<Slot> slots;
  for (Slot s = 0; s < slot_count(); ++s) {
    if (Owner(s) == node) slots.push_back(s);
  }
  return slots;
}

std::vector<Slot> SlotMap::MemberSlotsOf(const std::string& node) const {
  std::vector<Slot> slots;
  for (Slot s = 0; s < slot_count(); ++s) {
    if (IsMember(s, node)) slots.push_back(s);
  }
  return slots;
}

std::map<std::string, int32_t> SlotMap::Counts() const {
  std::map<std::string, int32_t> counts;
  for (const auto& chain : chains_) {
    if (!chain.empty()) ++counts[chain.front()];
  }
  return counts;
}

std::map<std::string, int32_t> SlotMap::MemberCounts() const {
  std::map<std::string, int32_t> counts;
  for (const auto& chain : chains_) {
    for (const auto& node : chain) ++counts[node];
  }
  return counts;
}

std::vector<Slot> SlotMap::UnderReplicated() const {
  std::vector<Slot> slots;
  for (Slot s = 0; s < slot_count(); ++s) {
    if (static_cast<int32_t>(chains_[s].size()) < replication_factor_) slots.push_back(s);
  }
  return slots;
}

int32_t SlotMap::Rebalance(const std::vector<std::string>& live_nodes,
                           const std::vector<std::string>& frozen_nodes,
                           const std::map<std::string, std::string>& hosts) {
  const std::set<std::string> live(live_nodes.begin(), live_nodes.end());
  const std::set<std::string> frozen(frozen_nodes.begin(), frozen_nodes.end());
  const size_t width = std::min(static_cast<size_t>(std::max(replication_factor_, 1)), live.size());
  auto host_of = [&hosts](const std::string& node) -> const std::string& {
    const auto it = hosts.find(node);
    return it == hosts.end() ? node : it->second;
  };
  // Whether `node` shares a host with another member of `chain` ("" = a place to fill).
  auto shares_host = [&](const std::vector<std::string>& chain, const std::string& node) {
    return std::any_of(chain.begin(), chain.end(), [&](const std::string& m) {
      return !m.empty() && m != node && host_of(m) == host_of(node);
    });
  };

  // target[s]: the chain being built, "" for a place that needs a new member; empty for frozen
  // chains (fixed), which stay as they are.
  std::vector<std::vector<std::string>> target(slot_count());
  std::vector<bool> fixed(slot_count());
  std::map<std::string, std::set<Slot>> held;  // live node -> the chains it stays in for now
  for (const auto& node : live) held[node];
  size_t open = 0;  // chains not fixed
  for (Slot s = 0; s < slot_count(); ++s) {
    const auto& chain = chains_[s];
    fixed[s] = std::any_of(chain.begin(), chain.end(),
                           [&](const std::string& m) { return frozen.count(m) > 0; });
    if (fixed[s]) continue;
    ++open;
    for (const auto& m : chain) {
      target[s].push_back(live.count(m) ? m : "");
      if (live.count(m)) held[m].insert(s);
    }
  }
  // Chains with more live members than `width` lose those on the busiest nodes, tail first.
  auto leave = [&](Slot s, size_t i) {
    held[target[s][i]].erase(s);
    target[s][i].clear();
  };
  for (Slot s = 0; s < slot_count(); ++s) {
    for (;;) {
      size_t members = 0, busiest = 0;
      for (size_t i = 0; i < target[s].size(); ++i) {
        if (target[s][i].empty()) continue;
        ++members;
        if (target[s][busiest].empty() ||
            held[target[s][i]].size() >= held[target[s][busiest]].size()) {
          busiest = i;
        }
      }
      if (members <= width) break;
      leave(s, busiest);
    }
  }

  // Targets: everyone gets its share of the memberships; the remainder goes to the nodes holding
  // the most already (ties by id), which is what keeps the number of changes minimal.
  std::map<std::string, size_t> share;
  if (!live.empty()) {
    const size_t total = open * width;
    size_t extra = total % live.size();
    std::vector<std::string> by_size(live.begin(), live.end());
    std::stable_sort(by_size.begin(), by_size.end(),
                     [&](const std::string& a, const std::string& b) {
                       return held[a].size() > held[b].size();
                     });
    for (const auto& node : by_size) {
      share[node] = total / live.size() + (extra > 0 ? 1 : 0);
      if (extra > 0) --extra;
    }
  }
  // Over-full nodes leave chains in two rounds: first the chains they head beyond their share of
  // heads (the nodes that take their places then lead), then any. In each, chains where they share
  // a host with another member go first, then chains that no other member left (a node takes one
  // place per chain: two empty places in one chain may need a second new node), then chains they
  // do not head, each from the highest slot down.
  const size_t head_share = live.empty() ? 0 : (open + live.size() - 1) / live.size();
  for (const bool heads_only : {true, false}) {
    for (auto& [node, slots] : held) {
      size_t led = 0;
      for (Slot s : slots) led += target[s][0] == node ? 1 : 0;
      size_t count = slots.size() > share[node] ? slots.size() - share[node] : 0;
      if (heads_only) count = std::min(count, led > head_share ? led - head_share : 0);
      std::vector<Slot> order;
      for (auto it = slots.rbegin(); it != slots.rend(); ++it) {
        if (!heads_only || target[*it][0] == node) order.push_back(*it);
      }
      // Whether a node with room that is not in the chain could take the place: leaving a chain
      // whose other members are the only nodes with room would just move the surplus to a node
      // at its share (with R = 1 every chain has such a node).
      auto fillable = [&, n = node](Slot s) {
        return std::any_of(live.begin(), live.end(), [&](const std::string& u) {
          return u != n && held[u].size() < share[u] && !Contains(target[s], u);
        });
      };
      auto rank = [&, n = node](Slot s) {
        return std::make_tuple(!shares_host(target[s], n), !fillable(s), Contains(target[s], ""),
                               target[s][0] == n);
      };
      std::stable_sort(order.begin(), order.end(),
                       [&](Slot a, Slot b) { return rank(a) < rank(b); });
      for (size_t k = 0; k < count; ++k) {
        const Slot s = order[k];
        leave(s, std::find(target[s].begin(), target[s].end(), node) - target[s].begin());
      }
    }
  }

  // Every open chain gets exactly `width` places: drop the surplus empty places from the tail,
  // add missing ones at the tail.
  for (Slot s = 0; s < slot_count(); ++s) {
    if (fixed[s]) continue;
    auto& chain = target[s];
    for (size_t i = chain.size(); i-- > 0 && chain.size() > width;) {
      if (chain[i].empty()) chain.erase(chain.begin() + i);
    }
    chain.resize(width);
  }

  std::map<std::string, int32_t> heads;
  std::map<std::pair<std::string, std::string>, int32_t> together;  // chains two nodes share
  // Counts the pairs of `node` with the members of `chain` placed so far.
  auto join = [&](const std::vector<std::string>& chain, const std::string& node) {
    for (const auto& m : chain) {
      if (!m.empty() && m != node) ++together[std::minmax(m, node)];
    }
  };
  for (Slot s = 0; s < slot_count(); ++s) {
    if (!target[s].empty() && !target[s][0].empty()) ++heads[target[s][0]];
    std::vector<std::string> placed;
    for (const auto& m : target[s]) {
      if (m.empty()) continue;
      join(placed, m);
      placed.push_back(m);
    }
  }
  for (Slot s = 0; s < slot_count(); ++s) {
    if (fixed[s]) continue;
    auto& chain = target[s];
    for (size_t i = 0; i < chain.size(); ++i) {
      if (!chain[i].empty()) continue;
      // Nodes below their share first (over it only when every such node is in the chain), then
      // on another host, then (for a head) heading the fewest, then sharing the fewest chains
      // with the other members (so that a node's chains, and the copies after it dies, spread
      // over many nodes), then furthest below their share.
      const std::string* best = nullptr;
      auto key = [&](const std::string& node) {
        const bool full = held[node].size() >= share[node];
        const int32_t head_count = i == 0 ? heads[node] : 0;
        int32_t shared = 0;
        for (const auto& m : chain) {
          if (!m.empty()) shared += together[std::minmax(m, node)];
        }
        const int64_t room =
            static_cast<int64_t>(share[node]) - static_cast<int64_t>(held[node].size());
        return std::make_tuple(full, shares_host(chain, node), head_count, shared, -room);
      };
      for (const auto& node : live) {
        if (Contains(chain, node)) continue;
        if (best == nullptr || key(node) < key(*best)) best = &node;
      }
      chain[i] = *best;  // width <= live nodes: a chain always has a node left to take
      join(chain, *best);
      held[*best].insert(s);
      if (i == 0) ++heads[*best];
    }
  }

  // The fill is greedy, slot by slot: it can leave a node over its share while another is under
  // it, when every chain the under node is missing from was filled already (or has no place
  // left). Memberships then move along the shortest series of exchanges from an over-full node
  // to one under its share (b takes a's place in a chain that lacks b, c takes b's in another
  // one...): each series takes one membership off the first and gives one to the last, and those
  // in between keep their counts. Without this the plan stops unbalanced: the driver re-plans
  // from a map whose target is itself. Exchanges that put two members on one host are used only
  // when no other series exists. With R = 1 the fill never needs it (any node can take a place).
  using Exchange = std::tuple<bool, bool, Slot>;  // (a stays in `chains_`, a heads, -slot)
  for (;;) {
    // exchange[{a, b}]: the chain where b would take a's place, the cheapest first: a place the
    // fill gave a (no further change), not a head (the heads stay as balanced), the highest slot.
    std::map<std::pair<std::string, std::string>, Exchange> exchange, spread;
    for (Slot s = 0; s < slot_count(); ++s) {
      if (fixed[s]) continue;
      const auto& chain = target[s];
      for (size_t i = 0; i < chain.size(); ++i) {
        const std::string& a = chain[i];
        const Exchange cost{Contains(chains_[s], a), i == 0, -s};
        for (const auto& b : live) {
          if (Contains(chain, b)) continue;
          const bool together_on_host = std::any_of(chain.begin(), chain.end(), [&](auto& m) {
            return m != a && host_of(m) == host_of(b);
          });
          for (auto* edges : {&exchange, &spread}) {
            if (edges == &spread && together_on_host) continue;
            auto [it, added] = edges->emplace(std::make_pair(a, b), cost);
            if (!added && cost < it->second) it->second = cost;
          }
        }
      }
    }
    // Breadth first from every over-full node, over the exchanges that keep hosts apart first.
    std::vector<std::pair<std::string, std::string>> path;  // (a, b) per exchange, in order
    const std::map<std::pair<std::string, std::string>, Exchange>* used = nullptr;
    for (auto* edges : {&spread, &exchange}) {
      used = edges;
      std::map<std::string, std::string> came_from;  // reached node -> the node before it
      std::vector<std::string> frontier;
      for (const auto& node : live) {
        if (held[node].size() > share[node]) {
          came_from[node] = "";
          frontier.push_back(node);
        }
      }
      std::string reached;
      for (size_t k = 0; k < frontier.size() && reached.empty(); ++k) {
        for (const auto& edge : *edges) {
          const auto& [a, b] = edge.first;
          if (a != frontier[k] || came_from.count(b)) continue;
          came_from[b] = a;
          if (held[b].size() < share[b]) {
            reached = b;
            break;
          }
          frontier.push_back(b);
        }
      }
      for (std::string b = reached; !b.empty() && !came_from[b].empty(); b = came_from[b]) {
        path.insert(path.begin(), {came_from[b], b});
      }
      if (!path.empty()) break;
    }
    if (path.empty()) break;
    for (const auto& [a, b] : path) {
      const Slot s = -std::get<2>(used->at({a, b}));
      *std::find(target[s].begin(), target[s].end(), a) = b;
      held[a].erase(s);
      held[b].insert(s);
    }
  }

  int32_t changed = 0;
  for (Slot s = 0; s < slot_count(); ++s) {
    if (fixed[s] || target[s] == chains_[s]) continue;
    ++changed;
    SetChain(s, std::move(target[s]));
  }
  return changed;
}

}  // namespace dkv
