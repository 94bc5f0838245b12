#include "common/rpc/op_codec.h"

#include <utility>

namespace dkv::rpc {

rpc::Op ToThrift(dkv::Op&& op) {
  // An optional field goes on the wire only when set (dkv.thrift), so only what is not default is.
  rpc::Op t;
  t.code = static_cast<OpCode::type>(op.code);
  t.key = std::move(op.key);
  if (op.db != 0) t.__set_db(op.db);
  if (!op.value.empty()) {
    t.value = std::move(op.value);
    t.__isset.value = true;
  }
  if (op.arg1 != 0) t.__set_arg1(op.arg1);
  if (op.arg2 != 0) t.__set_arg2(op.arg2);
  if (op.expire_at_ms != 0) t.__set_expire_at_ms(op.expire_at_ms);
  if (op.flags != 0) t.__set_flags(op.flags);
  if (!op.args.empty()) {
    t.pairs = std::move(op.args);
    t.__isset.pairs = true;
  }
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
  if (reply.integer != 0) t.__set_integer(reply.integer);
  if (!reply.str.empty()) {
    t.str = std::move(reply.str);
    t.__isset.str = true;
  }
  if (!reply.elements.empty()) {
    t.elements = std::move(reply.elements);
    t.__isset.elements = true;
  }
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
