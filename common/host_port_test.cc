#include "common/host_port.h"

#include <gtest/gtest.h>

namespace dkv {
namespace {

TEST(HostPortTest, ParsesHostAndPort) {
  auto hp = ParseHostPort("10.1.2.3:7400");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "10.1.2.3");
  EXPECT_EQ(hp->port, 7400);
  EXPECT_EQ(hp->ToString(), "10.1.2.3:7400");
}

TEST(HostPortTest, RejectsMissingOrBadPort) {
  EXPECT_FALSE(ParseHostPort("host").ok());
  EXPECT_FALSE(ParseHostPort("host:").ok());
  EXPECT_FALSE(ParseHostPort(":80").ok());
  EXPECT_FALSE(ParseHostPort("host:65536").ok());
  EXPECT_FALSE(ParseHostPort("host:8x").ok());
}

}  // namespace
}  // namespace dkv
