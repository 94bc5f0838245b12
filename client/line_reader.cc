#include "client/line_reader.h"

// libedit's readline-compatible interface (Debian's libedit-dev).
#include <editline/readline.h>

#include <cstdlib>
#include <istream>
#include <utility>

namespace dkv::client {
namespace {

// Keeps this many lines of history in memory and in the file.
constexpr int kHistoryLines = 1000;

class StreamLineReader : public LineReader {
 public:
  explicit StreamLineReader(std::istream& in) : in_(in) {}

  std::optional<std::string> ReadLine() override {
    std::string line;
    if (!std::getline(in_, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

 private:
  std::istream& in_;
};

class EditLineReader : public LineReader {
 public:
  EditLineReader(std::string prompt, std::string history_path)
      : prompt_(std::move(prompt)), history_path_(std::move(history_path)) {
    using_history();
    stifle_history(kHistoryLines);
    // A missing file is the normal first run.
    if (!history_path_.empty()) (void)read_history(history_path_.c_str());
  }

  std::optional<std::string> ReadLine() override {
    char* raw = readline(prompt_.c_str());
    if (raw == nullptr) return std::nullopt;  // Ctrl-D or end of input
    std::string line(raw);
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) {
      add_history(line.c_str());
      // Written after every line so that history survives a killed shell; it is small.
      if (!history_path_.empty()) (void)write_history(history_path_.c_str());
    }
    return line;
  }

 private:
  const std::string prompt_;
  const std::string history_path_;
};

}  // namespace

std::unique_ptr<LineReader> NewStreamLineReader(std::istream& in) {
  return std::make_unique<StreamLineReader>(in);
}

std::unique_ptr<LineReader> NewEditLineReader(std::string prompt, std::string history_path) {
  return std::make_unique<EditLineReader>(std::move(prompt), std::move(history_path));
}

}  // namespace dkv::client
