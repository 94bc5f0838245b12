#include "server/op_batch.h"

#include <gtest/gtest.h>

namespace dkv::server {
namespace {

TEST(OpBatchTest, DbsizeSumsItsParts) {
  OpBatch batch({OpCode::kDbSize});
  batch.AddPart(0);
  batch.AddPart(0);
  batch.Merge(0, Reply::Integer(3));
  batch.Merge(0, Reply::Integer(4));
  EXPECT_EQ(batch.TakeReplies()[0].integer, 7);
}

TEST(OpBatchTest, MsetnxAnswersOneOnlyIfEveryPartDid) {
  OpBatch batch({OpCode::kMSetNx, OpCode::kMSetNx});
  for (int i = 0; i < 2; ++i) {
    batch.AddPart(0);
    batch.AddPart(1);
  }
  batch.Merge(0, Reply::Integer(1));
  batch.Merge(0, Reply::Integer(1));
  batch.Merge(1, Reply::Integer(1));
  batch.Merge(1, Reply::Integer(0));
  std::vector<Reply> replies = batch.TakeReplies();
  EXPECT_EQ(replies[0].integer, 1);
  EXPECT_EQ(replies[1].integer, 0);
}

TEST(OpBatchTest, RandomkeyTakesAnyPartsKey) {
  OpBatch batch({OpCode::kRandomKey});
  batch.AddPart(0);
  batch.AddPart(0);
  batch.Merge(0, Reply::Nil());
  batch.Merge(0, Reply::Bulk("k"));
  EXPECT_EQ(batch.TakeReplies()[0].str, "k");
}

TEST(OpBatchTest, TheFirstErrorOfAnyPartIsTheReply) {
  OpBatch batch({OpCode::kFlushDb});
  batch.AddPart(0);
  batch.AddPart(0);
  batch.AddPart(0);
  batch.Merge(0, Reply::Ok());
  batch.Merge(0, Reply::Failed(Status::Unavailable("first")));
  batch.Merge(0, Reply::Failed(Status::Unavailable("second")));
  Reply reply = batch.TakeReplies()[0];
  EXPECT_EQ(reply.error, Status::Code::kUnavailable);
  EXPECT_EQ(reply.str, "first");
}

TEST(OpBatchTest, AnsweredOpsKeepTheirOrder) {
  OpBatch batch({OpCode::kGet, OpCode::kSet});
  batch.AddPart(1);
  batch.Answer(0, Reply::Bulk("a"));
  batch.Merge(1, Reply::Ok());
  std::vector<Reply> replies = batch.TakeReplies();
  EXPECT_EQ(replies[0].str, "a");
  EXPECT_EQ(replies[1].str, "OK");
}

}  // namespace
}  // namespace dkv::server
