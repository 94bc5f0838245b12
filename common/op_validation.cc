#include "common/op_validation.h"

#include <cstdint>

namespace dkv {
namespace {

bool KnownCode(OpCode code) {
  switch (code) {
    case OpCode::kGet:
    case OpCode::kSet:
    case OpCode::kDel:
    case OpCode::kExists:
    case OpCode::kType:
    case OpCode::kGetDel:
    case OpCode::kGetEx:
    case OpCode::kAppend:
    case OpCode::kStrlen:
    case OpCode::kIncrBy:
    case OpCode::kIncrByFloat:
    case OpCode::kGetRange:
    case OpCode::kSetRange:
    case OpCode::kExpire:
    case OpCode::kPersist:
    case OpCode::kPTtl:
    case OpCode::kMSetNx:
    case OpCode::kScan:
    case OpCode::kDbSize:
    case OpCode::kFlushDb:
    case OpCode::kFlushAll:
    case OpCode::kRandomKey:
      return true;
  }
  return false;
}

}  // namespace

Status ValidateOp(const Op& op, const Limits& limits) {
  if (!KnownCode(op.code)) {
    return Status::InvalidArgument("unknown op code " +
                                   std::to_string(static_cast<int32_t>(op.code)));
  }
  if (op.db < 0 || op.db >= kDatabases) {
    return Status::InvalidArgument("db " + std::to_string(op.db) + " is out of range 0.." +
                                   std::to_string(kDatabases - 1));
  }
  if (op.code == OpCode::kMSetNx) {
    if (op.args.empty() || op.args.size() % 2 != 0) {
      return Status::InvalidArgument("MSETNX needs key/value pairs");
    }
    for (size_t i = 0; i < op.args.size(); i += 2) {
      DKV_RETURN_NOT_OK(CheckKey(op.args[i], limits));
      DKV_RETURN_NOT_OK(CheckValue(op.args[i + 1], limits));
    }
    return Status::OK();
  }
  if (RoutingOf(op.code) != OpRouting::kByKey) return Status::OK();
  DKV_RETURN_NOT_OK(CheckKey(op.key, limits));
  DKV_RETURN_NOT_OK(CheckValue(op.value, limits));
  // An empty SETRANGE changes nothing (Redis answers the length), whatever the offset; a negative
  // offset is Redis's error, answered where the op runs.
  if (op.code == OpCode::kSetRange && op.arg1 >= 0 && !op.value.empty() &&
      static_cast<uint64_t>(op.arg1) + op.value.size() > limits.max_value_bytes) {
    return Status::ValueTooLarge(
        "SETRANGE would make the value " + std::to_string(op.arg1 + op.value.size()) +
        " bytes, over the limit of " + std::to_string(limits.max_value_bytes));
  }
  return Status::OK();
}

std::optional<std::string> RedisOptionError(const Op& op) {
  if (op.code != OpCode::kExpire) return std::nullopt;
  if ((op.flags & kNx) && (op.flags & (kXx | kGt | kLt))) {
    return "ERR NX and XX, GT or LT options at the same time are not compatible";
  }
  if ((op.flags & kGt) && (op.flags & kLt)) {
    return "ERR GT and LT options at the same time are not compatible";
  }
  return std::nullopt;
}

}  // namespace dkv
