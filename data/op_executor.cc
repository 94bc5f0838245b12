#include "data/op_executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "common/logging.h"
#include "common/op_validation.h"
#include "common/redis_number.h"
#include "data/glob_match.h"

namespace dkv::data {

namespace {

constexpr char kNotInteger[] = "ERR value is not an integer or out of range";
constexpr char kOverflow[] = "ERR increment or decrement would overflow";
constexpr char kNotFloat[] = "ERR value is not a valid float";
constexpr char kNanOrInfinity[] = "ERR increment would produce NaN or Infinity";
constexpr char kOffsetOutOfRange[] = "ERR offset is out of range";
// Redis names its proto-max-bulk-len; the limit here is the cluster's value limit.
constexpr char kTooBig[] = "ERR string exceeds maximum allowed size (max-value-bytes)";

uint64_t RandomNumber() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

}  // namespace

Reply OpExecutor::Execute(const Op& op, const std::vector<Slot>& slots,
                          std::vector<SlotSeq>* waits) {
  if (Status s = ValidateOp(op, limits_); !s.ok()) return Reply::Failed(s);
  if (std::optional<std::string> error = RedisOptionError(op)) return Reply::Error(*error);
  switch (op.code) {
    case OpCode::kMSetNx:
      DKV_CHECK(slots.size() == op.args.size() / 2);
      return MSetNx(op, slots, waits);
    case OpCode::kScan:
      DKV_CHECK(slots.size() == 1);
      return Scan(op, slots[0], waits);
    case OpCode::kDbSize:
      return DbSize(op, waits);
    case OpCode::kFlushDb:
      return Flush(op.db, waits);
    case OpCode::kFlushAll:
      return Flush(-1, waits);
    case OpCode::kRandomKey:
      return RandomKey(op, waits);
    default:
      break;
  }
  DKV_CHECK(slots.size() == 1);
  Reply reply;
  Status s = store_->Access(
      slots[0], IsWrite(op.code), [&](LockedSlot& table) { reply = ExecuteOnKey(op, table); },
      waits);
  return s.ok() ? reply : Reply::Failed(s);
}

Reply OpExecutor::ExecuteOnKey(const Op& op, LockedSlot& table) const {
  const size_t pos = table.Find(op.db, op.key);
  const bool found = pos != Table::kNone;
  switch (op.code) {
    case OpCode::kGet:
      return found ? Reply::Bulk(std::string(table.View(pos).value)) : Reply::Nil();
    case OpCode::kSet:
      return Set(op, table, pos);
    case OpCode::kDel:
      if (found) table.Erase(pos);
      return Reply::Integer(found ? 1 : 0);
    case OpCode::kExists:
      return Reply::Integer(found ? 1 : 0);
    case OpCode::kType:
      return Reply::StatusReply(found ? "string" : "none");
    case OpCode::kGetDel: {
      if (!found) return Reply::Nil();
      Reply reply = Reply::Bulk(std::string(table.View(pos).value));
      table.Erase(pos);
      return reply;
    }
    case OpCode::kGetEx: {
      if (!found) return Reply::Nil();
      Reply reply = Reply::Bulk(std::string(table.View(pos).value));
      if (op.flags & kPersist) {
        table.SetExpiry(pos, 0);
      } else if (op.expire_at_ms != 0) {
        // As Redis's GETEX PXAT: a time already passed deletes the key (after answering it).
        if (op.expire_at_ms <= table.now_ms()) {
          table.Erase(pos);
        } else {
          table.SetExpiry(pos, op.expire_at_ms);
        }
      }
      return reply;
    }
    case OpCode::kAppend:
      return Append(op, table, pos);
    case OpCode::kStrlen:
      return Reply::Integer(found ? static_cast<int64_t>(table.View(pos).value.size()) : 0);
    case OpCode::kIncrBy:
      return IncrBy(op, table, pos);
    case OpCode::kIncrByFloat:
      return IncrByFloat(op, table, pos);
    case OpCode::kGetRange:
      return GetRange(op, table, pos);
    case OpCode::kSetRange:
      return SetRange(op, table, pos);
    case OpCode::kExpire:
      return Expire(op, table, pos);
    case OpCode::kPersist:
      if (!found || table.View(pos).expire_at_ms == 0) return Reply::Integer(0);
      table.SetExpiry(pos, 0);
      return Reply::Integer(1);
    case OpCode::kPTtl: {
      if (!found) return Reply::Integer(-2);
      const int64_t expire_at_ms = table.View(pos).expire_at_ms;
      if (expire_at_ms == 0) return Reply::Integer(-1);
      return Reply::Integer(std::max<int64_t>(0, expire_at_ms - table.now_ms()));
    }
    default:
      DKV_CHECK(false) << "op code " << static_cast<int32_t>(op.code) << " is not a key op";
      return Reply::Nil();
  }
}

Reply OpExecutor::Set(const Op& op, LockedSlot& table, size_t pos) const {
  const bool found = pos != Table::kNone;
  const bool get = (op.flags & kGetOld) != 0;
  Reply old = get && found ? Reply::Bulk(std::string(table.View(pos).value)) : Reply::Nil();
  if (((op.flags & kNx) && found) || ((op.flags & kXx) && !found)) return old;
  int64_t expire_at_ms = op.expire_at_ms;
  if (expire_at_ms == 0 && (op.flags & kKeepTtl) && found) {
    expire_at_ms = table.View(pos).expire_at_ms;
  }
  // A time already passed stores a key that is expired at once, as Redis's SET ... PXAT does.
  table.Put(op.db, op.key, op.value, expire_at_ms);
  return get ? old : Reply::Ok();
}

Reply OpExecutor::Append(const Op& op, LockedSlot& table, size_t pos) const {
  if (pos == Table::kNone) {
    table.Put(op.db, op.key, op.value, 0);
    return Reply::Integer(static_cast<int64_t>(op.value.size()));
  }
  const size_t old_size = table.View(pos).value.size();
  const size_t new_size = old_size + op.value.size();
  if (new_size > limits_.max_value_bytes) return Reply::Error(kTooBig);
  char* bytes = table.ResizeValue(pos, new_size);
  if (!op.value.empty()) std::memcpy(bytes + old_size, op.value.data(), op.value.size());
  return Reply::Integer(static_cast<int64_t>(new_size));
}

Reply OpExecutor::IncrBy(const Op& op, LockedSlot& table, size_t pos) const {
  const bool found = pos != Table::kNone;
  int64_t current = 0;
  if (found && !ParseRedisInt64(table.View(pos).value, &current)) return Reply::Error(kNotInteger);
  const int64_t delta = op.arg1;
  if ((delta < 0 && current < 0 && delta < std::numeric_limits<int64_t>::min() - current) ||
      (delta > 0 && current > 0 && delta > std::numeric_limits<int64_t>::max() - current)) {
    return Reply::Error(kOverflow);
  }
  const int64_t result = current + delta;
  // The key keeps its expiry time, as in Redis.
  table.Put(op.db, op.key, std::to_string(result), found ? table.View(pos).expire_at_ms : 0);
  return Reply::Integer(result);
}

Reply OpExecutor::IncrByFloat(const Op& op, LockedSlot& table, size_t pos) const {
  const bool found = pos != Table::kNone;
  long double current = 0;
  long double increment = 0;
  if ((found && !ParseRedisLongDouble(table.View(pos).value, &current)) ||
      !ParseRedisLongDouble(op.value, &increment)) {
    return Reply::Error(kNotFloat);
  }
  const long double result = current + increment;
  if (std::isnan(result) || std::isinf(result)) return Reply::Error(kNanOrInfinity);
  std::string text = FormatRedisLongDouble(result);
  if (text.size() > limits_.max_value_bytes) return Reply::Error(kTooBig);
  table.Put(op.db, op.key, text, found ? table.View(pos).expire_at_ms : 0);
  return Reply::Bulk(std::move(text));
}

Reply OpExecutor::GetRange(const Op& op, LockedSlot& table, size_t pos) const {
  if (pos == Table::kNone) return Reply::Bulk("");
  const std::string_view value = table.View(pos).value;
  const int64_t size = static_cast<int64_t>(value.size());
  int64_t start = op.arg1;
  int64_t end = op.arg2;
  // Redis 7's getrangeCommand, step by step.
  if (start < 0 && end < 0 && start > end) return Reply::Bulk("");
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= size) end = size - 1;
  if (start > end || size == 0) return Reply::Bulk("");
  return Reply::Bulk(
      std::string(value.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1))));
}

Reply OpExecutor::SetRange(const Op& op, LockedSlot& table, size_t pos) const {
  if (op.arg1 < 0) return Reply::Error(kOffsetOutOfRange);
  const uint64_t offset = static_cast<uint64_t>(op.arg1);
  const size_t old_size = pos == Table::kNone ? 0 : table.View(pos).value.size();
  // An empty value changes nothing (and creates nothing), as in Redis.
  // ValidateOp refused a result over the value limit.
  if (op.value.empty()) return Reply::Integer(static_cast<int64_t>(old_size));
  const size_t end = static_cast<size_t>(offset) + op.value.size();
  if (pos == Table::kNone) pos = table.Put(op.db, op.key, "", 0);
  const size_t new_size = std::max(old_size, end);
  char* bytes = table.ResizeValue(pos, new_size);
  std::memcpy(bytes + offset, op.value.data(), op.value.size());
  return Reply::Integer(static_cast<int64_t>(new_size));
}

Reply OpExecutor::Expire(const Op& op, LockedSlot& table, size_t pos) const {
  if (pos == Table::kNone) return Reply::Integer(0);
  const int64_t current = table.View(pos).expire_at_ms;  // 0: none, which GT/LT take as infinite
  const int64_t when = op.expire_at_ms;
  if ((op.flags & kNx) && current != 0) return Reply::Integer(0);
  if ((op.flags & kXx) && current == 0) return Reply::Integer(0);
  if ((op.flags & kGt) && (current == 0 || when <= current)) return Reply::Integer(0);
  if ((op.flags & kLt) && current != 0 && when >= current) return Reply::Integer(0);
  if (when <= table.now_ms()) {
    table.Erase(pos);
  } else {
    table.SetExpiry(pos, when);
  }
  return Reply::Integer(1);
}

Reply OpExecutor::MSetNx(const Op& op, const std::vector<Slot>& slots,
                         std::vector<SlotSeq>* waits) {
  Reply reply;
  Status s = store_->AccessSlots(
      slots, /*write=*/true,
      [&](const std::vector<LockedSlot*>& t) {
        for (size_t i = 0; i < slots.size(); ++i) {
          if (t[i]->Find(op.db, op.args[2 * i]) != Table::kNone) {
            reply = Reply::Integer(0);
            return;
          }
        }
        for (size_t i = 0; i < slots.size(); ++i)
          t[i]->Put(op.db, op.args[2 * i], op.args[2 * i + 1], 0);
        reply = Reply::Integer(1);
      },
      waits);
  return s.ok() ? reply : Reply::Failed(s);
}

Reply OpExecutor::Scan(const Op& op, Slot slot, std::vector<SlotSeq>* waits) {
  std::vector<std::string> keys;
  Status s = store_->Access(
      slot, /*write=*/false,
      [&](LockedSlot& table) {
        // As Redis's SCAN, "*" means every key without matching (which "" would fail).
        const bool all = op.value.empty() || op.value == "*";
        keys = table.Keys(
            op.db, [&op, all](std::string_view key) { return all || GlobMatch(op.value, key); });
      },
      waits);
  return s.ok() ? Reply::Array(std::move(keys)) : Reply::Failed(s);
}

Reply OpExecutor::DbSize(const Op& op, std::vector<SlotSeq>* waits) {
  int64_t count = 0;
  Status s = store_->ForEachSlot(
      /*write=*/false, [&](Slot, LockedSlot& table) { count += table.CountInDb(op.db); }, waits);
  return s.ok() ? Reply::Integer(count) : Reply::Failed(s);
}

Reply OpExecutor::Flush(int32_t db, std::vector<SlotSeq>* waits) {
  Status s = store_->ForEachSlot(/*write=*/true,
                                 [db](Slot, LockedSlot& table) { table.EraseAll(db); }, waits);
  return s.ok() ? Reply::Ok() : Reply::Failed(s);
}

Reply OpExecutor::RandomKey(const Op& op, std::vector<SlotSeq>* waits) {
  // Pick a slot weighted by its keys in the db, then a key in it; an expired pick is deleted and
  // another one drawn, a bounded number of times (Redis's RANDOMKEY also gives up after 100).
  std::vector<std::pair<Slot, int64_t>> counts;
  int64_t total = 0;
  Status s = store_->ForEachSlot(/*write=*/false,
                                 [&](Slot slot, LockedSlot& table) {
                                   const int64_t n = table.CountInDb(op.db);
                                   if (n == 0) return;
                                   counts.emplace_back(slot, n);
                                   total += n;
                                 },
                                 waits);
  if (!s.ok()) return Reply::Failed(s);
  for (int attempt = 0; attempt < 100 && total > 0; ++attempt) {
    int64_t n = static_cast<int64_t>(RandomNumber() % static_cast<uint64_t>(total));
    size_t i = 0;
    while (n >= counts[i].second) n -= counts[i++].second;
    std::optional<std::string> key;
    bool empty = false;
    // A slot dropped meanwhile has no table: it counts as empty.
    Status access = store_->Access(counts[i].first, /*write=*/false, [&](LockedSlot& table) {
      const size_t pos = table.RandomPos(op.db, RandomNumber);
      if (pos == Table::kNone) {
        empty = true;
        return;
      }
      const EntryView v = table.View(pos);
      if (!table.Expired(v.expire_at_ms)) {
        key.emplace(v.key);
      } else {
        table.Find(op.db, v.key);  // deletes it
      }
    });
    if (key) return Reply::Bulk(std::move(*key));
    // Keep the weights true to what was found, so the draws converge on the live keys.
    const int64_t gone = empty || !access.ok() ? counts[i].second : 1;
    counts[i].second -= gone;
    total -= gone;
  }
  return Reply::Nil();
}

}  // namespace dkv::data
