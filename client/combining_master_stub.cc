#include "client/combining_master_stub.h"

#include <algorithm>
#include <utility>

namespace dkv::client {

CombiningMasterStub::CombiningMasterStub(std::unique_ptr<MasterStub> inner, int max_in_flight)
    : inner_(std::move(inner)), max_in_flight_(std::max(1, max_in_flight)) {}

Status CombiningMasterStub::Get(std::string_view key, std::optional<std::string>* value,
                                std::chrono::milliseconds timeout, std::string* master_hint) {
  Op op;
  op.code = OpCode::kGet;
  op.key = std::string(key);
  Reply reply;
  DKV_RETURN_NOT_OK(Combine(std::move(op), timeout, master_hint, &reply));
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
  Op op;
  op.code = OpCode::kSet;
  op.key = std::string(key);
  op.value = std::string(value);
  Reply reply;
  return Combine(std::move(op), timeout, master_hint, &reply);
}

Status CombiningMasterStub::Remove(std::string_view key, bool* existed,
                                   std::chrono::milliseconds timeout, std::string* master_hint) {
  Op op;
  op.code = OpCode::kDel;
  op.key = std::string(key);
  Reply reply;
  DKV_RETURN_NOT_OK(Combine(std::move(op), timeout, master_hint, &reply));
  *existed = reply.integer == 1;
  return Status::OK();
}

Status CombiningMasterStub::Execute(const std::vector<Op>& ops, std::vector<Reply>* replies,
                                    std::chrono::milliseconds timeout, std::string* master_hint) {
  // A caller's own batch is sent as it is: it is one request already, and its ops must stay
  // together in their order.
  if (ops.size() != 1) return inner_->Execute(ops, replies, timeout, master_hint);
  Reply reply;
  Status s = Combine(ops.front(), timeout, master_hint, &reply);
  // As Dkv.execute: a per-op error is the op's reply, not the call's failure.
  if (!s.ok() && !reply.error) return s;
  replies->assign(1, std::move(reply));
  return Status::OK();
}

Status CombiningMasterStub::Combine(Op op, std::chrono::milliseconds timeout,
                                    std::string* master_hint, Reply* reply) {
  Call call;
  call.op = std::move(op);
  call.timeout = timeout;
  bool lead = false;
  {
    MutexLock l(&mu_);
    if (in_flight_ < max_in_flight_) {
      ++in_flight_;  // the queue is empty (the invariant): send alone, now
      lead = true;
    } else {
      queue_.push_back(&call);
    }
  }
  if (lead) Lead({&call}, &call);
  for (;;) {
    std::vector<Call*> batch;
    {
      MutexLock l(&call.mu);
      while (call.state == Call::State::kWaiting) call.wake.Wait();
      if (call.state == Call::State::kDone) break;
      batch = std::move(call.batch);
      call.state = Call::State::kWaiting;
    }
    Lead(std::move(batch), &call);  // a batch with this call in it: it is done after
  }
  if (!call.status.ok() && master_hint != nullptr && call.status.IsNotMaster()) {
    *master_hint = std::move(call.master_hint);
  }
  *reply = std::move(call.reply);
  return call.status;
}

void CombiningMasterStub::Lead(std::vector<Call*> batch, Call* self) {
  Send(batch);
  std::vector<Call*> next;
  {
    MutexLock l(&mu_);
    if (queue_.empty()) {
      --in_flight_;
    } else {
      next = TakeBatch();  // this batch's place in flight passes to the next
    }
  }
  if (!next.empty()) {
    // The first member sends it (its thread has nothing else to do), while this one delivers.
    Call* leader = next.front();
    MutexLock l(&leader->mu);
    leader->batch = std::move(next);
    leader->state = Call::State::kLead;
    leader->wake.Signal();
  }
  for (Call* member : batch) {
    MutexLock l(&member->mu);
    member->state = Call::State::kDone;
    // Signalled under the call's own lock: once it is released the caller may return and its
    // Call is gone. The caller takes that lock only after it is released, so it sleeps once.
    if (member != self) member->wake.Signal();
  }
}

size_t CombiningMasterStub::QueuedForTests() {
  MutexLock l(&mu_);
  return queue_.size();
}

std::vector<CombiningMasterStub::Call*> CombiningMasterStub::TakeBatch() {
  std::vector<Call*> batch;
  size_t bytes = 0;
  while (!queue_.empty() && batch.size() < kMaxBatchOps) {
    Call* next = queue_.front();
    const size_t size = next->op.key.size() + next->op.value.size();
    if (!batch.empty() && bytes + size > kMaxBatchBytes) break;
    bytes += size;
    batch.push_back(next);
    queue_.pop_front();
  }
  return batch;
}

void CombiningMasterStub::Send(const std::vector<Call*>& batch) {
  std::vector<Op> ops;
  ops.reserve(batch.size());
  std::chrono::milliseconds timeout = batch.front()->timeout;
  for (Call* member : batch) {
    ops.push_back(std::move(member->op));
    timeout = std::min(timeout, member->timeout);
  }
  std::vector<Reply> replies;
  std::string hint;
  Status s = inner_->Execute(ops, &replies, timeout, &hint);
  if (s.ok() && replies.size() != batch.size()) {
    s = Status::Internal("the master answered " + std::to_string(replies.size()) +
                         " replies to a batch of " + std::to_string(batch.size()));
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Call* member = batch[i];
    if (!s.ok()) {
      member->status = s;
      member->master_hint = hint;
      continue;
    }
    member->reply = std::move(replies[i]);
    member->status = member->reply.ToStatus();
  }
}

}  // namespace dkv::client
