#include "server/resp/request_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "common/redis_number.h"
#include "common/split_args.h"

namespace dkv::resp {
namespace {

// Arguments at least this long are read with the buffer sized for them up front, and one that
// fills the buffer exactly is moved out of it rather than copied (Redis's PROTO_MBULK_BIG_ARG).
constexpr size_t kBigArgument = 32 * 1024;
// An empty buffer with more capacity than this is released (after a big argument went through).
constexpr size_t kMaxIdleCapacity = 64 * 1024;
// Room for this many arguments is kept between commands (after a huge MSET it is released).
constexpr size_t kMaxIdleArguments = 1024;

}  // namespace

RequestParser::RequestParser(RequestLimits limits) : limits_(limits) {}

void RequestParser::Append(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }

RequestParser::Outcome RequestParser::Next(std::vector<std::string>* args) {
  if (!error_.empty()) return Outcome::kError;
  while (true) {
    if (array_remaining_ == 0 && pos_ == buffer_.size()) {
      Compact();
      return Outcome::kNeedMore;
    }
    // An array request in progress continues; otherwise its first byte tells the form.
    const Outcome outcome =
        (array_remaining_ > 0 || buffer_[pos_] == '*') ? ParseArray(args) : ParseInline(args);
    if (outcome == Outcome::kNeedMore) Compact();
    // An empty request (a blank line, *0, *-1) yields no command: go on with the next one.
    if (outcome != Outcome::kCommand || !args->empty()) return outcome;
  }
}

RequestParser::Outcome RequestParser::ParseInline(std::vector<std::string>* args) {
  const char* start = buffer_.data() + pos_;
  const size_t available = buffer_.size() - pos_;
  const auto* newline = static_cast<const char*>(std::memchr(start, '\n', available));
  if (newline == nullptr) {
    if (available > limits_.max_inline_bytes) {
      return Fail("ERR Protocol error: too big inline request");
    }
    return Outcome::kNeedMore;
  }
  size_t length = static_cast<size_t>(newline - start);
  const size_t consumed = length + 1;
  // Redis checks the limit only while the newline is missing; a whole line over it (its \r
  // counted, as it is while the \n is missing) is refused too, so that the outcome does not
  // depend on how the bytes were split into reads.
  if (length > limits_.max_inline_bytes) return Fail("ERR Protocol error: too big inline request");
  if (length > 0 && start[length - 1] == '\r') --length;
  std::optional<std::vector<std::string>> split = SplitArgs(std::string_view(start, length));
  if (!split) return Fail("ERR Protocol error: unbalanced quotes in request");
  pos_ += consumed;
  *args = std::move(*split);
  return Outcome::kCommand;
}

RequestParser::Outcome RequestParser::ReadLengthLine(std::string_view* line,
                                                     const char* too_big_error) {
  const char* start = buffer_.data() + pos_;
  const size_t available = buffer_.size() - pos_;
  const auto* cr = static_cast<const char*>(std::memchr(start, '\r', available));
  if (cr == nullptr) {
    if (available > limits_.max_inline_bytes) return Fail(too_big_error);
    return Outcome::kNeedMore;
  }
  const size_t length = static_cast<size_t>(cr - start);
  // Refused whether or not the \r has arrived yet, so the outcome does not depend on the reads.
  if (length > limits_.max_inline_bytes) return Fail(too_big_error);
  if (length + 2 > available) return Outcome::kNeedMore;  // the \n is still to come
  if (cr[1] != '\n') return Fail("ERR Protocol error: expected '\\r\\n'");
  *line = std::string_view(start, length);
  pos_ += length + 2;
  return Outcome::kCommand;
}

RequestParser::Outcome RequestParser::ParseArray(std::vector<std::string>* args) {
  std::string_view line;
  if (array_remaining_ == 0) {
    Outcome outcome = ReadLengthLine(&line, "ERR Protocol error: too big mbulk count string");
    if (outcome != Outcome::kCommand) return outcome;
    int64_t count = 0;
    if (!ParseRedisInt64(line.substr(1), &count) || count > INT_MAX ||
        (count > 0 && static_cast<uint64_t>(count) > limits_.max_array_elements)) {
      return Fail("ERR Protocol error: invalid multibulk length");
    }
    args->clear();
    if (count <= 0) return Outcome::kCommand;  // an empty request
    array_remaining_ = count;
    partial_.clear();
    // Reserve for the usual short command only: a huge count costs nothing until its arguments
    // actually arrive.
    partial_.reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
  }

  while (array_remaining_ > 0) {
    if (bulk_length_ < 0) {
      Outcome outcome = ReadLengthLine(&line, "ERR Protocol error: too big bulk count string");
      if (outcome != Outcome::kCommand) return outcome;
      if (line.empty() || line[0] != '$') {
        // Redis prints the offending byte with %c and then blanks out CR and LF in the reply.
        char got = line.empty() ? '\r' : line[0];
        if (got == '\r' || got == '\n') got = ' ';
        return Fail(std::string("ERR Protocol error: expected '$', got '") + got + "'");
      }
      int64_t length = 0;
      if (!ParseRedisInt64(line.substr(1), &length) || length < 0 ||
          static_cast<uint64_t>(length) > limits_.max_bulk_bytes) {
        return Fail("ERR Protocol error: invalid bulk length");
      }
      bulk_length_ = length;
      if (static_cast<size_t>(length) >= kBigArgument) {
        // Start the argument at the front of a buffer large enough for all of it: it then
        // arrives without reallocations and can be moved out whole below.
        Compact();
        buffer_.reserve(static_cast<size_t>(length) + 2);
      }
    }

    const size_t length = static_cast<size_t>(bulk_length_);
    if (buffer_.size() - pos_ < length + 2) return Outcome::kNeedMore;
    if (buffer_[pos_ + length] != '\r' || buffer_[pos_ + length + 1] != '\n') {
      return Fail("ERR Protocol error: expected '\\r\\n'");
    }
    if (length >= kBigArgument && pos_ == 0 && buffer_.size() == length + 2) {
      buffer_.resize(length);
      partial_.push_back(std::move(buffer_));
      buffer_.clear();  // a moved-from string is valid but unspecified
    } else {
      partial_.emplace_back(buffer_.data() + pos_, length);
      pos_ += length + 2;
    }
    bulk_length_ = -1;
    --array_remaining_;
  }
  // Swapping hands the caller's previous vector back to be filled next time, so a connection
  // parsing command after command reuses one allocation.
  args->swap(partial_);
  partial_.clear();
  if (partial_.capacity() > kMaxIdleArguments) std::vector<std::string>().swap(partial_);
  return Outcome::kCommand;
}

RequestParser::Outcome RequestParser::Fail(std::string text) {
  error_ = std::move(text);
  return Outcome::kError;
}

void RequestParser::Compact() {
  if (pos_ == 0) return;
  buffer_.erase(0, pos_);
  pos_ = 0;
  if (buffer_.empty() && buffer_.capacity() > kMaxIdleCapacity) std::string().swap(buffer_);
}

}  // namespace dkv::resp
