#include "tests/history_recorder.h"

#include <utility>

namespace dkv::test {

HistoryRecorder::OpId HistoryRecorder::Invoke(Operation op) {
  op.output = {};
  op.completed_ns = 0;
  op.outcome = OpOutcome::kUnknown;
  op.invoked_ns = NowNanos();
  MutexLock l(&mu_);
  ops_.push_back(std::move(op));
  return ops_.size() - 1;
}

void HistoryRecorder::Complete(OpId id, OpOutcome outcome, OpOutput output) {
  const int64_t now = NowNanos();
  MutexLock l(&mu_);
  Operation& op = ops_.at(id);
  op.completed_ns = now;
  op.outcome = outcome;
  if (outcome == OpOutcome::kOk) op.output = std::move(output);
}

History HistoryRecorder::Snapshot() const {
  MutexLock l(&mu_);
  return ops_;  // an operation not completed still holds Invoke's kUnknown
}

size_t HistoryRecorder::size() const {
  MutexLock l(&mu_);
  return ops_.size();
}

}  // namespace dkv::test
