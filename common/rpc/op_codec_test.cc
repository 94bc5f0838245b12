#include "common/rpc/op_codec.h"

#include <gtest/gtest.h>

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
