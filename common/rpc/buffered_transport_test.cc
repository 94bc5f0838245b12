#include "common/rpc/buffered_transport.h"

#include <gtest/gtest.h>
#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TTransportException.h>

#include <string>

namespace dkv::rpc {
namespace {

using apache::thrift::TConfiguration;
using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::transport::TMemoryBuffer;

// Many messages that together exceed the message-size limit, each well within it, are all read:
// the limit applies per message. (Thrift's own TBufferedTransport fails here once 1,000 bytes have
// been read in all.)
TEST(BufferedTransportTest, TheMessageSizeLimitAppliesToEachMessageNotToTheConnection) {
  auto wire = std::make_shared<TMemoryBuffer>();
  TBinaryProtocol writer(wire);
  const std::string payload(300, 'x');
  constexpr int kMessages = 20;  // 6,000 bytes of strings in all
  for (int i = 0; i < kMessages; ++i) writer.writeString(payload);

  auto config = std::make_shared<TConfiguration>(/*maxMessageSize=*/1000);
  auto transport = std::make_shared<BufferedTransport>(wire, config);
  TBinaryProtocol reader(transport);
  for (int i = 0; i < kMessages; ++i) {
    std::string read;
    ASSERT_NO_THROW(reader.readString(read)) << "message " << i;
    EXPECT_EQ(read, payload);
    transport->readEnd();  // as the generated code does after each message
  }
}

TEST(BufferedTransportTest, AMessageOverTheLimitStillFails) {
  auto wire = std::make_shared<TMemoryBuffer>();
  TBinaryProtocol writer(wire);
  writer.writeString(std::string(3000, 'x'));
  auto transport =
      std::make_shared<BufferedTransport>(wire, std::make_shared<TConfiguration>(1000));
  TBinaryProtocol reader(transport);
  std::string read;
  EXPECT_THROW(reader.readString(read), apache::thrift::transport::TTransportException);
}

}  // namespace
}  // namespace dkv::rpc
