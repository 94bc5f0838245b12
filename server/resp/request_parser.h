// RequestParser: the incremental RESP2 request parser of the RESP front end.
//
// A connection appends the bytes it reads (Append) and then calls Next until it stops returning
// kCommand: every complete
// command buffered so far comes out in order, so a pipelined batch is parsed at once. A command
// is split across reads at any byte boundary: the parser keeps where it stopped (arguments
// already read, the announced bulk length) and never rescans what it consumed.
//
// Two request forms, as redis-server accepts them (processMultibulkBuffer/processInlineBuffer in
// Redis's networking.c), chosen by the first byte of each request:
//   *<n>\r\n$<len>\r\n<bytes>\r\n ...   an array of n bulk strings (what client libraries send);
//                                      n <= 0 is an empty request and yields nothing.
//   anything else up to \n             an inline command (`PING\r\n` typed into telnet), split by
//                                      SplitArgs (common/split_args.h); a blank line yields
//                                      nothing.
// dkv is stricter than Redis in one place: the two bytes after a bulk string's data must be \r\n
// (Redis skips them unread), so a client that miscounts a length fails at once rather than
// desynchronizing.
//
// Protocol errors carry Redis 7's texts (error()); after one the parser is poisoned (Next keeps
// returning kError) and the caller replies the error and closes the connection, as Redis does.
// The limits (RequestLimits) bound the memory one connection can make the parser hold.
//
// Not thread-safe: one parser per connection, used by the thread that serves it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::resp {

struct RequestLimits {
  // Longest bulk string (one argument), in bytes; Redis's proto-max-bulk-len is 512 MB. Above it:
  // "ERR Protocol error: invalid bulk length".
  size_t max_bulk_bytes = 16 * 1024 * 1024;
  // Most arguments in one array request; Redis allows INT_MAX. Above it:
  // "ERR Protocol error: invalid multibulk length".
  size_t max_array_elements = 1024 * 1024;
  // Longest inline request line (up to its \n, a \r before it counted) and longest length line
  // (*<n> or $<len>, up to its \r); Redis's PROTO_INLINE_MAX_SIZE. Above it: "ERR Protocol error:
  // too big inline request" (or "too big mbulk count string" / "too big bulk count string" for a
  // length line), as soon as that many bytes have arrived without the line's end.
  size_t max_inline_bytes = 64 * 1024;
};

class RequestParser {
 public:
  enum class Outcome {
    kCommand,   // *args holds the next command's arguments (at least one)
    kNeedMore,  // every complete command has been returned; append more bytes
    kError,     // protocol error: reply error() and close the connection
  };

  explicit RequestParser(RequestLimits limits = {});

  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Appends bytes read from the connection.
  void Append(std::string_view bytes);

  // Parses the next complete command into *args (replacing its contents). Commands come out in
  // the order they were sent.
  Outcome Next(std::vector<std::string>* args);

  // After kError: the error reply's text, e.g. "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }
  // Bytes appended but not consumed yet (part of a command, or commands Next has not returned).
  size_t buffered_bytes() const { return buffer_.size() - pos_; }

 private:
  Outcome ParseInline(std::vector<std::string>* args);
  Outcome ParseArray(std::vector<std::string>* args);
  // Reads the length line (*<n> or $<len>) at pos_ into *line, without its \r\n, and consumes
  // it. kNeedMore when the \r\n is not buffered yet; kError when no \r came within
  // max_inline_bytes (`too_big_error`) or the \r is not followed by \n.
  Outcome ReadLengthLine(std::string_view* line, const char* too_big_error);
  Outcome Fail(std::string text);
  // Drops the consumed prefix of the buffer.
  void Compact();

  const RequestLimits limits_;
  std::string buffer_;
  size_t pos_ = 0;  // first byte not consumed yet

  // State of an array request read in part: arguments still to read (0: none in progress), the
  // length of the next bulk string once its $ line was read (-1: not read yet), and the
  // arguments read so far.
  int64_t array_remaining_ = 0;
  int64_t bulk_length_ = -1;
  std::vector<std::string> partial_;

  std::string error_;
};

}  // namespace dkv::resp
