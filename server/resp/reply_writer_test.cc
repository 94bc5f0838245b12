#include "server/resp/reply_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace dkv::resp {
namespace {

TEST(ReplyWriterTest, WritesScalarReplies) {
  std::string out;
  ReplyWriter w(&out);
  w.SimpleString("OK");
  w.Error("ERR unknown command 'x'");
  w.Integer(0);
  w.Integer(-42);
  w.Integer(std::numeric_limits<int64_t>::min());
  w.Bulk("");
  w.Bulk(std::string("a\r\n\0", 4));
  w.Nil();
  w.NilArray();
  EXPECT_EQ(out,
            "+OK\r\n-ERR unknown command 'x'\r\n:0\r\n:-42\r\n:-9223372036854775808\r\n"
            "$0\r\n\r\n$4\r\na\r\n" +
                std::string(1, '\0') + "\r\n$-1\r\n*-1\r\n");
}

TEST(ReplyWriterTest, LinesNeverCarryCrOrLf) {
  std::string out;
  ReplyWriter w(&out);
  w.SimpleString("a\r\nb");
  w.Error("ERR x\ny");
  EXPECT_EQ(out, "+a  b\r\n-ERR x y\r\n");
}

TEST(ReplyWriterTest, WritesNestedArraysWithNilElements) {
  std::string out;
  ReplyWriter w(&out);
  w.ArrayHeader(3);
  w.Bulk("0");
  w.ArrayHeader(2);
  w.Bulk("k");
  w.Nil();
  w.ArrayHeader(0);
  EXPECT_EQ(out, "*3\r\n$1\r\n0\r\n*2\r\n$1\r\nk\r\n$-1\r\n*0\r\n");
}

TEST(ReplyWriterTest, WritesEachReplyTypeAsRedisDoes) {
  std::string out;
  ReplyWriter w(&out);
  w.Write(Reply::Nil());
  w.Write(Reply::Ok());
  w.Write(Reply::Integer(7));
  w.Write(Reply::Bulk("v"));
  w.Write(Reply::Array({"a", "bc"}));
  w.Write(Reply::Array({}));
  w.Write(Reply::Error("ERR value is not an integer or out of range"));
  EXPECT_EQ(out,
            "$-1\r\n+OK\r\n:7\r\n$1\r\nv\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n*0\r\n"
            "-ERR value is not an integer or out of range\r\n");
}

TEST(ReplyWriterTest, UnexecutedReplyBecomesErrorNamingTheStatus) {
  std::string out;
  ReplyWriter(&out).Write(Reply::Failed(Status::Moving("slot 7 is moving")));
  EXPECT_EQ(out, "-ERR MOVING: slot 7 is moving\r\n");
}

}  // namespace
}  // namespace dkv::resp
