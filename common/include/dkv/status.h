// dkv::Status: the outcome of an operation that can fail, in the leveldb/Kudu manner.
//
// Success is cheap (no allocation). A failure carries a code from the list below and a message that
// each layer may extend with context (CloneAndPrepend). Status is a value type and
// thread-compatible: distinct objects may be used from distinct threads, one object needs external
// synchronization.
//
// The codes are part of dkv's public vocabulary: the client library returns them, the RPC layer
// maps them one-to-one onto the IDL's ErrorCode (common/rpc/error_mapping.h).
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace dkv {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotMaster = 1,        // the server called is a standby; the message names the master
    kNoDataNodes = 2,      // no live data node owns the key's slot
    kKeyTooLarge = 3,      // key above the cluster's key limit
    kValueTooLarge = 4,    // value above the cluster's value limit
    kUnavailable = 5,      // no master reachable, connection broken, deadline passed while retrying
    kWrongNode = 6,        // a data node was asked for a slot it does not own under its slot map
    kStaleEpoch = 7,       // a data node was called by a master older than one it has seen
    kInvalidArgument = 8,  // a malformed request or option
    kNotFound = 9,         // a metadata object (znode, member) does not exist; not used for keys
    kAlreadyExists = 10,   // a metadata object already exists
    kVersionMismatch = 11,  // a conditional metadata write lost a race
    kTimedOut = 12,         // a wait ran past its deadline
    kIoError = 13,          // a local system call failed
    kInternal = 14,         // a broken invariant on the far side; a bug
    kMoving = 15,           // the key's slot is being moved and its writes are paused briefly
    kLastCode = kMoving,
  };

  Status() noexcept = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status NotMaster(std::string m) { return Status(Code::kNotMaster, std::move(m)); }
  static Status NoDataNodes(std::string m) { return Status(Code::kNoDataNodes, std::move(m)); }
  static Status KeyTooLarge(std::string m) { return Status(Code::kKeyTooLarge, std::move(m)); }
  static Status ValueTooLarge(std::string m) { return Status(Code::kValueTooLarge, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status WrongNode(std::string m) { return Status(Code::kWrongNode, std::move(m)); }
  static Status StaleEpoch(std::string m) { return Status(Code::kStaleEpoch, std::move(m)); }
  static Status InvalidArgument(std::string m) {
    return Status(Code::kInvalidArgument, std::move(m));
  }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
  static Status VersionMismatch(std::string m) {
    return Status(Code::kVersionMismatch, std::move(m));
  }
  static Status TimedOut(std::string m) { return Status(Code::kTimedOut, std::move(m)); }
  static Status IoError(std::string m) { return Status(Code::kIoError, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }
  static Status Moving(std::string m) { return Status(Code::kMoving, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  bool IsNotMaster() const { return code_ == Code::kNotMaster; }
  bool IsNoDataNodes() const { return code_ == Code::kNoDataNodes; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsWrongNode() const { return code_ == Code::kWrongNode; }
  bool IsStaleEpoch() const { return code_ == Code::kStaleEpoch; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsVersionMismatch() const { return code_ == Code::kVersionMismatch; }
  bool IsTimedOut() const { return code_ == Code::kTimedOut; }
  bool IsMoving() const { return code_ == Code::kMoving; }

  // The code's stable upper-case name, as in the IDL and the CLI's messages: "NOT_MASTER", ...
  static const char* CodeName(Code code);

  // "OK" or "<CODE_NAME>: <message>".
  std::string ToString() const;

  // The same code with "<context>: " put before the message; OK stays OK.
  Status CloneAndPrepend(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace dkv

// Returns the Status of `expr` from the enclosing function if it failed.
#define DKV_RETURN_NOT_OK(expr)      \
  do {                               \
    ::dkv::Status _dkv_s = (expr);   \
    if (!_dkv_s.ok()) return _dkv_s; \
  } while (0)

// As DKV_RETURN_NOT_OK, adding "<context>: " to the message.
#define DKV_RETURN_NOT_OK_PREPEND(expr, context)              \
  do {                                                        \
    ::dkv::Status _dkv_s = (expr);                            \
    if (!_dkv_s.ok()) return _dkv_s.CloneAndPrepend(context); \
  } while (0)
