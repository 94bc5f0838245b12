#include "common/rpc/error_mapping.h"

#include <gtest/gtest.h>

namespace dkv::rpc {
namespace {

TEST(ErrorMappingTest, EveryCodeSurvivesTheRoundTrip) {
  for (int c = 1; c <= static_cast<int>(Status::Code::kLastCode); ++c) {
    Status s(static_cast<Status::Code>(c), "m" + std::to_string(c));
    Status back = FromThrift(ToThrift(s));
    EXPECT_EQ(back.code(), s.code()) << Status::CodeName(s.code());
    EXPECT_EQ(back.message(), s.message());
  }
}

TEST(ErrorMappingTest, IdlNamesMatchStatusNames) {
  for (const auto& [value, name] : _ErrorCode_VALUES_TO_NAMES) {
    EXPECT_STREQ(Status::CodeName(static_cast<Status::Code>(value)), name);
  }
}

TEST(ErrorMappingTest, NotMasterCarriesTheMasterAddress) {
  DkvError e = ToThrift(Status::NotMaster("standby"), "h:1");
  EXPECT_TRUE(e.__isset.master_address);
  EXPECT_EQ(e.master_address, "h:1");
}

TEST(ErrorMappingTest, UnknownCodeBecomesInternal) {
  DkvError e;
  e.code = static_cast<ErrorCode::type>(99);
  e.message = "future";
  EXPECT_EQ(FromThrift(e).code(), Status::Code::kInternal);
}

}  // namespace
}  // namespace dkv::rpc
