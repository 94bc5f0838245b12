#include "server/combining_data_channel.h"

#include <utility>

namespace dkv::server {
CombiningDataChannel::CombiningDataChannel(std::shared_ptr<DataChannel> inner, int max_in_flight)
    : inner_(std::move(inner)),
      combiner_([this](const CallCombiner::Batch& batch) { Send(batch); },
                [](const CallCombiner::Call& first, const CallCombiner::Call& next,
                   CallCombiner::Load* load) {
                  const Call& call = static_cast<const Call&>(next);
                  load->items += 1;
                  load->bytes += call.key->size() + call.value->size();
                  return static_cast<const Call&>(first).fence == call.fence &&
                         load->items <= kMaxBatchOps && load->bytes <= kMaxBatchBytes;
                },
                max_in_flight) {}

Result<std::optional<std::string>> CombiningDataChannel::Get(const Fence& fence,
                                                             const std::string& key) {
  DKV_ASSIGN_OR_RETURN(Reply reply, Combine(fence, OpCode::kGet, key, std::string()));
  if (reply.type != Reply::Type::kBulk) return std::optional<std::string>();
  return std::optional<std::string>(std::move(reply.str));
}

Status CombiningDataChannel::Put(const Fence& fence, const std::string& key,
                                 const std::string& value) {
  // A plain SET: no condition, and any TTL the key had is gone, as with the put RPC.
  return Combine(fence, OpCode::kSet, key, value).status();
}

Result<bool> CombiningDataChannel::Remove(const Fence& fence, const std::string& key) {
  DKV_ASSIGN_OR_RETURN(Reply reply, Combine(fence, OpCode::kDel, key, std::string()));
  return reply.integer == 1;
}

Result<Reply> CombiningDataChannel::Combine(const Fence& fence, OpCode code, const std::string& key,
                                            const std::string& value) {
  Call call;
  call.fence = fence;
  call.code = code;
  call.key = &key;
  call.value = &value;
  combiner_.Run(&call);
  DKV_RETURN_NOT_OK(call.failed);
  DKV_RETURN_NOT_OK(call.reply.ToStatus());
  return std::move(call.reply);
}

void CombiningDataChannel::Send(const CallCombiner::Batch& batch) {
  if (batch.size() == 1) return SendAlone(static_cast<Call*>(batch.front()));
  const Fence fence = static_cast<Call*>(batch.front())->fence;
  std::vector<Op> ops;
  ops.reserve(batch.size());
  for (CallCombiner::Call* c : batch) {
    const Call* call = static_cast<const Call*>(c);
    Op& op = ops.emplace_back();
    op.code = call->code;
    op.key = *call->key;
    op.value = *call->value;
  }
  Result<std::vector<Reply>> replies = inner_->StartExecute(fence, ops)->Wait();
  if (replies.ok() && replies->size() != ops.size()) {
    replies = Status::Internal("data node " + inner_->address().ToString() + " answered " +
                               std::to_string(replies->size()) + " replies to " +
                               std::to_string(ops.size()) + " ops");
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Call* call = static_cast<Call*>(batch[i]);
    if (!replies.ok()) {
      call->failed = replies.status();
    } else {
      call->reply = std::move((*replies)[i]);
    }
  }
}

void CombiningDataChannel::SendAlone(Call* call) {
  switch (call->code) {
    case OpCode::kGet: {
      auto value = inner_->Get(call->fence, *call->key);
      if (!value.ok()) {
        call->failed = value.status();
      } else {
        call->reply = *value ? Reply::Bulk(std::move(**value)) : Reply::Nil();
      }
      return;
    }
    case OpCode::kSet:
      call->failed = inner_->Put(call->fence, *call->key, *call->value);
      if (call->failed.ok()) call->reply = Reply::Ok();
      return;
    default: {  // kDel
      auto existed = inner_->Remove(call->fence, *call->key);
      if (!existed.ok()) {
        call->failed = existed.status();
      } else {
        call->reply = Reply::Integer(*existed ? 1 : 0);
      }
      return;
    }
  }
}

}  // namespace dkv::server
