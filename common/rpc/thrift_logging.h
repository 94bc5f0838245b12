// Thrift prints its own diagnostics (a refused connect, a failed bind, a dropped client) through
// apache::thrift::GlobalOutput, on stderr by default. dkv reports every such failure as a Status
// with context, so Thrift's lines go to the debug log instead (DKV_LOG_LEVEL=debug shows them).
#pragma once

namespace dkv::rpc {

// Idempotent and thread-safe; called by RpcServer and RpcConnection before they touch Thrift.
void RouteThriftLogging();

}  // namespace dkv::rpc
