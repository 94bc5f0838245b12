#include "tests/history.h"

#include <chrono>
#include <sstream>

namespace dkv::test {

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kGet:
      return "get";
    case OpKind::kSet:
      return "set";
    case OpKind::kIncr:
      return "incr";
    case OpKind::kDel:
      return "del";
  }
  return "?";
}

const char* OpOutcomeName(OpOutcome outcome) {
  switch (outcome) {
    case OpOutcome::kOk:
      return "ok";
    case OpOutcome::kFailed:
      return "failed";
    case OpOutcome::kUnknown:
      return "unknown";
  }
  return "?";
}

std::string Operation::ToString() const {
  std::ostringstream s;
  s << "c" << client << " " << OpKindName(kind) << "(" << key;
  if (kind == OpKind::kSet) s << ", \"" << value << "\"";
  if (kind == OpKind::kIncr) s << ", " << delta;
  s << ")";
  if (outcome == OpOutcome::kOk) {
    switch (kind) {
      case OpKind::kGet:
        s << " -> " << (output.read ? "\"" + *output.read + "\"" : "absent");
        break;
      case OpKind::kIncr:
        s << " -> " << output.incr_result;
        break;
      case OpKind::kDel:
        s << " -> " << (!output.existed ? "(unchecked)" : *output.existed ? "existed" : "absent");
        break;
      case OpKind::kSet:
        break;
    }
  }
  s << " " << OpOutcomeName(outcome) << " [" << invoked_ns << ", ";
  if (outcome == OpOutcome::kUnknown) {
    s << "?";
  } else {
    s << completed_ns;
  }
  s << "]";
  return s.str();
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace dkv::test
