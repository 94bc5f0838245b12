#include "dkv/status.h"

namespace dkv {

const char* Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotMaster:
      return "NOT_MASTER";
    case Code::kNoDataNodes:
      return "NO_DATA_NODES";
    case Code::kKeyTooLarge:
      return "KEY_TOO_LARGE";
    case Code::kValueTooLarge:
      return "VALUE_TOO_LARGE";
    case Code::kUnavailable:
      return "UNAVAILABLE";
    case Code::kWrongNode:
      return "WRONG_NODE";
    case Code::kStaleEpoch:
      return "STALE_EPOCH";
    case Code::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case Code::kNotFound:
      return "NOT_FOUND";
    case Code::kAlreadyExists:
      return "ALREADY_EXISTS";
    case Code::kVersionMismatch:
      return "VERSION_MISMATCH";
    case Code::kTimedOut:
      return "TIMED_OUT";
    case Code::kIoError:
      return "IO_ERROR";
    case Code::kInternal:
      return "INTERNAL";
    case Code::kMoving:
      return "MOVING";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = CodeName(code_);
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

Status Status::CloneAndPrepend(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  if (!message_.empty()) {
    m += ": ";
    m += message_;
  }
  return Status(code_, std::move(m));
}

}  // namespace dkv
