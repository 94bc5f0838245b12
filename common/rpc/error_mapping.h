// dkv::Status <-> the IDL's DkvError, one-to-one by code. Handlers throw ToThrift(status) at the
// edge; connections turn a received DkvError back into the same Status.
#pragma once

#include "dkv/status.h"
#include "gen-cpp/dkv_types.h"

namespace dkv::rpc {

// Requires !status.ok(). `master_address` is set on the error when non-empty (NOT_MASTER).
DkvError ToThrift(const Status& status, const std::string& master_address = "");

Status FromThrift(const DkvError& error);

}  // namespace dkv::rpc
