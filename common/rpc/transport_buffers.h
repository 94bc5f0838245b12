// The buffer size of TBufferedTransport on both ends of every dkv Thrift connection (RpcConnection
// and RpcServer). Thrift's default is 512 bytes, so a batched call (Dkv.execute, DataNode.execute:
// hundreds of ops, tens of KiB) went out in one send(2) per 512 bytes and was read in as many
// recv(2)s; at 64 KiB a batch of a pipelined RESP round is one or two of each. The buffers are
// allocated (not zeroed) once per connection.
#pragma once

#include <cstdint>

namespace dkv::rpc {

inline constexpr uint32_t kTransportBufferBytes = 64 * 1024;

}  // namespace dkv::rpc
