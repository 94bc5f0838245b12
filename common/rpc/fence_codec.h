// dkv::Fence (common/fence.h) <-> the IDL's Fence, at the edges of the DataNode service.
#pragma once

#include "common/fence.h"
#include "gen-cpp/dkv_types.h"

namespace dkv::rpc {

inline rpc::Fence ToThrift(const dkv::Fence& fence) {
  rpc::Fence f;
  f.epoch = fence.epoch;
  f.map_version = fence.map_version;
  return f;
}

inline dkv::Fence FromThrift(const rpc::Fence& fence) {
  return dkv::Fence{fence.epoch, fence.map_version};
}

}  // namespace dkv::rpc
