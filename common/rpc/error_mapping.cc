#include "common/rpc/error_mapping.h"

#include "common/logging.h"

namespace dkv::rpc {

DkvError ToThrift(const Status& status, const std::string& master_address) {
  DKV_CHECK(!status.ok());
  DkvError error;
  // The IDL's ErrorCode numbers are Status::Code's, so the cast is the mapping.
  error.code = static_cast<ErrorCode::type>(status.code());
  error.message = status.message();
  if (!master_address.empty()) error.__set_master_address(master_address);
  return error;
}

Status FromThrift(const DkvError& error) {
  const int code = static_cast<int>(error.code);
  if (code <= 0 || code > static_cast<int>(Status::Code::kLastCode)) {
    return Status::Internal("unknown error code " + std::to_string(code) + ": " + error.message);
  }
  return Status(static_cast<Status::Code>(code), error.message);
}

}  // namespace dkv::rpc
