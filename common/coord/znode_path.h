// Znode path rules shared by the Coordinator implementations (ZooKeeper's own rules, checked
// locally so that MemoryCoordinator rejects what ZooKeeper would and CreateAll can split paths).
#pragma once

#include <string>
#include <string_view>

namespace dkv::coord {

// Whether `path` is an absolute znode path: "/" or "/a/b" with non-empty components other than
// "." and "..", no trailing "/", no NUL. With `sequential`, a trailing "/" is allowed (ZooKeeper
// appends the sequence number).
inline bool IsValidZnodePath(std::string_view path, bool sequential = false) {
  if (path.empty() || path[0] != '/') return false;
  if (path == "/") return !sequential;
  if (path.find('\0') != std::string_view::npos) return false;
  size_t start = 1;
  while (true) {
    size_t end = path.find('/', start);
    std::string_view part = path.substr(start, end == std::string_view::npos ? end : end - start);
    bool last = end == std::string_view::npos;
    if (part.empty()) {
      if (!(last && sequential)) return false;
    } else if (part == "." || part == "..") {
      return false;
    }
    if (last) return true;
    start = end + 1;
  }
}

// "/a/b" -> "/a"; "/a" -> "/". `path` must be valid and not "/".
inline std::string ParentZnode(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace dkv::coord
