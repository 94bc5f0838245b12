#include "common/rpc/metadata_codec.h"

#include <gtest/gtest.h>

#include "common/rpc/thrift_codec.h"
#include "gen-cpp/dkv_types.h"

namespace dkv::rpc {
namespace {

TEST(MetadataCodecTest, SlotMapRoundTripsWithUnassignedSlots) {
  SlotMap map(8);
  map.Rebalance({"n1", "n2", "n3"});
  map.Assign(5, "");
  map.set_version(7);
  map.set_epoch(3);
  SlotMap back;
  ASSERT_TRUE(DecodeSlotMap(EncodeSlotMap(map), &back).ok());
  EXPECT_EQ(back, map);
}

TEST(MetadataCodecTest, MalformedBytesAreAnErrorNotACrash) {
  SlotMap map;
  EXPECT_EQ(DecodeSlotMap("\xff\x01garbage", &map).code(), Status::Code::kInvalidArgument);
  MemberInfo member;
  EXPECT_FALSE(DecodeMember(std::string("\x0b\x00\x01\x7f\xff\xff\xff", 7), &member).ok());
}

TEST(MetadataCodecTest, SlotMapWithOutOfRangeOwnerIsRejected) {
  SlotMapRecord info;
  info.slot_count = 2;
  info.nodes = {"a"};
  info.owners = {0, 1};  // owner index 1 does not exist
  SlotMap back;
  EXPECT_EQ(DecodeSlotMap(Serialize(info), &back).code(), Status::Code::kInvalidArgument);
  info.owners = {0};  // fewer owners than slots
  EXPECT_EQ(DecodeSlotMap(Serialize(info), &back).code(), Status::Code::kInvalidArgument);
}

TEST(MetadataCodecTest, MemberMasterEpochAndClientRoundTrip) {
  MemberInfo m{"data-1", "h:7500", 42, "h"}, m2;
  ASSERT_TRUE(DecodeMember(EncodeMember(m), &m2).ok());
  EXPECT_EQ(m2.id, "data-1");
  EXPECT_EQ(m2.address, "h:7500");
  EXPECT_EQ(m2.pid, 42);
  MasterInfo master{"srv-1", "h:7400", 9, Limits{10, 20}}, master2;
  ASSERT_TRUE(DecodeMaster(EncodeMaster(master), &master2).ok());
  EXPECT_EQ(master2.epoch, 9);
  EXPECT_EQ(master2.limits.max_key_bytes, 10u);
  EXPECT_EQ(master2.limits.max_value_bytes, 20u);
  int64_t epoch = 0;
  ASSERT_TRUE(DecodeEpoch(EncodeEpoch(12), &epoch).ok());
  EXPECT_EQ(epoch, 12);
  ClientInfo c{"h", 5}, c2;
  ASSERT_TRUE(DecodeClient(EncodeClient(c), &c2).ok());
  EXPECT_EQ(c2.pid, 5);
}

TEST(MetadataCodecTest, DrainRecordRoundTrips) {
  DrainInfo drain{1700000000123, false}, back;
  ASSERT_TRUE(DecodeDrain(EncodeDrain(drain), &back).ok());
  EXPECT_EQ(back.requested_at_ms, 1700000000123);
  EXPECT_FALSE(back.leave_when_done);
  EXPECT_EQ(DecodeDrain("\xff\x01garbage", &back).code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace dkv::rpc
