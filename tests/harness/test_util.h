// Small helpers every dkv test uses: free ports, waiting on a condition with a deadline (the only
// way tests wait: never a blind sleep), a temporary directory, and where the built binaries are.
//
// Thread-safety: the free functions are thread-safe; a TempDir is used by one owner.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/deadline.h"
#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close). Another
// process may take it before the caller binds it; tests live with that small race. Aborts if no
// socket can be bound at all.
int PickFreePort();

// Polls `condition` every `poll` until it returns true (OK) or `deadline` passes (TIMED_OUT,
// naming `what`). The condition runs on the calling thread, once more right at the deadline.
Status WaitFor(const std::function<bool()>& condition, Deadline deadline,
               std::chrono::milliseconds poll = std::chrono::milliseconds(10),
               std::string_view what = "condition");

// As above with a timeout from now.
Status WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds(10),
               std::string_view what = "condition");

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when the TempDir is
// destroyed, unless DKV_KEEP_TEST_DIRS is set in the environment (then its path is logged).
class TempDir {
 public:
  // Creates <tmp>/dkv-<prefix>-XXXXXX. IO_ERROR.
  static Result<TempDir> Create(std::string_view prefix = "test");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // path() + "/" + name (not created).
  std::string Sub(std::string_view name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();

  std::string path_;  // empty once moved from
};

// Absolute path of a built dkv binary, e.g. BinaryPath("dkv-server") -> <build>/bin/dkv-server.
std::string BinaryPath(std::string_view name);

// Absolute path of a file in the source tree, e.g. SourcePath("scripts/zk-server").
std::string SourcePath(std::string_view relative);

// The last `max_bytes` of a file (at a line start where possible), for failure messages; empty if
// the file cannot be read.
std::string ReadFileTail(const std::string& path, size_t max_bytes = 4096);

}  // namespace dkv::test

// gtest assertions on a Status or Result: print the Status on failure.
#define DKV_ASSERT_OK(expr)                                                           \
  do {                                                                                \
    const auto& _dkv_st = (expr);                                                     \
    ASSERT_TRUE(_dkv_st.ok()) << #expr << ": "                                        \
                              << ::dkv::test::internal::StatusOf(_dkv_st).ToString(); \
  } while (0)
#define DKV_EXPECT_OK(expr)                                                           \
  do {                                                                                \
    const auto& _dkv_st = (expr);                                                     \
    EXPECT_TRUE(_dkv_st.ok()) << #expr << ": "                                        \
                              << ::dkv::test::internal::StatusOf(_dkv_st).ToString(); \
  } while (0)

namespace dkv::test::internal {
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}
}  // namespace dkv::test::internal
