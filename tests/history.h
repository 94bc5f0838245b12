// History: what the clients of a key-value store asked for and what they were told, one Operation
// per call, for the linearizability checker (tests/linearizability.h). An operation is a get, set,
// incr or del of one key; it has the client that made it, its input, its output, the steady-clock
// times at which it was invoked and completed, and how it ended:
//   kOk       it completed, and its output is what the store answered;
//   kFailed   it surely did not take effect (a refusal decided before anything was applied);
//   kUnknown  it may or may not have taken effect (timed out, connection lost): the checker treats
//             it as completing at +infinity with an output it does not check.
//
// Thread-safety: plain values; HistoryRecorder (tests/history_recorder.h) builds one from many
// threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dkv::test {

enum class OpKind { kGet, kSet, kIncr, kDel };
enum class OpOutcome { kOk, kFailed, kUnknown };

const char* OpKindName(OpKind kind);
const char* OpOutcomeName(OpOutcome outcome);

// What the store answered; only the field of the operation's kind means anything, and only when
// the outcome is kOk.
struct OpOutput {
  std::optional<std::string> read;  // kGet: the value read; nullopt: the key was absent
  int64_t incr_result = 0;          // kIncr: the key's new value
  // kDel: whether the key existed; nullopt when the answer is not to be checked (the client's
  // Remove may misreport it when the master fails over during the call: dkv/client.h).
  std::optional<bool> existed;
};

struct Operation {
  int client = 0;
  OpKind kind = OpKind::kGet;
  std::string key;
  std::string value;  // kSet: the value written
  int64_t delta = 0;  // kIncr: the increment
  OpOutput output;
  int64_t invoked_ns = 0;    // steady clock
  int64_t completed_ns = 0;  // steady clock; not meaningful when the outcome is kUnknown
  OpOutcome outcome = OpOutcome::kOk;

  // E.g. "c2 set(k, \"c2-17\") ok [1200, 1350]" or "c0 get(k) -> absent unknown [5, ?]".
  std::string ToString() const;
};

using History = std::vector<Operation>;

// Steady-clock nanoseconds, the clock of invoked_ns and completed_ns.
int64_t NowNanos();

}  // namespace dkv::test
