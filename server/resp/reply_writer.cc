#include "server/resp/reply_writer.h"

#include <charconv>

#include "common/logging.h"

namespace dkv::resp {

void ReplyWriter::SimpleString(std::string_view text) { Line('+', text); }

void ReplyWriter::Error(std::string_view text) { Line('-', text); }

void ReplyWriter::Integer(int64_t value) { Number(':', value); }

void ReplyWriter::Bulk(std::string_view bytes) {
  Number('$', static_cast<int64_t>(bytes.size()));
  out_->append(bytes.data(), bytes.size());
  out_->append("\r\n", 2);
}

void ReplyWriter::Nil() { out_->append("$-1\r\n", 5); }

void ReplyWriter::NilArray() { out_->append("*-1\r\n", 5); }

void ReplyWriter::ArrayHeader(size_t n) { Number('*', static_cast<int64_t>(n)); }

void ReplyWriter::Write(const Reply& reply) {
  if (reply.error) {
    Error("ERR " + reply.ToStatus().ToString());
    return;
  }
  switch (reply.type) {
    case Reply::Type::kNil:
      Nil();
      return;
    case Reply::Type::kStatus:
      SimpleString(reply.str);
      return;
    case Reply::Type::kInteger:
      Integer(reply.integer);
      return;
    case Reply::Type::kBulk:
      Bulk(reply.str);
      return;
    case Reply::Type::kArray:
      BulkArray(reply.elements);
      return;
    case Reply::Type::kError:
      Error(reply.str);
      return;
  }
  DKV_CHECK(false);  // an out-of-range Reply::Type
}

void ReplyWriter::Line(char type, std::string_view text) {
  out_->push_back(type);
  const size_t start = out_->size();
  out_->append(text.data(), text.size());
  for (size_t i = start; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append("\r\n", 2);
}

void ReplyWriter::Number(char type, int64_t value) {
  char digits[24];
  digits[0] = type;
  const std::to_chars_result r = std::to_chars(digits + 1, digits + sizeof(digits) - 2, value);
  DKV_CHECK(r.ec == std::errc());
  char* end = r.ptr;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(digits, static_cast<size_t>(end - digits));
}

}  // namespace dkv::resp
