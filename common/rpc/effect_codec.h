// Effect and SlotSeq (common/effect.h) to and from their Thrift form (dkv.thrift, "chain
// replication"). A field at its default is left off the wire, as Op's are (op_codec.h).
#pragma once

#include <vector>

#include "common/effect.h"
#include "dkv/status.h"
#include "gen-cpp/dkv_types.h"

namespace dkv::rpc {

std::vector<rpc::Effect> ToThrift(const std::vector<dkv::Effect>& effects);
// INVALID_ARGUMENT for an unknown kind or a slot or seq out of range.
Status FromThrift(const std::vector<rpc::Effect>& wire, std::vector<dkv::Effect>* effects);

std::vector<rpc::SlotSeq> ToThrift(const std::vector<dkv::SlotSeq>& seqs);
std::vector<dkv::SlotSeq> FromThrift(const std::vector<rpc::SlotSeq>& wire);

}  // namespace dkv::rpc
