#include "client/combining_master_stub.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "common/logging.h"

namespace dkv::client {

CombiningMasterStub::CombiningMasterStub(std::unique_ptr<MasterStub> inner, int max_in_flight)
    : inner_(std::move(inner)), max_in_flight_(std::max(1, max_in_flight)) {}

Result<Reply> CombiningMasterStub::CombineOne(OpCode code, std::string_view key,
                                              std::string_view value,
                                              std::chrono::milliseconds timeout,
                                              std::string* master_hint) {
  std::vector<Op> ops(1);
  ops[0].code = code;
  ops[0].key = std::string(key);
  ops[0].value = std::string(value);
  std::vector<Reply> replies;
  DKV_RETURN_NOT_OK(Combine(std::move(ops), timeout, master_hint, &replies));
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
  return Combine(ops, timeout, master_hint, replies);
}

Status CombiningMasterStub::Combine(std::vector<Op> ops, std::chrono::milliseconds timeout,
                                    std::string* master_hint, std::vector<Reply>* replies) {
  Call call;
  call.ops = std::move(ops);
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
  if (lead) {
    Lead({&call}, &call);
  } else {
    call.Wait();
    // Woken to send the next batch: this call is in it, so it is done after.
    if (call.state == Call::State::kLead) Lead(std::move(call.batch), &call);
  }
  if (!call.status.ok() && master_hint != nullptr && call.status.IsNotMaster()) {
    *master_hint = std::move(call.master_hint);
  }
  *replies = std::move(call.replies);
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
    leader->batch = std::move(next);
    leader->Post(Call::State::kLead);
  }
  for (Call* member : batch) {
    if (member == self) {
      member->state = Call::State::kDone;
    } else {
      member->Post(Call::State::kDone);  // from here on the member may be gone
    }
  }
}

CombiningMasterStub::Call::Call() { DKV_CHECK(::sem_init(&wake, 0, 0) == 0); }

CombiningMasterStub::Call::~Call() { ::sem_destroy(&wake); }

void CombiningMasterStub::Call::Post(State next) {
  state = next;
  DKV_CHECK(::sem_post(&wake) == 0);
}

void CombiningMasterStub::Call::Wait() {
  while (::sem_wait(&wake) != 0) DKV_CHECK(errno == EINTR);
}

size_t CombiningMasterStub::QueuedForTests() {
  MutexLock l(&mu_);
  return queue_.size();
}

std::vector<CombiningMasterStub::Call*> CombiningMasterStub::TakeBatch() {
  std::vector<Call*> batch;
  size_t ops = 0;
  size_t bytes = 0;
  while (!queue_.empty()) {
    Call* next = queue_.front();
    size_t size = 0;
    for (const Op& op : next->ops) size += op.key.size() + op.value.size();
    // The first call goes whatever its size; the others only while the batch stays in bounds.
    if (!batch.empty() &&
        (ops + next->ops.size() > kMaxBatchOps || bytes + size > kMaxBatchBytes)) {
      break;
    }
    ops += next->ops.size();
    bytes += size;
    batch.push_back(next);
    queue_.pop_front();
  }
  return batch;
}

void CombiningMasterStub::Send(const std::vector<Call*>& batch) {
  if (batch.size() == 1) {  // alone: its ops go as they are, no copies
    Call* call = batch.front();
    call->status = inner_->Execute(call->ops, &call->replies, call->timeout, &call->master_hint);
    return;
  }
  std::vector<Op> ops;
  std::chrono::milliseconds timeout = batch.front()->timeout;
  for (Call* member : batch) {
    for (Op& op : member->ops) ops.push_back(std::move(op));
    timeout = std::min(timeout, member->timeout);
  }
  std::vector<Reply> replies;
  std::string hint;
  Status s = inner_->Execute(ops, &replies, timeout, &hint);
  if (s.ok() && replies.size() != ops.size()) {
    s = Status::Internal("the master answered " + std::to_string(replies.size()) +
                         " replies to a batch of " + std::to_string(ops.size()));
  }
  size_t next = 0;
  for (Call* member : batch) {
    member->status = s;
    if (!s.ok()) {
      member->master_hint = hint;
      continue;
    }
    const size_t count = member->ops.size();
    member->replies.assign(std::make_move_iterator(replies.begin() + next),
                           std::make_move_iterator(replies.begin() + next + count));
    next += count;
  }
}

}  // namespace dkv::client
