#include "client/combining_master_stub.h"

#include <algorithm>
#include <utility>

#include "common/deadline.h"

namespace dkv::client {

CombiningMasterStub::CombiningMasterStub(std::unique_ptr<MasterStub> inner, int max_in_flight)
    : inner_(std::move(inner)),
      combiner_(
          [this](const CallCombiner::Batch& batch) { Send(batch); },
          [](const CallCombiner::Call&, const CallCombiner::Call& next, CallCombiner::Load* load) {
            const Call& call = static_cast<const Call&>(next);
            load->items += call.ops->size();
            load->bytes += call.bytes;
            return load->items <= kMaxBatchOps && load->bytes <= kMaxBatchBytes;
          },
          max_in_flight) {}

Result<Reply> CombiningMasterStub::CombineOne(OpCode code, std::string_view key,
                                              std::string_view value,
                                              std::chrono::milliseconds timeout,
                                              std::string* master_hint) {
  std::vector<Op> ops(1);
  ops[0].code = code;
  ops[0].key = std::string(key);
  ops[0].value = std::string(value);
  std::vector<Reply> replies;
  DKV_RETURN_NOT_OK(Combine(ops, /*single_key=*/true, timeout, master_hint, &replies));
  DKV_RETURN_NOT_OK(replies[0].ToStatus());
  return std::move(replies[0]);
}

Status CombiningMasterStub::Get(std::string_view key, std::optional<std::string>* value,
                                std::chrono::milliseconds timeout, std::string* master_hint) {
  DKV_ASSIGN_OR_RETURN(Reply reply, CombineOne(OpCode::kGet, key, {}, timeout, master_hint));
  if (reply.type == Reply::Type::kBulk) {
    *value = std::move(reply.str);
  } else {
    value->reset();
  }
  return Status::OK();
}

Status CombiningMasterStub::Put(std::string_view key, std::string_view value,
                                std::chrono::milliseconds timeout, std::string* master_hint) {
  // A plain SET: no condition, and any TTL the key had is gone, as with the put RPC.
  return CombineOne(OpCode::kSet, key, value, timeout, master_hint).status();
}

Status CombiningMasterStub::Remove(std::string_view key, bool* existed,
                                   std::chrono::milliseconds timeout, std::string* master_hint) {
  DKV_ASSIGN_OR_RETURN(Reply reply, CombineOne(OpCode::kDel, key, {}, timeout, master_hint));
  *existed = reply.integer == 1;
  return Status::OK();
}

Status CombiningMasterStub::Execute(const std::vector<Op>& ops, std::vector<Reply>* replies,
                                    std::chrono::milliseconds timeout, std::string* master_hint) {
  if (ops.empty()) return inner_->Execute(ops, replies, timeout, master_hint);
  return Combine(ops, /*single_key=*/false, timeout, master_hint, replies);
}

Status CombiningMasterStub::Combine(const std::vector<Op>& ops, bool single_key,
                                    std::chrono::milliseconds timeout, std::string* master_hint,
                                    std::vector<Reply>* replies) {
  Call call;
  call.ops = &ops;
  call.single_key = single_key;
  call.deadline = std::chrono::steady_clock::now() + timeout;
  for (const Op& op : ops) call.bytes += op.key.size() + op.value.size();
  combiner_.Run(&call);
  if (!call.status.ok() && master_hint != nullptr && call.status.IsNotMaster()) {
    *master_hint = std::move(call.master_hint);
  }
  *replies = std::move(call.replies);
  return call.status;
}

void CombiningMasterStub::Send(const CallCombiner::Batch& batch) {
  if (batch.size() == 1) return SendAlone(static_cast<Call*>(batch.front()));
  std::vector<Op> ops;
  auto deadline = static_cast<Call*>(batch.front())->deadline;
  for (CallCombiner::Call* c : batch) {
    Call* member = static_cast<Call*>(c);
    ops.insert(ops.end(), member->ops->begin(), member->ops->end());
    deadline = std::min(deadline, member->deadline);
  }
  const std::chrono::milliseconds timeout = Deadline(deadline).RemainingForCall();
  std::vector<Reply> replies;
  std::string hint;
  Status s = inner_->Execute(ops, &replies, timeout, &hint);
  if (s.ok() && replies.size() != ops.size()) {
    s = Status::Internal("the master answered " + std::to_string(replies.size()) +
                         " replies to a batch of " + std::to_string(ops.size()));
  }
  size_t next = 0;
  for (CallCombiner::Call* c : batch) {
    Call* member = static_cast<Call*>(c);
    member->status = s;
    if (!s.ok()) {
      member->master_hint = hint;
      continue;
    }
    const size_t count = member->ops->size();
    member->replies.assign(std::make_move_iterator(replies.begin() + next),
                           std::make_move_iterator(replies.begin() + next + count));
    next += count;
  }
}

void CombiningMasterStub::SendAlone(Call* call) {
  const Op& op = call->ops->front();
  const std::chrono::milliseconds timeout = Deadline(call->deadline).RemainingForCall();
  if (!call->single_key) {
    call->status = inner_->Execute(*call->ops, &call->replies, timeout, &call->master_hint);
    return;
  }
  Reply reply;
  switch (op.code) {
    case OpCode::kGet: {
      std::optional<std::string> value;
      call->status = inner_->Get(op.key, &value, timeout, &call->master_hint);
      if (value) reply = Reply::Bulk(std::move(*value));
      break;
    }
    case OpCode::kSet:
      call->status = inner_->Put(op.key, op.value, timeout, &call->master_hint);
      reply = Reply::Ok();
      break;
    default: {  // kDel
      bool existed = false;
      call->status = inner_->Remove(op.key, &existed, timeout, &call->master_hint);
      reply = Reply::Integer(existed ? 1 : 0);
      break;
    }
  }
  if (call->status.ok()) call->replies.assign(1, std::move(reply));
}

}  // namespace dkv::client
