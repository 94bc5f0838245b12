#include "common/rpc/op_codec.h"

#include <utility>

namespace dkv::rpc {

rpc::Op ToThrift(dkv::Op&& op) {
  rpc::Op t;
  t.code = static_cast<OpCode::type>(op.code);
  t.db = op.db;
  t.key = std::move(op.key);
  t.value = std::move(op.value);
  t.arg1 = op.arg1;
  t.arg2 = op.arg2;
  t.expire_at_ms = op.expire_at_ms;
  t.flags = op.flags;
  t.pairs = std::move(op.args);
  return t;
}

dkv::Op FromThrift(rpc::Op&& t) {
  dkv::Op op;
  op.code = static_cast<dkv::OpCode>(t.code);
  op.db = t.db;
  op.key = std::move(t.key);
  op.value = std::move(t.value);
  op.arg1 = t.arg1;
  op.arg2 = t.arg2;
  op.expire_at_ms = t.expire_at_ms;
  op.flags = t.flags;
  op.args = std::move(t.pairs);
  return op;
}

rpc::Reply ToThrift(dkv::Reply&& reply) {
  rpc::Reply t;
  t.type = static_cast<ReplyType::type>(reply.type);
  t.integer = reply.integer;
  t.str = std::move(reply.str);
  t.elements = std::move(reply.elements);
  if (reply.error) t.__set_error(static_cast<ErrorCode::type>(*reply.error));
  return t;
}

dkv::Reply FromThrift(rpc::Reply&& t) {
  dkv::Reply reply;
  const int type = static_cast<int>(t.type);
  if (type < 0 || type > static_cast<int>(dkv::Reply::Type::kError)) {
    return dkv::Reply::Failed(Status::Internal("unknown reply type " + std::to_string(type)));
  }
  reply.type = static_cast<dkv::Reply::Type>(type);
  reply.integer = t.integer;
  reply.str = std::move(t.str);
  reply.elements = std::move(t.elements);
  if (t.__isset.error) {
    const int code = static_cast<int>(t.error);
    reply.error = code > 0 && code <= static_cast<int>(Status::Code::kLastCode)
                      ? static_cast<Status::Code>(code)
                      : Status::Code::kInternal;
  }
  return reply;
}

std::vector<rpc::Op> ToThrift(std::vector<dkv::Op>&& ops) {
  std::vector<rpc::Op> t;
  t.reserve(ops.size());
  for (dkv::Op& op : ops) t.push_back(ToThrift(std::move(op)));
  return t;
}

std::vector<dkv::Op> FromThrift(std::vector<rpc::Op>&& ops) {
  std::vector<dkv::Op> t;
  t.reserve(ops.size());
  for (rpc::Op& op : ops) t.push_back(FromThrift(std::move(op)));
  return t;
}

std::vector<rpc::Reply> ToThrift(std::vector<dkv::Reply>&& replies) {
  std::vector<rpc::Reply> t;
  t.reserve(replies.size());
  for (dkv::Reply& r : replies) t.push_back(ToThrift(std::move(r)));
  return t;
}

std::vector<dkv::Reply> FromThrift(std::vector<rpc::Reply>&& replies) {
  std::vector<dkv::Reply> t;
  t.reserve(replies.size());
  for (rpc::Reply& r : replies) t.push_back(FromThrift(std::move(r)));
  return t;
}

}  // namespace dkv::rpc
