#include "common/op.h"

#include <utility>

#include "common/logging.h"

namespace dkv {

OpRouting RoutingOf(OpCode code) {
  switch (code) {
    case OpCode::kScan:
      return OpRouting::kBySlot;
    case OpCode::kDbSize:
    case OpCode::kFlushDb:
    case OpCode::kFlushAll:
    case OpCode::kRandomKey:
      return OpRouting::kEveryNode;
    default:
      return OpRouting::kByKey;
  }
}

bool IsWrite(OpCode code) {
  switch (code) {
    case OpCode::kGet:
    case OpCode::kExists:
    case OpCode::kType:
    case OpCode::kStrlen:
    case OpCode::kGetRange:
    case OpCode::kPTtl:
    case OpCode::kScan:
    case OpCode::kDbSize:
    case OpCode::kRandomKey:
      return false;
    default:
      return true;
  }
}

Op KeyOp(OpCode code, std::string_view key, std::string_view value) {
  Op op;
  op.code = code;
  op.key = std::string(key);
  op.value = std::string(value);
  return op;
}

Reply Reply::StatusReply(std::string text) {
  Reply r;
  r.type = Type::kStatus;
  r.str = std::move(text);
  return r;
}

Reply Reply::Integer(int64_t value) {
  Reply r;
  r.type = Type::kInteger;
  r.integer = value;
  return r;
}

Reply Reply::Bulk(std::string bytes) {
  Reply r;
  r.type = Type::kBulk;
  r.str = std::move(bytes);
  return r;
}

Reply Reply::Array(std::vector<std::string> elements) {
  Reply r;
  r.type = Type::kArray;
  r.elements = std::move(elements);
  return r;
}

Reply Reply::Error(std::string text) {
  Reply r;
  r.type = Type::kError;
  r.str = std::move(text);
  return r;
}

Reply Reply::Failed(const Status& status) {
  DKV_CHECK(!status.ok());
  Reply r;
  r.type = Type::kError;
  r.error = status.code();
  r.str = status.message();
  return r;
}

Status Reply::ToStatus() const {
  if (!error) return Status::OK();
  return Status(*error, str);
}

}  // namespace dkv
