#include "server/router.h"

#include <algorithm>
#include <random>

#include "common/op_validation.h"
#include "common/slot.h"

namespace dkv::server {
namespace {

// A refusal that a newer routing table may cure.
bool IsReroutable(const Reply& reply) {
  return reply.error &&
         (*reply.error == Status::Code::kWrongNode || *reply.error == Status::Code::kMoving);
}

Reply StaleRouting(const Status& s) {
  return Reply::Failed(Status::Unavailable("this master's routing is stale: " + s.ToString()));
}

// A MOVING slot may also resume on its old owner (an aborted move) without a new table: an op
// refused MOVING looks again after this long even if none came.
constexpr std::chrono::milliseconds kMovingRecheck{20};

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
    DataNodeRoute route{member.id, member.address, 0, nullptr, member.pid};
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

void Router::WaitForNewerTable(const std::shared_ptr<const Table>& seen,
                               std::chrono::steady_clock::time_point until) {
  MutexLock l(&mu_);
  while (table_ == seen && table_changed_.WaitUntil(until)) {
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
  DKV_ASSIGN_OR_RETURN(const DataNodeRoute* route,
                       OwnerOf(*table, SlotOf(key, table->map.slot_count())));
  DataChannel* channel = route->channel.get();
  return Target{std::move(table), channel};
}

Result<const DataNodeRoute*> Router::ReaderOf(const Table& table, Slot slot) {
  const std::vector<std::string>& chain = table.map.Chain(slot);
  if (chain.size() <= 1) return OwnerOf(table, slot);
  thread_local std::minstd_rand random{std::random_device{}()};
  const size_t start = random() % chain.size();
  for (size_t i = 0; i < chain.size(); ++i) {
    auto it = table.nodes.find(chain[(start + i) % chain.size()]);
    if (it != table.nodes.end()) return &it->second;
  }
  return OwnerOf(table, slot);  // none is live: the head's error
}

Result<const DataNodeRoute*> Router::OwnerOf(const Table& table, Slot slot) {
  const std::string& owner = table.map.Owner(slot);
  if (owner.empty()) {
    return Status::NoDataNodes("no live data node owns slot " + std::to_string(slot));
  }
  auto it = table.nodes.find(owner);
  if (it == table.nodes.end()) {
    // Gone from data/ but still the owner: it may come back within its grace period, or the
    // master is about to give the slot to another node. Either way, worth retrying.
    return Status::Unavailable("data node " + owner + " owning slot " + std::to_string(slot) +
                               " is not live");
  }
  return &it->second;
}

void Router::Place(const Table* table, Pending pending, bool spread_reads, NodeCalls* calls,
                   OpBatch* batch) {
  const size_t index = pending.index;
  Op& op = pending.op;
  auto add = [&](const DataNodeRoute& route, Op part, bool pinned, bool at_replica = false) {
    NodeCall& call = (*calls)[route.id];
    call.channel = route.channel.get();
    call.ops.push_back(std::move(part));
    call.op_index.push_back(index);
    call.pinned.push_back(pinned);
    call.at_replica.push_back(at_replica);
  };
  // Where a read of `slot` goes: any live member, or the head.
  auto reader = [&](Slot slot) {
    return spread_reads && !pending.at_head && !IsWrite(op.code) ? ReaderOf(*table, slot)
                                                                 : OwnerOf(*table, slot);
  };
  auto add_read = [&](const DataNodeRoute* route, Slot slot) {
    const bool at_replica = route->id != table->map.Owner(slot);
    add(*route, std::move(op), false, at_replica);
  };
  if (!table) {
    batch->Merge(
        index,
        Reply::Failed(Status::Unavailable("this server is not serving (no master routing table)")));
    return;
  }
  const int32_t slot_count = table->map.slot_count();
  if (slot_count == 0 || (RoutingOf(op.code) == OpRouting::kEveryNode && table->nodes.empty())) {
    batch->Merge(index, Reply::Failed(Status::NoDataNodes("the cluster has no data node")));
    return;
  }
  switch (RoutingOf(op.code)) {
    case OpRouting::kEveryNode: {
      // One part is counted already; each further node adds one.
      bool first = true;
      for (const auto& [id, route] : table->nodes) {
        if (!first) batch->AddPart(index);
        first = false;
        add(route, op, /*pinned=*/true);
      }
      return;
    }
    case OpRouting::kBySlot: {
      if (op.arg1 < 0 || op.arg1 >= slot_count) {
        batch->Merge(index, Reply::Failed(Status::InvalidArgument(
                                "slot " + std::to_string(op.arg1) + " is out of range 0.." +
                                std::to_string(slot_count - 1))));
        return;
      }
      const Slot slot = static_cast<Slot>(op.arg1);
      auto route = reader(slot);
      if (!route.ok()) return batch->Merge(index, Reply::Failed(route.status()));
      add_read(*route, slot);
      return;
    }
    case OpRouting::kByKey:
      break;
  }
  if (op.code != OpCode::kMSetNx) {
    const Slot slot = SlotOf(op.key, slot_count);
    auto route = reader(slot);
    if (!route.ok()) return batch->Merge(index, Reply::Failed(route.status()));
    add_read(*route, slot);
    return;
  }
  // MSETNX: one part per data node owning some of its keys.
  std::map<const DataNodeRoute*, std::vector<std::string>> pairs;
  for (size_t i = 0; i < op.args.size(); i += 2) {
    auto route = OwnerOf(*table, SlotOf(op.args[i], slot_count));
    if (!route.ok()) return batch->Merge(index, Reply::Failed(route.status()));
    auto& mine = pairs[*route];
    mine.push_back(std::move(op.args[i]));
    mine.push_back(std::move(op.args[i + 1]));
  }
  bool first = true;
  for (auto& [route, args] : pairs) {
    if (!first) batch->AddPart(index);
    first = false;
    Op part;
    part.code = OpCode::kMSetNx;
    part.db = op.db;
    part.key = args[0];
    part.args = std::move(args);
    add(*route, std::move(part), false);
  }
}

std::vector<Reply> Router::Execute(std::vector<Op> ops) {
  std::vector<OpCode> codes;
  codes.reserve(ops.size());
  for (const Op& op : ops) codes.push_back(op.code);
  OpBatch batch(std::move(codes));
  // Reads go to any member of their chains unless the request also writes: then all of it goes
  // to the heads, in order (a read after a write of the same request must see it).
  const bool spread_reads =
      std::none_of(ops.begin(), ops.end(), [](const Op& op) { return IsWrite(op.code); });
  std::vector<Pending> todo;
  todo.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    Status s = ValidateOp(ops[i], limits_);
    if (!s.ok()) {
      batch.Answer(i, Reply::Failed(s));
      continue;
    }
    batch.AddPart(i);
    todo.push_back(Pending{i, std::move(ops[i]), false});
  }
  const auto deadline = std::chrono::steady_clock::now() + stale_route_wait_;
  while (!todo.empty()) {
    std::shared_ptr<const Table> table = Current();
    NodeCalls calls;
    for (Pending& pending : todo) {
      Place(table.get(), std::move(pending), spread_reads, &calls, &batch);
    }
    todo.clear();
    if (calls.size() == 1) {
      // Nothing else to send meanwhile: the channel may combine this call with other threads'.
      NodeCall& call = calls.begin()->second;
      call.replies = call.channel->Execute(table->fence, call.ops);
    } else {
      // Every request goes out before any reply is awaited: the nodes work in parallel.
      for (auto& [id, call] : calls)
        call.pending = call.channel->StartExecute(table->fence, call.ops);
      for (auto& [id, call] : calls) call.replies = call.pending->Wait();
    }
    const auto now = std::chrono::steady_clock::now();
    const bool may_retry = now < deadline;
    bool moving = false;
    bool wait = false;  // for a newer table (or a moving slot) before the next round
    for (auto& [id, call] : calls) {
      Result<std::vector<Reply>>& replies = call.replies;
      if (replies.ok() && replies->size() != call.ops.size()) {
        replies =
            Status::Internal("data node " + id + " answered " + std::to_string(replies->size()) +
                             " replies to " + std::to_string(call.ops.size()) + " ops");
      }
      for (size_t j = 0; j < call.ops.size(); ++j) {
        const size_t index = call.op_index[j];
        if (!replies.ok()) {
          const Status& s = replies.status();
          batch.Merge(index,
                      s.IsWrongNode() || s.IsStaleEpoch() ? StaleRouting(s) : Reply::Failed(s));
          continue;
        }
        Reply& reply = (*replies)[j];
        if (call.at_replica[j] && reply.error && *reply.error == Status::Code::kWrongNode) {
          // A member that cannot serve the read (it restarted and has no table yet, or it has
          // not applied this map): the head can, at once.
          todo.push_back(Pending{index, std::move(call.ops[j]), true});
          continue;
        }
        const bool reroutable = IsReroutable(reply) && !call.pinned[j];
        if (reroutable && may_retry) {
          // The node knows a newer slot map, or the slot is being moved: route it again once the
          // master installs the newer table. The part stays counted in the batch.
          moving = moving || *reply.error == Status::Code::kMoving;
          wait = true;
          todo.push_back(Pending{index, std::move(call.ops[j]), false});
          continue;
        }
        if (reroutable || (reply.error && *reply.error == Status::Code::kWrongNode)) {
          batch.Merge(index, StaleRouting(reply.ToStatus()));
          continue;
        }
        batch.Merge(index, std::move(reply));
      }
    }
    if (wait) {
      WaitForNewerTable(table, moving ? std::min(deadline, now + kMovingRecheck) : deadline);
    }
  }
  return batch.TakeReplies();
}

Result<Reply> Router::ExecuteOne(Op op) {
  std::vector<Op> ops;
  ops.push_back(std::move(op));
  Reply reply = std::move(Execute(std::move(ops)).front());
  DKV_RETURN_NOT_OK(reply.ToStatus());
  return reply;
}

Result<std::optional<std::string>> Router::Get(const std::string& key) {
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne(KeyOp(OpCode::kGet, key)));
  if (reply.type != Reply::Type::kBulk) return std::optional<std::string>();
  return std::optional<std::string>(std::move(reply.str));
}

Status Router::Set(const std::string& key, const std::string& value) {
  // A plain SET: no condition, and any TTL the key had is gone.
  return ExecuteOne(KeyOp(OpCode::kSet, key, value)).status();
}

Result<bool> Router::Remove(const std::string& key) {
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne(KeyOp(OpCode::kDel, key)));
  return reply.integer == 1;
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

std::optional<DataNodeRoute> Router::FindDataNode(const std::string& id) {
  std::shared_ptr<const Table> table = Current();
  if (!table) return std::nullopt;
  auto it = table->nodes.find(id);
  if (it == table->nodes.end()) return std::nullopt;
  return it->second;
}

}  // namespace dkv::server
