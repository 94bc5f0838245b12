// Client::Impl's keyspace operations (GET, SET, DEL, SET with options, TTL, EXPIRE, PERSIST,
// INCRBY, APPEND, MGET, MSET, SCAN): each builds Ops (common/op.h), runs them in one Dkv.execute
// call through the RetryingCaller, and reads the Redis-shaped Replies back into the public types.
// The asynchronous calls (GetAsync, ... MSetAsync) build their Ops alike, queue them on the
// AsyncCaller, and read the replies the same way in their callbacks.
#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "client/client_impl.h"

namespace dkv::client {
namespace {

// A scan page starts with this many slots per call and doubles them while pages come back short,
// so a sparse keyspace is crossed in few calls and a dense one does not return far over `count`.
constexpr int32_t kScanFirstSlots = 8;
constexpr int32_t kScanMaxSlots = 512;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The Unix time `ttl` (positive) from now; INVALID_ARGUMENT when it does not fit an int64 of
// milliseconds (Redis: "invalid expire time").
Result<int64_t> ExpireAtMs(const char* op, std::chrono::milliseconds ttl) {
  const int64_t now = NowUnixMs();
  if (ttl.count() > std::numeric_limits<int64_t>::max() - now) {
    return Status::InvalidArgument(std::string(op) + ": ttl of " + std::to_string(ttl.count()) +
                                   " ms is too large");
  }
  return now + ttl.count();
}

// A reply of the wrong shape is a bug on the far side.
Status Unexpected(const char* op, const Reply& reply) {
  return Status::Internal(std::string(op) + ": unexpected reply of type " +
                          std::to_string(static_cast<int>(reply.type)));
}

// A Redis error reply ("ERR value is not an integer or out of range") as INVALID_ARGUMENT naming
// the call and key, without Redis's "ERR " prefix.
Status RedisError(const char* op, std::string_view key, const Reply& reply) {
  std::string_view text = reply.str;
  if (text.substr(0, 4) == "ERR ") text.remove_prefix(4);
  return Status::InvalidArgument(std::string(op) + " '" + std::string(key) +
                                 "': " + std::string(text));
}

// The INTEGER of a reply, or the error it carries.
Result<int64_t> IntegerOf(const char* op, std::string_view key, const Reply& reply) {
  if (reply.type == Reply::Type::kError) return RedisError(op, key, reply);
  if (reply.type != Reply::Type::kInteger) return Unexpected(op, reply);
  return reply.integer;
}

// GET's value, from its reply.
Result<std::optional<std::string>> ValueOf(Reply& reply) {
  if (reply.type == Reply::Type::kNil) return std::optional<std::string>();
  if (reply.type != Reply::Type::kBulk) return Unexpected("get", reply);
  return std::optional<std::string>(std::move(reply.str));
}

// The Status of the first op the master did not execute (Reply::error); OK when it executed all.
Status FirstOpError(const std::vector<Reply>& replies) {
  for (const Reply& r : replies) {
    if (r.error) return r.ToStatus();
  }
  return Status::OK();
}

// MGET's values, from its replies.
Result<std::vector<std::optional<std::string>>> ValuesOf(std::vector<Reply> replies) {
  std::vector<std::optional<std::string>> values;
  values.reserve(replies.size());
  for (Reply& reply : replies) {
    if (reply.type == Reply::Type::kNil) {
      values.emplace_back();
    } else if (reply.type == Reply::Type::kBulk) {
      values.emplace_back(std::move(reply.str));
    } else {
      return Unexpected("mget", reply);
    }
  }
  return values;
}

// MSET's outcome, from its replies: the first Redis error, naming key_of(i), the key of op i.
template <typename KeyOf>
Status MSetOutcome(const std::vector<Reply>& replies, KeyOf key_of) {
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].type == Reply::Type::kError) return RedisError("mset", key_of(i), replies[i]);
  }
  return Status::OK();
}

// The AsyncCaller::DoneFn of an asynchronous call: hands `done` the error of the call's request
// or of its first op not executed, else what read(ops, replies) makes of its replies.
template <typename T, typename Read>
AsyncCaller::DoneFn Deliver(Client::Callback<T> done, Read read) {
  return [done = std::move(done), read = std::move(read)](Status s, const std::vector<Op>& ops,
                                                          std::vector<Reply> replies) {
    if (s.ok()) s = FirstOpError(replies);
    if (!s.ok()) return done(T(std::move(s)));
    done(read(ops, std::move(replies)));
  };
}

}  // namespace

Result<std::vector<Reply>> Client::Impl::Execute(const char* op, std::vector<Op> ops,
                                                 std::chrono::milliseconds timeout) {
  for (Op& o : ops) o.db = options_.db;
  std::vector<Reply> replies;
  DKV_RETURN_NOT_OK(caller_.Run(op, Resolve(timeout),
                                [&](MasterStub& m, std::chrono::milliseconds t, std::string* h) {
                                  DKV_RETURN_NOT_OK(m.Execute(ops, &replies, t, h));
                                  for (const Reply& r : replies) {
                                    if (r.error) return r.ToStatus();
                                  }
                                  return Status::OK();
                                }));
  return replies;
}

Result<Reply> Client::Impl::ExecuteOne(const char* op, Op one, std::chrono::milliseconds timeout) {
  std::vector<Op> ops;
  ops.push_back(std::move(one));
  DKV_ASSIGN_OR_RETURN(std::vector<Reply> replies, Execute(op, std::move(ops), timeout));
  return std::move(replies.front());
}

Result<std::optional<std::string>> Client::Impl::Get(std::string_view key,
                                                     std::chrono::milliseconds timeout) {
  DKV_RETURN_NOT_OK(CheckSizes(key, nullptr));
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne("get", KeyOp(OpCode::kGet, key), timeout));
  return ValueOf(reply);
}

Status Client::Impl::Set(std::string_view key, std::string_view value,
                         std::chrono::milliseconds timeout) {
  // A plain SET: no condition, and any TTL the key had is gone.
  return Set(key, value, SetOptions(), timeout).status();
}

Result<bool> Client::Impl::Remove(std::string_view key, std::chrono::milliseconds timeout) {
  DKV_RETURN_NOT_OK(CheckSizes(key, nullptr));
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne("remove", KeyOp(OpCode::kDel, key), timeout));
  return reply.integer == 1;
}

Result<int32_t> Client::Impl::SlotCount(std::chrono::milliseconds timeout) {
  if (int32_t known = slot_count_.load(); known > 0) return known;
  DKV_ASSIGN_OR_RETURN(ClusterStatus status, GetStatus(timeout));
  if (status.slot_count <= 0) return Status::Internal("the master reported no slots");
  slot_count_.store(status.slot_count);
  return status.slot_count;
}

Result<bool> Client::Impl::Set(std::string_view key, std::string_view value,
                               const SetOptions& options, std::chrono::milliseconds timeout) {
  if (options.ttl && options.ttl->count() <= 0) {
    return Status::InvalidArgument("set: ttl must be positive, not " +
                                   std::to_string(options.ttl->count()) + " ms");
  }
  if (options.ttl && options.keep_ttl) {
    return Status::InvalidArgument("set: a ttl and keep_ttl exclude each other");
  }
  DKV_RETURN_NOT_OK(CheckSizes(key, &value));
  Op op = KeyOp(OpCode::kSet, key);
  op.value = std::string(value);
  if (options.ttl) {
    DKV_ASSIGN_OR_RETURN(op.expire_at_ms, ExpireAtMs("set", *options.ttl));
  }
  if (options.keep_ttl) op.flags |= kKeepTtl;
  if (options.condition == SetOptions::Condition::kIfAbsent) op.flags |= kNx;
  if (options.condition == SetOptions::Condition::kIfPresent) op.flags |= kXx;
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne("set", std::move(op), timeout));
  switch (reply.type) {
    case Reply::Type::kStatus:
      return true;
    case Reply::Type::kNil:
      return false;
    case Reply::Type::kError:
      return RedisError("set", key, reply);
    default:
      return Unexpected("set", reply);
  }
}

Result<KeyTtl> Client::Impl::Ttl(std::string_view key, std::chrono::milliseconds timeout) {
  DKV_RETURN_NOT_OK(CheckSizes(key, nullptr));
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne("ttl", KeyOp(OpCode::kPTtl, key), timeout));
  DKV_ASSIGN_OR_RETURN(int64_t ms, IntegerOf("ttl", key, reply));
  KeyTtl ttl;
  ttl.exists = ms != -2;
  if (ms >= 0) ttl.remaining = std::chrono::milliseconds(ms);
  return ttl;
}

Result<bool> Client::Impl::Expire(std::string_view key, std::chrono::milliseconds ttl,
                                  std::chrono::milliseconds timeout) {
  DKV_RETURN_NOT_OK(CheckSizes(key, nullptr));
  Op op = KeyOp(OpCode::kExpire, key);
  // A ttl <= 0 deletes the key: any time already past does (op.h).
  if (ttl.count() > 0) {
    DKV_ASSIGN_OR_RETURN(op.expire_at_ms, ExpireAtMs("expire", ttl));
  } else {
    op.expire_at_ms = NowUnixMs() - 1;
  }
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne("expire", std::move(op), timeout));
  DKV_ASSIGN_OR_RETURN(int64_t set, IntegerOf("expire", key, reply));
  return set == 1;
}

Result<bool> Client::Impl::Persist(std::string_view key, std::chrono::milliseconds timeout) {
  DKV_RETURN_NOT_OK(CheckSizes(key, nullptr));
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne("persist", KeyOp(OpCode::kPersist, key), timeout));
  DKV_ASSIGN_OR_RETURN(int64_t removed, IntegerOf("persist", key, reply));
  return removed == 1;
}

Result<int64_t> Client::Impl::IncrBy(std::string_view key, int64_t delta,
                                     std::chrono::milliseconds timeout) {
  DKV_RETURN_NOT_OK(CheckSizes(key, nullptr));
  Op op = KeyOp(OpCode::kIncrBy, key);
  op.arg1 = delta;
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne("incrby", std::move(op), timeout));
  return IntegerOf("incrby", key, reply);
}

Result<int64_t> Client::Impl::Append(std::string_view key, std::string_view value,
                                     std::chrono::milliseconds timeout) {
  DKV_RETURN_NOT_OK(CheckSizes(key, &value));
  Op op = KeyOp(OpCode::kAppend, key);
  op.value = std::string(value);
  DKV_ASSIGN_OR_RETURN(Reply reply, ExecuteOne("append", std::move(op), timeout));
  return IntegerOf("append", key, reply);
}

Result<std::vector<std::optional<std::string>>> Client::Impl::MGet(
    const std::vector<std::string>& keys, std::chrono::milliseconds timeout) {
  std::vector<Op> ops;
  ops.reserve(keys.size());
  for (const std::string& key : keys) {
    DKV_RETURN_NOT_OK(CheckSizes(key, nullptr));
    ops.push_back(KeyOp(OpCode::kGet, key));
  }
  if (ops.empty()) return std::vector<std::optional<std::string>>();
  DKV_ASSIGN_OR_RETURN(std::vector<Reply> replies, Execute("mget", std::move(ops), timeout));
  return ValuesOf(std::move(replies));
}

Status Client::Impl::MSet(const std::vector<std::pair<std::string, std::string>>& pairs,
                          std::chrono::milliseconds timeout) {
  std::vector<Op> ops;
  ops.reserve(pairs.size());
  for (const auto& [key, value] : pairs) {
    const std::string_view v = value;
    DKV_RETURN_NOT_OK(CheckSizes(key, &v));
    Op op = KeyOp(OpCode::kSet, key);
    op.value = value;
    ops.push_back(std::move(op));
  }
  if (ops.empty()) return Status::OK();
  DKV_ASSIGN_OR_RETURN(std::vector<Reply> replies, Execute("mset", std::move(ops), timeout));
  return MSetOutcome(replies, [&pairs](size_t i) { return std::string_view(pairs[i].first); });
}

Result<ScanPage> Client::Impl::Scan(uint64_t cursor, const ScanOptions& options,
                                    std::chrono::milliseconds timeout) {
  if (options.count < 1) {
    return Status::InvalidArgument("scan: count must be at least 1, not " +
                                   std::to_string(options.count));
  }
  DKV_ASSIGN_OR_RETURN(int32_t slots, SlotCount(timeout));
  if (cursor >= static_cast<uint64_t>(slots)) {
    return Status::InvalidArgument("scan: cursor " + std::to_string(cursor) +
                                   " is past the last slot (" + std::to_string(slots - 1) + ")");
  }
  ScanPage page;
  auto slot = static_cast<int32_t>(cursor);
  int32_t batch = kScanFirstSlots;
  while (slot < slots && page.keys.size() < static_cast<size_t>(options.count)) {
    std::vector<Op> ops;
    const int32_t end = std::min(slots, slot + batch);
    for (int32_t s = slot; s < end; ++s) {
      Op op;
      op.code = OpCode::kScan;
      op.arg1 = s;
      op.value = options.match;
      ops.push_back(std::move(op));
    }
    DKV_ASSIGN_OR_RETURN(std::vector<Reply> replies, Execute("scan", std::move(ops), timeout));
    for (Reply& reply : replies) {
      if (reply.type != Reply::Type::kArray) return Unexpected("scan", reply);
      std::move(reply.elements.begin(), reply.elements.end(), std::back_inserter(page.keys));
    }
    slot = end;
    batch = std::min(batch * 2, kScanMaxSlots);
  }
  page.cursor = slot < slots ? static_cast<uint64_t>(slot) : 0;
  return page;
}

// ---- Asynchronous calls ----

void Client::Impl::SubmitAsync(Status checked, std::vector<Op> ops,
                               std::chrono::milliseconds timeout, AsyncCaller::DoneFn done) {
  if (!checked.ok()) return async_->Fail(std::move(checked), std::move(done));
  for (Op& op : ops) op.db = options_.db;
  async_->Submit(std::move(ops), Resolve(timeout), std::move(done));
}

Status Client::Impl::SendAsync(const std::vector<Op>& ops, std::chrono::milliseconds timeout,
                               std::vector<Reply>* replies) {
  return caller_.Run("async batch", timeout,
                     [&](MasterStub& m, std::chrono::milliseconds t, std::string* h) {
                       DKV_RETURN_NOT_OK(m.Execute(ops, replies, t, h));
                       // An op refused as UNAVAILABLE or NOT_MASTER is retried, as Execute
                       // retries it, with the whole batch.
                       for (const Reply& r : *replies) {
                         if (!r.error) continue;
                         Status s = r.ToStatus();
                         if (s.IsUnavailable() || s.IsNotMaster()) return s;
                       }
                       return Status::OK();
                     });
}

void Client::Impl::GetAsync(std::string_view key,
                            Client::Callback<Result<std::optional<std::string>>> done,
                            std::chrono::milliseconds timeout) {
  std::vector<Op> ops;
  ops.push_back(KeyOp(OpCode::kGet, key));
  SubmitAsync(CheckSizes(key, nullptr), std::move(ops), timeout,
              Deliver(std::move(done), [](const std::vector<Op>&, std::vector<Reply> replies) {
                return ValueOf(replies.front());
              }));
}

void Client::Impl::SetAsync(std::string_view key, std::string_view value,
                            Client::Callback<Status> done, std::chrono::milliseconds timeout) {
  std::vector<Op> ops;
  ops.push_back(KeyOp(OpCode::kSet, key));
  ops.back().value = std::string(value);
  SubmitAsync(CheckSizes(key, &value), std::move(ops), timeout,
              Deliver(std::move(done), [](const std::vector<Op>& ops, std::vector<Reply> replies) {
                const Reply& reply = replies.front();
                return reply.type == Reply::Type::kError ? RedisError("set", ops[0].key, reply)
                                                         : Status::OK();
              }));
}

void Client::Impl::RemoveAsync(std::string_view key, Client::Callback<Result<bool>> done,
                               std::chrono::milliseconds timeout) {
  std::vector<Op> ops;
  ops.push_back(KeyOp(OpCode::kDel, key));
  SubmitAsync(CheckSizes(key, nullptr), std::move(ops), timeout,
              Deliver(std::move(done), [](const std::vector<Op>&, std::vector<Reply> replies) {
                return Result<bool>(replies.front().integer == 1);
              }));
}

void Client::Impl::MGetAsync(const std::vector<std::string>& keys,
                             Client::Callback<Result<std::vector<std::optional<std::string>>>> done,
                             std::chrono::milliseconds timeout) {
  Status checked;
  std::vector<Op> ops;
  ops.reserve(keys.size());
  for (const std::string& key : keys) {
    if (checked.ok()) checked = CheckSizes(key, nullptr);
    ops.push_back(KeyOp(OpCode::kGet, key));
  }
  SubmitAsync(std::move(checked), std::move(ops), timeout,
              Deliver(std::move(done), [](const std::vector<Op>&, std::vector<Reply> replies) {
                return ValuesOf(std::move(replies));
              }));
}

void Client::Impl::MSetAsync(const std::vector<std::pair<std::string, std::string>>& pairs,
                             Client::Callback<Status> done, std::chrono::milliseconds timeout) {
  Status checked;
  std::vector<Op> ops;
  ops.reserve(pairs.size());
  for (const auto& [key, value] : pairs) {
    const std::string_view v = value;
    if (checked.ok()) checked = CheckSizes(key, &v);
    ops.push_back(KeyOp(OpCode::kSet, key));
    ops.back().value = value;
  }
  SubmitAsync(std::move(checked), std::move(ops), timeout,
              Deliver(std::move(done), [](const std::vector<Op>& ops, std::vector<Reply> replies) {
                return MSetOutcome(replies,
                                   [&ops](size_t i) { return std::string_view(ops[i].key); });
              }));
}

}  // namespace dkv::client
