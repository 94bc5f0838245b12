// Encode/Decode the znode payloads of common/metadata.h and common/slot_map.h as Thrift structs.
// Decode returns INVALID_ARGUMENT for bytes that are not a valid payload (a znode written by
// something else), never crashes.
#pragma once

#include <cstdint>
#include <string>

#include "common/metadata.h"
#include "common/slot_map.h"
#include "dkv/status.h"

namespace dkv::rpc {

std::string EncodeMember(const MemberInfo& member);
Status DecodeMember(const std::string& bytes, MemberInfo* member);

std::string EncodeClient(const ClientInfo& client);
Status DecodeClient(const std::string& bytes, ClientInfo* client);

std::string EncodeMaster(const MasterInfo& master);
Status DecodeMaster(const std::string& bytes, MasterInfo* master);

std::string EncodeEpoch(int64_t epoch);
Status DecodeEpoch(const std::string& bytes, int64_t* epoch);

std::string EncodeDrain(const DrainInfo& drain);
Status DecodeDrain(const std::string& bytes, DrainInfo* drain);

// Writes chains (and their stamps) only when some chain has more than one member, and the
// replication factor only when it is not 1: such maps are the records of before chains existed.
std::string EncodeSlotMap(const SlotMap& map);
// Also checks the map's shape: node indices within range, one owner (and chain) entry per slot,
// each owner its chain's head, no node twice in a chain, R >= 1. A record without chains decodes
// to one-member chains from its owners.
Status DecodeSlotMap(const std::string& bytes, SlotMap* map);

}  // namespace dkv::rpc
