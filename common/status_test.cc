#include "dkv/status.h"

#include <gtest/gtest.h>

#include "dkv/result.h"

namespace dkv {
namespace {

TEST(StatusTest, DefaultIsOkAndPrintsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ToStringNamesCodeAndMessage) {
  EXPECT_EQ(Status::KeyTooLarge("key of 9 bytes").ToString(), "KEY_TOO_LARGE: key of 9 bytes");
  EXPECT_EQ(Status::NotMaster("").ToString(), "NOT_MASTER");
}

TEST(StatusTest, CloneAndPrependKeepsCodeAndAddsContext) {
  Status s = Status::Unavailable("refused").CloneAndPrepend("get");
  EXPECT_TRUE(s.IsUnavailable());
  EXPECT_EQ(s.message(), "get: refused");
  EXPECT_TRUE(Status::OK().CloneAndPrepend("x").ok());
}

Status FailsWith(Status s) {
  DKV_RETURN_NOT_OK_PREPEND(s, "outer");
  return Status::Internal("not reached");
}

TEST(StatusTest, ReturnNotOkPropagatesTheFailure) {
  Status s = FailsWith(Status::NotFound("znode"));
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.message(), "outer: znode");
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  DKV_ASSIGN_OR_RETURN(int half, Half(x));
  return Half(half);
}

TEST(ResultTest, CarriesValueOrStatus) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_EQ(Quarter(6).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace dkv
