// Serialize/Deserialize: a Thrift struct to and from bytes with TBinaryProtocol, for znode
// payloads. Only common/rpc uses it; callers elsewhere go through metadata.h.
#pragma once

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <memory>
#include <string>

#include "dkv/status.h"

namespace dkv::rpc {

template <typename T>
std::string Serialize(const T& value) {
  auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>();
  apache::thrift::protocol::TBinaryProtocol protocol(buffer);
  value.write(&protocol);
  return buffer->getBufferAsString();
}

// INVALID_ARGUMENT naming `what` when the bytes are not a valid T.
template <typename T>
Status Deserialize(const std::string& bytes, const char* what, T* value) {
  try {
    auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>(
        reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())),
        static_cast<uint32_t>(bytes.size()), apache::thrift::transport::TMemoryBuffer::OBSERVE);
    // Nothing inside can be longer than the whole: a corrupt length prefix fails at once instead
    // of allocating what it claims.
    const auto limit = static_cast<int32_t>(bytes.size());
    apache::thrift::protocol::TBinaryProtocol protocol(buffer, limit, limit, false, true);
    value->read(&protocol);
  } catch (const apache::thrift::TException& e) {
    return Status::InvalidArgument(std::string("malformed ") + what + ": " + e.what());
  }
  return Status::OK();
}

}  // namespace dkv::rpc
