#include "server/router.h"

#include <algorithm>

#include "common/slot.h"

namespace dkv::server {
namespace {

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace

Router::Router(Limits limits, DataChannelFactory factory,
               std::chrono::milliseconds stale_route_wait)
    : limits_(limits), factory_(std::move(factory)), stale_route_wait_(stale_route_wait) {}

void Router::Install(int64_t epoch, const SlotMap& map, const std::vector<MemberInfo>& data_nodes) {
  auto table = std::make_shared<Table>();
  table->fence = Fence{epoch, map.version()};
  table->map = map;
  const auto counts = map.Counts();
  std::shared_ptr<const Table> old = Current();
  for (const MemberInfo& member : data_nodes) {
    DataNodeRoute route{member.id, member.address, 0, nullptr};
    auto count = counts.find(member.id);
    if (count != counts.end()) route.slots = count->second;
    if (old) {
      auto it = old->nodes.find(member.id);
      if (it != old->nodes.end() && it->second.address == member.address) {
        route.channel = it->second.channel;
      }
    }
    if (!route.channel) {
      auto address = ParseHostPort(member.address);
      if (!address.ok()) continue;  // a malformed member is not routable; it owns no slot
      route.channel = factory_(*address);
    }
    table->nodes.emplace(member.id, std::move(route));
  }
  MutexLock l(&mu_);
  table_ = std::move(table);
  table_changed_.SignalAll();
}

void Router::Clear() {
  MutexLock l(&mu_);
  table_.reset();
  table_changed_.SignalAll();
}

void Router::WaitForNewerTable(const std::shared_ptr<const Table>& seen) {
  const auto deadline = std::chrono::steady_clock::now() + stale_route_wait_;
  MutexLock l(&mu_);
  while (table_ == seen && table_changed_.WaitUntil(deadline)) {
  }
}

template <typename Call>
auto Router::Route(const std::string& key, Call call) -> decltype(call(std::declval<Target&>())) {
  for (int attempt = 0;; ++attempt) {
    auto target = Locate(key);
    if (!target.ok()) return target.status();
    auto result = call(*target);
    Status s = StatusOf(result);
    if (s.IsWrongNode() && attempt == 0) {
      // The data node saw a newer slot map than the one we routed with: the master is installing
      // it right now. Route again by it.
      WaitForNewerTable(target->table);
      continue;
    }
    if (s.IsWrongNode() || s.IsStaleEpoch()) {
      return Status::Unavailable("this master's routing is stale: " + s.ToString());
    }
    return result;
  }
}

std::shared_ptr<const Router::Table> Router::Current() {
  MutexLock l(&mu_);
  return table_;
}

Result<Router::Target> Router::Locate(const std::string& key) {
  DKV_RETURN_NOT_OK(CheckKey(key, limits_));
  std::shared_ptr<const Table> table = Current();
  if (!table) return Status::Unavailable("this server is not serving (no master routing table)");
  if (table->map.slot_count() == 0) return Status::NoDataNodes("the slot map is empty");
  const Slot slot = SlotOf(key, table->map.slot_count());
  const std::string& owner = table->map.Owner(slot);
  if (owner.empty()) {
    return Status::NoDataNodes("no live data node owns slot " + std::to_string(slot));
  }
  auto it = table->nodes.find(owner);
  if (it == table->nodes.end()) {
    // Gone from data/ but still the owner: it may come back within its grace period, or the
    // master is about to give the slot to another node. Either way, worth retrying.
    return Status::Unavailable("data node " + owner + " owning slot " + std::to_string(slot) +
                               " is not live");
  }
  DataChannel* channel = it->second.channel.get();
  return Target{std::move(table), channel};
}

Result<std::optional<std::string>> Router::Get(const std::string& key) {
  return Route(key, [&](Target& t) { return t.channel->Get(t.table->fence, key); });
}

Status Router::Set(const std::string& key, const std::string& value) {
  DKV_RETURN_NOT_OK(CheckValue(value, limits_));
  return Route(key, [&](Target& t) { return t.channel->Put(t.table->fence, key, value); });
}

Result<bool> Router::Remove(const std::string& key) {
  return Route(key, [&](Target& t) { return t.channel->Remove(t.table->fence, key); });
}

void Router::UnsafeSet(const std::string& key, const std::string& value) {
  if (!CheckValue(value, limits_).ok()) return;
  auto target = Locate(key);
  if (!target.ok()) return;
  target->channel->UnsafePut(target->table->fence, key, value);
}

Router::Summary Router::Summarize() {
  Summary summary;
  std::shared_ptr<const Table> table = Current();
  if (!table) return summary;
  summary.epoch = table->fence.epoch;
  summary.slot_count = table->map.slot_count();
  summary.map_version = table->map.version();
  for (const auto& [id, route] : table->nodes) summary.data_nodes.push_back(route);
  std::sort(summary.data_nodes.begin(), summary.data_nodes.end(),
            [](const DataNodeRoute& a, const DataNodeRoute& b) { return a.id < b.id; });
  return summary;
}

}  // namespace dkv::server
