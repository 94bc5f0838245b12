#include "common/op_validation.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace dkv {
namespace {

const Limits kLimits{8, 16};

TEST(OpValidationTest, KeyOpsWithinTheLimitsPass) {
  EXPECT_TRUE(ValidateOp(KeyOp(OpCode::kGet, "12345678"), kLimits).ok());
  EXPECT_TRUE(ValidateOp(KeyOp(OpCode::kSet, "k", std::string(16, 'v')), kLimits).ok());
  Op scan;
  scan.code = OpCode::kScan;
  scan.value = std::string(100, '*');  // a pattern, not a value: no limit
  EXPECT_TRUE(ValidateOp(scan, kLimits).ok());
}

TEST(OpValidationTest, UnknownCodeAndDbOutOfRangeAreInvalid) {
  Op unknown = KeyOp(static_cast<OpCode>(99), "k");
  EXPECT_EQ(ValidateOp(unknown, kLimits).code(), Status::Code::kInvalidArgument);
  Op db = KeyOp(OpCode::kGet, "k");
  db.db = kDatabases;
  EXPECT_EQ(ValidateOp(db, kLimits).code(), Status::Code::kInvalidArgument);
  db.db = -1;
  EXPECT_EQ(ValidateOp(db, kLimits).code(), Status::Code::kInvalidArgument);
}

TEST(OpValidationTest, OversizedKeysAndValuesAreTooLarge) {
  EXPECT_EQ(ValidateOp(KeyOp(OpCode::kGet, "123456789"), kLimits).code(),
            Status::Code::kKeyTooLarge);
  EXPECT_EQ(ValidateOp(KeyOp(OpCode::kAppend, "k", std::string(17, 'v')), kLimits).code(),
            Status::Code::kValueTooLarge);
}

TEST(OpValidationTest, MsetnxNeedsPairsWithinTheLimits) {
  Op msetnx;
  msetnx.code = OpCode::kMSetNx;
  EXPECT_EQ(ValidateOp(msetnx, kLimits).code(), Status::Code::kInvalidArgument);
  msetnx.args = {"a", "1", "b"};
  EXPECT_EQ(ValidateOp(msetnx, kLimits).code(), Status::Code::kInvalidArgument);
  msetnx.args = {"a", "1", "123456789", "2"};
  EXPECT_EQ(ValidateOp(msetnx, kLimits).code(), Status::Code::kKeyTooLarge);
  msetnx.args = {"a", std::string(17, 'v')};
  EXPECT_EQ(ValidateOp(msetnx, kLimits).code(), Status::Code::kValueTooLarge);
  msetnx.args = {"a", "1", "b", "2"};
  EXPECT_TRUE(ValidateOp(msetnx, kLimits).ok());
}

TEST(OpValidationTest, SetRangePastTheValueLimitIsTooLargeUnlessItWritesNothing) {
  Op setrange = KeyOp(OpCode::kSetRange, "k", "x");
  setrange.arg1 = 15;
  EXPECT_TRUE(ValidateOp(setrange, kLimits).ok());
  setrange.arg1 = 16;
  EXPECT_EQ(ValidateOp(setrange, kLimits).code(), Status::Code::kValueTooLarge);
  setrange.arg1 = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ValidateOp(setrange, kLimits).code(), Status::Code::kValueTooLarge);
  setrange.value.clear();  // changes nothing, whatever the offset
  EXPECT_TRUE(ValidateOp(setrange, kLimits).ok());
  setrange.value = "x";
  setrange.arg1 = -1;  // Redis's "offset is out of range", answered where the op runs
  EXPECT_TRUE(ValidateOp(setrange, kLimits).ok());
}

TEST(OpValidationTest, ExpireWithExclusiveOptionsIsARedisError) {
  Op expire = KeyOp(OpCode::kExpire, "k");
  EXPECT_FALSE(RedisOptionError(expire));
  expire.flags = kXx | kGt;
  EXPECT_FALSE(RedisOptionError(expire));
  expire.flags = kNx | kXx;
  EXPECT_EQ(RedisOptionError(expire),
            "ERR NX and XX, GT or LT options at the same time are not compatible");
  expire.flags = kGt | kLt;
  EXPECT_EQ(RedisOptionError(expire), "ERR GT and LT options at the same time are not compatible");
  Op set = KeyOp(OpCode::kSet, "k");
  set.flags = kNx | kXx;  // SET's options are the front end's business
  EXPECT_FALSE(RedisOptionError(set));
}

}  // namespace
}  // namespace dkv
