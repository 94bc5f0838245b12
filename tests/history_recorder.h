// HistoryRecorder: collects a History (tests/history.h) from many client threads as they call the
// store. A thread records an operation's invocation just before it makes the call and its
// completion just after the call returns; each record is stamped with the steady clock then, so
// the interval recorded always contains the instant the store acted on the call.
//
// Thread-safety: thread-safe; any number of threads may Invoke and Complete at once. An operation
// is completed by the thread that invoked it.
#pragma once

#include <cstddef>

#include "common/mutex.h"
#include "tests/history.h"

namespace dkv::test {

class HistoryRecorder {
 public:
  using OpId = size_t;

  HistoryRecorder() = default;
  HistoryRecorder(const HistoryRecorder&) = delete;
  HistoryRecorder& operator=(const HistoryRecorder&) = delete;

  // Records that `op` (its client, kind, key and input; the rest is ignored) is invoked now.
  OpId Invoke(Operation op) EXCLUDES(mu_);
  // Records that operation `id` completed now with `outcome` and, when kOk, `output`.
  void Complete(OpId id, OpOutcome outcome, OpOutput output = {}) EXCLUDES(mu_);

  // Everything recorded so far, in order of invocation; an operation not completed yet counts as
  // kUnknown.
  History Snapshot() const EXCLUDES(mu_);
  size_t size() const EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  History ops_ GUARDED_BY(mu_);
};

}  // namespace dkv::test
