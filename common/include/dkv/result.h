// dkv::Result<T>: either a value or a failed Status, for functions that produce something.
//
// Thread-compatible, as Status. Accessing value() of a failed Result is a bug and aborts.
#pragma once

#include <cstdlib>
#include <optional>
#include <utility>

#include "dkv/status.h"

namespace dkv {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) std::abort();                     // a Result built from OK must carry a value
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    Check();
    return *value_;
  }
  const T& value() const& {
    Check();
    return *value_;
  }
  T&& value() && {
    Check();
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void Check() const {
    if (!value_) std::abort();
  }

  Status status_;
  std::optional<T> value_;
};

// The Status of a Status or of a Result, for code generic over both (e.g. a retry loop).
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace dkv

// Declares `lhs` from the value of a Result expression, or returns its Status from the enclosing
// function.
#define DKV_ASSIGN_OR_RETURN(lhs, expr) \
  DKV_ASSIGN_OR_RETURN_IMPL(DKV_CONCAT(_dkv_r, __LINE__), lhs, expr)
#define DKV_CONCAT_INNER(a, b) a##b
#define DKV_CONCAT(a, b) DKV_CONCAT_INNER(a, b)
#define DKV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
