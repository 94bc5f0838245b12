#include "common/split_args.h"

#include <cctype>

namespace dkv {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The line as Redis sees it: a C string, so reading past the end (or at a NUL) yields '\0'.
class Cursor {
 public:
  explicit Cursor(std::string_view line) : line_(line) {}
  char At(size_t ahead = 0) const {
    return pos_ + ahead < line_.size() ? line_[pos_ + ahead] : '\0';
  }
  void Advance(size_t n = 1) { pos_ += n; }

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

bool IsBlank(char c) { return c != '\0' && std::isspace(static_cast<unsigned char>(c)); }

}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> args;
  Cursor p(line);
  while (true) {
    while (IsBlank(p.At())) p.Advance();
    if (p.At() == '\0') return args;

    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = p.At();
      if (in_double) {
        if (c == '\\' && p.At(1) == 'x' && HexValue(p.At(2)) >= 0 && HexValue(p.At(3)) >= 0) {
          current.push_back(static_cast<char>(HexValue(p.At(2)) * 16 + HexValue(p.At(3))));
          p.Advance(3);
        } else if (c == '\\' && p.At(1) != '\0') {
          p.Advance();
          switch (p.At()) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(p.At());
              break;
          }
        } else if (c == '"') {
          // The closing quote must be followed by a blank or the end.
          if (p.At(1) != '\0' && !IsBlank(p.At(1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;  // unterminated quotes
        } else {
          current.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && p.At(1) == '\'') {
          p.Advance();
          current.push_back('\'');
        } else if (c == '\'') {
          if (p.At(1) != '\0' && !IsBlank(p.At(1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;
        } else {
          current.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current.push_back(c);
            break;
        }
      }
      if (p.At() != '\0') p.Advance();
    }
    args.push_back(std::move(current));
  }
}

}  // namespace dkv
