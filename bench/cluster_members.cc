#include "bench/cluster_members.h"

#include <signal.h>

#include <cerrno>
#include <cstring>

#include "common/host_port.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::bench {

Result<MasterInfo> ReadMaster(coord::Coordinator* coord, const std::string& master_path) {
  DKV_ASSIGN_OR_RETURN(coord::NodeData node, coord->Get(master_path));
  MasterInfo master;
  DKV_RETURN_NOT_OK(rpc::DecodeMaster(node.data, &master));
  return master;
}

Result<MemberInfo> ReadMember(coord::Coordinator* coord, const std::string& path) {
  DKV_ASSIGN_OR_RETURN(coord::NodeData node, coord->Get(path));
  MemberInfo member;
  DKV_RETURN_NOT_OK(rpc::DecodeMember(node.data, &member));
  return member;
}

Result<size_t> CountChildren(coord::Coordinator* coord, const std::string& path) {
  DKV_ASSIGN_OR_RETURN(std::vector<std::string> children, coord->GetChildren(path));
  return children.size();
}

Status KillMember(const std::string& who, const MemberInfo& member) {
  if (member.host != LocalHostName()) {
    return Status::Unavailable(who + " runs on " + member.host + ", not on this host");
  }
  if (kill(member.pid, SIGKILL) != 0) {
    return Status::IoError("kill " + std::to_string(member.pid) + " (" + who +
                           "): " + strerror(errno));
  }
  return Status::OK();
}

}  // namespace dkv::bench
