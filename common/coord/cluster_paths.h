// The znode layout of one cluster under /dkv/<cluster> (documented in docs/architecture.md).
#pragma once

#include <string>

namespace dkv::coord {

class ClusterPaths {
 public:
  explicit ClusterPaths(const std::string& cluster) : root_("/dkv/" + cluster) {}

  const std::string& root() const { return root_; }
  std::string servers() const { return root_ + "/servers"; }
  std::string server_prefix() const { return root_ + "/servers/srv-"; }
  std::string data() const { return root_ + "/data"; }
  std::string data_node(const std::string& id) const { return root_ + "/data/" + id; }
  std::string clients() const { return root_ + "/clients"; }
  std::string client_prefix() const { return root_ + "/clients/cli-"; }
  std::string master() const { return root_ + "/master"; }
  std::string epoch() const { return root_ + "/epoch"; }
  std::string slotmap() const { return root_ + "/slotmap"; }
  std::string draining() const { return root_ + "/draining"; }
  std::string draining_node(const std::string& id) const { return root_ + "/draining/" + id; }

 private:
  std::string root_;
};

}  // namespace dkv::coord
