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

Status CombiningMasterStub::Execute(const std::vector<Op>& ops, std::vector<Reply>* replies,
                                    std::chrono::milliseconds timeout, std::string* master_hint) {
  if (ops.empty()) return inner_->Execute(ops, replies, timeout, master_hint);
  Call call;
  call.ops = &ops;
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
  if (batch.size() == 1) {
    Call* call = static_cast<Call*>(batch.front());
    call->status = inner_->Execute(*call->ops, &call->replies,
                                   Deadline(call->deadline).RemainingForCall(), &call->master_hint);
    return;
  }
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

}  // namespace dkv::client
