// ReplyWriter: appends RESP2 replies to a connection's output buffer.
//
// Each call appends one complete reply (or, for ArrayHeader, the header of an array whose n
// elements are the next n replies appended, which may be arrays themselves). Status and error
// texts cannot carry CR or LF in RESP2: they are replaced by spaces, as Redis does. Write(Reply)
// writes a dkv::Reply (common/op.h) as redis-server would write the same answer.
//
// The writer does not own the buffer; the caller keeps it alive while the writer is used and
// sends it. Not thread-safe (one writer per buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/op.h"

namespace dkv::resp {

class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out) : out_(out) {}

  // +text\r\n
  void SimpleString(std::string_view text);
  // -text\r\n; `text` starts with the error code ("ERR ...", "WRONGTYPE ...").
  void Error(std::string_view text);
  // :value\r\n
  void Integer(int64_t value);
  // $len\r\nbytes\r\n
  void Bulk(std::string_view bytes);
  // $-1\r\n: the nil bulk string (GET of a missing key).
  void Nil();
  // *-1\r\n: the nil array.
  void NilArray();
  // *n\r\n, to be followed by the n elements.
  void ArrayHeader(size_t n);
  // An array of bulk strings.
  template <typename Strings>
  void BulkArray(const Strings& elements) {
    ArrayHeader(elements.size());
    for (const auto& e : elements) Bulk(e);
  }

  // `reply` as its RESP2 form. A reply that was not executed (Reply::error set) becomes
  // "-ERR <CODE>: <message>" (for example "-ERR MOVING: ..."), the Status the router reports.
  void Write(const Reply& reply);

 private:
  void Line(char type, std::string_view text);  // type + text with CR/LF blanked + \r\n
  void Number(char type, int64_t value);

  std::string* const out_;
};

}  // namespace dkv::resp
