#include "server/combining_data_channel.h"

#include <iterator>
#include <utility>

namespace dkv::server {

CombiningDataChannel::CombiningDataChannel(std::shared_ptr<DataChannel> inner, int max_in_flight)
    : inner_(std::move(inner)),
      combiner_([this](const CallCombiner::Batch& batch) { Send(batch); },
                [](const CallCombiner::Call& first, const CallCombiner::Call& next,
                   CallCombiner::Load* load) {
                  const Call& call = static_cast<const Call&>(next);
                  load->items += call.ops->size();
                  load->bytes += call.bytes;
                  return static_cast<const Call&>(first).fence == call.fence &&
                         load->items <= kMaxBatchOps && load->bytes <= kMaxBatchBytes;
                },
                max_in_flight) {}

Result<std::vector<Reply>> CombiningDataChannel::Execute(const Fence& fence,
                                                         const std::vector<Op>& ops) {
  if (ops.empty()) return inner_->Execute(fence, ops);
  Call call;
  call.fence = fence;
  call.ops = &ops;
  for (const Op& op : ops) call.bytes += op.key.size() + op.value.size();
  combiner_.Run(&call);
  return std::move(call.replies);
}

void CombiningDataChannel::Send(const CallCombiner::Batch& batch) {
  const Call* first = static_cast<const Call*>(batch.front());
  if (batch.size() == 1) {
    static_cast<Call*>(batch.front())->replies = inner_->Execute(first->fence, *first->ops);
    return;
  }
  std::vector<Op> ops;
  for (CallCombiner::Call* c : batch) {
    const Call* call = static_cast<const Call*>(c);
    ops.insert(ops.end(), call->ops->begin(), call->ops->end());
  }
  Result<std::vector<Reply>> replies = inner_->Execute(first->fence, ops);
  if (replies.ok() && replies->size() != ops.size()) {
    replies = Status::Internal("data node " + inner_->address().ToString() + " answered " +
                               std::to_string(replies->size()) + " replies to " +
                               std::to_string(ops.size()) + " ops");
  }
  size_t next = 0;
  for (CallCombiner::Call* c : batch) {
    Call* call = static_cast<Call*>(c);
    if (!replies.ok()) {
      call->replies = replies.status();
      continue;
    }
    const auto begin = replies->begin() + static_cast<std::ptrdiff_t>(next);
    const auto end = begin + static_cast<std::ptrdiff_t>(call->ops->size());
    call->replies =
        std::vector<Reply>(std::make_move_iterator(begin), std::make_move_iterator(end));
    next += call->ops->size();
  }
}

}  // namespace dkv::server
