// Minimal leveled logging to stderr: one line per message, with time, level, pid and source.
//
//   DKV_LOG(INFO) << "master epoch " << epoch;
//   DKV_CHECK(invariant) << "context";   // aborts: for broken invariants only, never for user
//   input
//
// Thread-safe: each message is formatted privately and written with one write(2).
#pragma once

#include <sstream>

namespace dkv {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };

// Messages below this level are dropped. Default kInfo; DKV_LOG_LEVEL=debug|info|warning|error
// overrides.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();  // writes the line; aborts after a kFatal message
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Swallows the stream expression when the level is off, so its operands are not evaluated.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace dkv

#define DKV_LOG_LEVEL_DEBUG ::dkv::LogLevel::kDebug
#define DKV_LOG_LEVEL_INFO ::dkv::LogLevel::kInfo
#define DKV_LOG_LEVEL_WARNING ::dkv::LogLevel::kWarning
#define DKV_LOG_LEVEL_ERROR ::dkv::LogLevel::kError
#define DKV_LOG_LEVEL_FATAL ::dkv::LogLevel::kFatal

#define DKV_LOG(level)                           \
  (DKV_LOG_LEVEL_##level < ::dkv::MinLogLevel()) \
      ? (void)0                                  \
      : ::dkv::LogVoidify() &                    \
            ::dkv::LogMessage(DKV_LOG_LEVEL_##level, __FILE__, __LINE__).stream()

#define DKV_CHECK(cond)                                                                \
  (cond) ? (void)0                                                                     \
         : ::dkv::LogVoidify() &                                                       \
               ::dkv::LogMessage(::dkv::LogLevel::kFatal, __FILE__, __LINE__).stream() \
                   << "Check failed: " #cond " "
