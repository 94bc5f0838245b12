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

TEST(MetadataCodecTest, SlotMapChainsRoundTripWithTheirStampsAndR) {
  SlotMap map(4);
  map.set_replication_factor(3);
  map.SetChain(0, {"n1", "n2", "n3"});
  map.SetChain(1, {"n3", "n1"});
  map.Assign(2, "n2");
  map.set_version(9);
  map.StampChanges(SlotMap(4));
  map.SetMemberSince(0, "n2", 4);
  SlotMap back;
  ASSERT_TRUE(DecodeSlotMap(EncodeSlotMap(map), &back).ok());
  EXPECT_EQ(back, map);
  EXPECT_EQ(back.replication_factor(), 3);
  EXPECT_EQ(back.MemberSince(0, "n2"), 4);
}

TEST(MetadataCodecTest, SlotMapOfOneMemberChainsIsWrittenAsBeforeChains) {
  SlotMap map(3);
  map.Rebalance({"n1", "n2"});
  map.set_version(2);
  map.StampChanges(SlotMap(3));
  SlotMapRecord t;
  ASSERT_TRUE(Deserialize(EncodeSlotMap(map), "slot map", &t).ok());
  EXPECT_FALSE(t.__isset.chains);
  EXPECT_FALSE(t.__isset.chain_since);
  EXPECT_FALSE(t.__isset.replication_factor);
  EXPECT_EQ(t.owners.size(), 3u);
  // A replicated map keeps owners (the heads) and owner_since for readers that know no chains.
  const std::string head = map.Owner(1);
  map.SetChain(1, {head, "n3"});
  ASSERT_TRUE(Deserialize(EncodeSlotMap(map), "slot map", &t).ok());
  EXPECT_TRUE(t.__isset.chains);
  EXPECT_EQ(t.nodes[t.owners[1]], head);
  EXPECT_EQ(t.owner_since[1], 2);
}

TEST(MetadataCodecTest, RecordWithoutChainsDecodesToOneMemberChains) {
  SlotMapRecord old;  // as written before chains existed
  old.version = 5;
  old.slot_count = 3;
  old.nodes = {"a", "b"};
  old.owners = {1, -1, 0};
  old.owner_since = {4, 0, 5};
  SlotMap back;
  ASSERT_TRUE(DecodeSlotMap(Serialize(old), &back).ok());
  EXPECT_EQ(back.replication_factor(), 1);
  EXPECT_EQ(back.Chain(0), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(back.Chain(1).empty());
  EXPECT_EQ(back.Chain(2), (std::vector<std::string>{"a"}));
  EXPECT_EQ(back.OwnerSince(0), 4);
  EXPECT_EQ(back.MemberSince(2, "a"), 5);
  old.owner_since.clear();  // older still: no stamps
  ASSERT_TRUE(DecodeSlotMap(Serialize(old), &back).ok());
  EXPECT_EQ(back.OwnerSince(0), 0);
}

TEST(MetadataCodecTest, SlotMapWithABadChainIsRejected) {
  SlotMapRecord t;
  t.slot_count = 1;
  t.nodes = {"a", "b"};
  t.owners = {0};
  t.__set_chains({{1, 0}});  // the owner is not the head
  SlotMap back;
  EXPECT_EQ(DecodeSlotMap(Serialize(t), &back).code(), Status::Code::kInvalidArgument);
  t.__set_chains({{0, 0}});  // a node twice
  EXPECT_EQ(DecodeSlotMap(Serialize(t), &back).code(), Status::Code::kInvalidArgument);
  t.__set_chains({{0, 2}});  // no node 2
  EXPECT_EQ(DecodeSlotMap(Serialize(t), &back).code(), Status::Code::kInvalidArgument);
  t.__set_chains({{0, 1}});
  t.__set_chain_since({{1}});  // a stamp missing
  EXPECT_EQ(DecodeSlotMap(Serialize(t), &back).code(), Status::Code::kInvalidArgument);
  t.__set_chain_since({{1, 2}});
  t.__set_replication_factor(0);
  EXPECT_EQ(DecodeSlotMap(Serialize(t), &back).code(), Status::Code::kInvalidArgument);
  t.__set_replication_factor(2);
  ASSERT_TRUE(DecodeSlotMap(Serialize(t), &back).ok());
  EXPECT_EQ(back.Chain(0), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(back.MemberSince(0, "b"), 2);
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
