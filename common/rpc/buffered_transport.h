// BufferedTransport: the TBufferedTransport of both ends of every dkv Thrift connection
// (RpcConnection and RpcServer), with two changes to Thrift's:
//
// - 64 KiB buffers instead of 512 bytes. With 512, a batched call (Dkv.execute, DataNode.execute:
//   hundreds of ops, tens of KiB) went out in one send(2) per 512 bytes and was read in as many
//   recv(2)s; at 64 KiB a pipelined RESP round's batch is one or two of each. Allocated (not
//   zeroed) once per connection.
// - The message-size count starts again at the end of each message. Thrift 0.17 counts every byte
//   a buffered transport reads against TConfiguration's maxMessageSize (100 MB) and, unlike its
//   framed and memory transports, never resets the count (THRIFT-5492), so a connection that had
//   carried 100 MB in all failed its next call with END_OF_FILE: a data node silently dropped the
//   master's connection in the middle of a long `redis-benchmark -P 16` run.
#pragma once

#include <thrift/transport/TBufferTransports.h>

#include <cstdint>
#include <memory>
#include <utility>

namespace dkv::rpc {

inline constexpr uint32_t kTransportBufferBytes = 64 * 1024;

class BufferedTransport : public apache::thrift::transport::TBufferedTransport {
 public:
  // `config` (null: Thrift's defaults) bounds each message.
  explicit BufferedTransport(std::shared_ptr<apache::thrift::transport::TTransport> transport,
                             std::shared_ptr<apache::thrift::TConfiguration> config = nullptr)
      : TBufferedTransport(std::move(transport), kTransportBufferBytes, std::move(config)) {}

  // Called by the generated code after each message read.
  uint32_t readEnd() override {
    resetConsumedMessageSize();
    return TBufferedTransport::readEnd();
  }
};

}  // namespace dkv::rpc
