#include "server/op_batch.h"

#include <utility>

#include "common/logging.h"

namespace dkv::server {

OpBatch::OpBatch(std::vector<OpCode> codes) {
  slots_.reserve(codes.size());
  for (OpCode code : codes) slots_.push_back(Slot{code, 0, false, Reply()});
}

namespace {

bool IsError(const Reply& r) { return r.error.has_value() || r.type == Reply::Type::kError; }

}  // namespace

void OpBatch::AddPart(size_t op) { ++slots_[op].outstanding; }

void OpBatch::Merge(size_t op, Reply part) {
  Slot& slot = slots_[op];
  DKV_CHECK(slot.outstanding > 0);
  --slot.outstanding;
  if (!slot.answered) {
    slot.reply = std::move(part);
    slot.answered = true;
    return;
  }
  if (IsError(slot.reply)) return;  // the first error wins
  if (IsError(part)) {
    slot.reply = std::move(part);
    return;
  }
  switch (slot.code) {
    case OpCode::kDbSize:
      slot.reply.integer += part.integer;
      break;
    case OpCode::kMSetNx:
      if (part.integer == 0) slot.reply.integer = 0;
      break;
    case OpCode::kRandomKey:
      if (slot.reply.type == Reply::Type::kNil) slot.reply = std::move(part);
      break;
    default:  // FLUSHDB, FLUSHALL: every part answers OK
      break;
  }
}

void OpBatch::Answer(size_t op, Reply reply) {
  DKV_CHECK(slots_[op].outstanding == 0);
  slots_[op].answered = true;
  slots_[op].reply = std::move(reply);
}

std::vector<Reply> OpBatch::TakeReplies() {
  std::vector<Reply> replies;
  replies.reserve(slots_.size());
  for (Slot& slot : slots_) {
    DKV_CHECK(slot.answered && slot.outstanding == 0);
    replies.push_back(std::move(slot.reply));
  }
  slots_.clear();
  return replies;
}

}  // namespace dkv::server
