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

TEST(HostPortTest, ParsesBracketedIpv6AndPrintsItBack) {
  auto hp = ParseHostPort("[::1]:7400");
  ASSERT_TRUE(hp.ok()) << hp.status().ToString();
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 7400);
  EXPECT_EQ(hp->ToString(), "[::1]:7400");
  EXPECT_FALSE(ParseHostPort("::1:7400").ok());
  EXPECT_FALSE(ParseHostPort("[]:7400").ok());
}

TEST(HostPortTest, RejectsMissingOrBadPort) {
  EXPECT_FALSE(ParseHostPort("host").ok());
  EXPECT_FALSE(ParseHostPort("host:").ok());
  EXPECT_FALSE(ParseHostPort(":80").ok());
  EXPECT_FALSE(ParseHostPort("host:65536").ok());
  EXPECT_FALSE(ParseHostPort("host:8x").ok());
}

TEST(HostPortTest, AdvertisedAddressDefaultsToListenHostAndBoundPort) {
  EXPECT_EQ(AdvertisedAddress("", "127.0.0.2", 7400)->ToString(), "127.0.0.2:7400");
  EXPECT_EQ(AdvertisedAddress("", "0.0.0.0", 7400)->host, LocalHostName());
  EXPECT_EQ(AdvertisedAddress("db1", "0.0.0.0", 7400)->ToString(), "db1:7400");
  EXPECT_EQ(AdvertisedAddress("db1:9000", "0.0.0.0", 7400)->ToString(), "db1:9000");
  EXPECT_FALSE(AdvertisedAddress("db1:x", "0.0.0.0", 7400).ok());
}

}  // namespace
}  // namespace dkv
