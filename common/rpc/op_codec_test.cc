#include "common/rpc/op_codec.h"

#include <gtest/gtest.h>

#include "common/rpc/thrift_codec.h"

namespace dkv::rpc {
namespace {

TEST(OpCodecTest, OpRoundTripsEveryField) {
  dkv::Op op;
  op.code = dkv::OpCode::kSet;
  op.db = 3;
  op.key = std::string("k\0ey", 4);
  op.value = "value";
  op.arg1 = -7;
  op.arg2 = 9;
  op.expire_at_ms = 1234567890123;
  op.flags = dkv::kNx | dkv::kGetOld;
  op.args = {"a", "b"};
  dkv::Op back = FromThrift(ToThrift(dkv::Op(op)));
  EXPECT_EQ(back.code, op.code);
  EXPECT_EQ(back.db, op.db);
  EXPECT_EQ(back.key, op.key);
  EXPECT_EQ(back.value, op.value);
  EXPECT_EQ(back.arg1, op.arg1);
  EXPECT_EQ(back.arg2, op.arg2);
  EXPECT_EQ(back.expire_at_ms, op.expire_at_ms);
  EXPECT_EQ(back.flags, op.flags);
  EXPECT_EQ(back.args, op.args);
}

// Through the wire: what a peer decodes from the bytes.
dkv::Op OverTheWire(dkv::Op op) {
  rpc::Op decoded;
  EXPECT_TRUE(Deserialize(Serialize(ToThrift(std::move(op))), "op", &decoded).ok());
  return FromThrift(std::move(decoded));
}
dkv::Reply OverTheWire(dkv::Reply reply) {
  rpc::Reply decoded;
  EXPECT_TRUE(Deserialize(Serialize(ToThrift(std::move(reply))), "reply", &decoded).ok());
  return FromThrift(std::move(decoded));
}

TEST(OpCodecTest, EveryFieldCrossesTheWireAndDefaultsAreLeftOff) {
  dkv::Op op;
  op.code = dkv::OpCode::kSet;
  op.db = 3;
  op.key = "key";
  op.value = std::string("v\0l", 3);
  op.arg1 = -7;
  op.arg2 = 9;
  op.expire_at_ms = 1234567890123;
  op.flags = dkv::kNx;
  op.args = {"a", "b"};
  dkv::Op back = OverTheWire(op);
  EXPECT_EQ(back.db, 3);
  EXPECT_EQ(back.value, op.value);
  EXPECT_EQ(back.arg1, -7);
  EXPECT_EQ(back.arg2, 9);
  EXPECT_EQ(back.expire_at_ms, op.expire_at_ms);
  EXPECT_EQ(back.flags, dkv::kNx);
  EXPECT_EQ(back.args, op.args);

  // A plain GET carries its code and key only: field headers of 3 bytes, the i32 code, the key's
  // length and bytes, the stop byte.
  dkv::Op get;
  get.code = dkv::OpCode::kGet;
  get.key = "key";
  EXPECT_EQ(Serialize(ToThrift(dkv::Op(get))).size(), 3u + 4 + 3 + 4 + 3 + 1);
  back = OverTheWire(get);
  EXPECT_EQ(back.code, dkv::OpCode::kGet);
  EXPECT_EQ(back.key, "key");
  EXPECT_EQ(back.db, 0);
  EXPECT_TRUE(back.value.empty());
  EXPECT_EQ(back.expire_at_ms, 0);

  dkv::Reply bulk = OverTheWire(dkv::Reply::Bulk("value"));
  EXPECT_EQ(bulk.type, dkv::Reply::Type::kBulk);
  EXPECT_EQ(bulk.str, "value");
  dkv::Reply integer = OverTheWire(dkv::Reply::Integer(-2));
  EXPECT_EQ(integer.integer, -2);
  dkv::Reply array = OverTheWire(dkv::Reply::Array({"x", "y"}));
  EXPECT_EQ(array.elements, (std::vector<std::string>{"x", "y"}));
  dkv::Reply failed = OverTheWire(dkv::Reply::Failed(Status::Unavailable("node down")));
  EXPECT_EQ(failed.error, Status::Code::kUnavailable);
  EXPECT_EQ(failed.str, "node down");
  // NIL: its type only.
  EXPECT_EQ(Serialize(ToThrift(dkv::Reply::Nil())).size(), 3u + 4 + 1);
}

TEST(OpCodecTest, ReplyRoundTripsWithAndWithoutError) {
  dkv::Reply array = dkv::Reply::Array({"x", "y"});
  dkv::Reply back = FromThrift(ToThrift(dkv::Reply(array)));
  EXPECT_EQ(back.type, dkv::Reply::Type::kArray);
  EXPECT_EQ(back.elements, array.elements);
  EXPECT_FALSE(back.error.has_value());

  dkv::Reply failed = dkv::Reply::Failed(Status::Moving("slot 7 is moving"));
  back = FromThrift(ToThrift(dkv::Reply(failed)));
  ASSERT_TRUE(back.error.has_value());
  EXPECT_EQ(*back.error, Status::Code::kMoving);
  EXPECT_EQ(back.ToStatus().ToString(), "MOVING: slot 7 is moving");
}

TEST(OpCodecTest, UnknownReplyTypeOrErrorCodeBecomesInternal) {
  rpc::Reply t;
  t.type = static_cast<ReplyType::type>(42);
  EXPECT_EQ(FromThrift(std::move(t)).error, Status::Code::kInternal);
  rpc::Reply e;
  e.type = ReplyType::ERROR;
  e.__set_error(static_cast<ErrorCode::type>(99));
  EXPECT_EQ(FromThrift(std::move(e)).error, Status::Code::kInternal);
}

}  // namespace
}  // namespace dkv::rpc
