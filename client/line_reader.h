// LineReader: where the dkv shell (client/shell.h) gets its lines. A terminal gets libedit's line
// editing and a history file (NewEditLineReader); anything else, such as a pipe or a file, is read
// line by line as it comes (NewStreamLineReader), which is how tests drive the shell.
//
// Not thread-safe: one reader, used by the shell's thread. libedit keeps global state, so make at
// most one edit reader per process.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

namespace dkv::client {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its line end ("\n" or "\r\n"), or std::nullopt at the end of input.
  virtual std::optional<std::string> ReadLine() = 0;
};

// Lines from `in`, which must outlive the reader. No prompt, no history.
std::unique_ptr<LineReader> NewStreamLineReader(std::istream& in);

// Lines typed at the terminal on stdin, after `prompt`, with libedit's editing keys. The history
// is loaded from `history_path` (when it exists) and every non-blank line is appended to it; an
// empty path keeps no history file.
std::unique_ptr<LineReader> NewEditLineReader(std::string prompt, std::string history_path);

}  // namespace dkv::client
