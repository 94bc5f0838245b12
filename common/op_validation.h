// The checks an Op (common/op.h) passes before it runs, whatever the data it meets: one
// definition for the master's router, which answers a refused op without sending it
// (server/router.h), and the data node's OpExecutor, which checks again because its callers are
// not all routers (data/op_executor.h).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "common/limits.h"
#include "common/op.h"
#include "dkv/status.h"

namespace dkv {

// OK, or why `op` must not run, not as a Redis reply: INVALID_ARGUMENT for an unknown op code, a
// db out of range or an MSETNX without key/value pairs; KEY_TOO_LARGE / VALUE_TOO_LARGE for a key
// or value over `limits`, or a SETRANGE that would make its value so.
Status ValidateOp(const Op& op, const Limits& limits);

// The Redis error reply that Redis gives `op` before it looks its key up (EXPIRE with options
// that exclude each other), or nullopt. For an op that ValidateOp accepted.
std::optional<std::string> RedisOptionError(const Op& op);

}  // namespace dkv
