// dkv::Op / dkv::Reply (common/op.h) <-> the IDL's Op / Reply. The *Move forms take the strings
// out of their argument instead of copying them (values may be megabytes).
#pragma once

#include <vector>

#include "common/op.h"
#include "gen-cpp/dkv_types.h"

namespace dkv::rpc {

rpc::Op ToThrift(dkv::Op&& op);
dkv::Op FromThrift(rpc::Op&& op);
std::vector<rpc::Op> ToThrift(std::vector<dkv::Op>&& ops);
std::vector<dkv::Op> FromThrift(std::vector<rpc::Op>&& ops);

rpc::Reply ToThrift(dkv::Reply&& reply);
dkv::Reply FromThrift(rpc::Reply&& reply);
std::vector<rpc::Reply> ToThrift(std::vector<dkv::Reply>&& replies);
std::vector<dkv::Reply> FromThrift(std::vector<rpc::Reply>&& replies);

}  // namespace dkv::rpc
