#include "tests/harness/test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/logging.h"

#ifndef DKV_BIN_DIR
#error "DKV_BIN_DIR must be defined by the build"
#endif
#ifndef DKV_SOURCE_DIR
#error "DKV_SOURCE_DIR must be defined by the build"
#endif

namespace dkv::test {

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  DKV_CHECK(fd >= 0) << "socket: " << strerror(errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  DKV_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0)
      << "bind 127.0.0.1:0: " << strerror(errno);
  socklen_t len = sizeof(addr);
  DKV_CHECK(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      << "getsockname: " << strerror(errno);
  close(fd);
  return ntohs(addr.sin_port);
}

Status WaitFor(const std::function<bool()>& condition, Deadline deadline,
               std::chrono::milliseconds poll, std::string_view what) {
  while (true) {
    if (condition()) return Status::OK();
    if (deadline.Expired()) return Status::TimedOut("waiting for " + std::string(what));
    std::this_thread::sleep_for(std::min(poll, deadline.Remaining()));
  }
}

Status WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll, std::string_view what) {
  return WaitFor(condition, Deadline::After(timeout), poll, what);
}

Result<TempDir> TempDir::Create(std::string_view prefix) {
  const char* tmp = getenv("TMPDIR");
  std::string base = (tmp != nullptr && tmp[0] != '\0') ? tmp : "/tmp";
  std::string templ = base + "/dkv-" + std::string(prefix) + "-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    return Status::IoError("mkdtemp " + templ + ": " + strerror(errno));
  }
  return TempDir(std::move(templ));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() {
  if (path_.empty()) return;
  if (getenv("DKV_KEEP_TEST_DIRS") != nullptr) {
    DKV_LOG(INFO) << "keeping test directory " << path_;
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  path_.clear();
}

std::string TempDir::Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

std::string BinaryPath(std::string_view name) {
  return std::string(DKV_BIN_DIR) + "/" + std::string(name);
}

std::string SourcePath(std::string_view relative) {
  return std::string(DKV_SOURCE_DIR) + "/" + std::string(relative);
}

std::string ReadFileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = size > static_cast<std::streamoff>(max_bytes) ? size - max_bytes : 0;
  in.seekg(start);
  std::string tail(static_cast<size_t>(size - start), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  if (start > 0) {
    size_t newline = tail.find('\n');
    if (newline != std::string::npos) tail.erase(0, newline + 1);
  }
  return tail;
}

}  // namespace dkv::test
