#include "common/rpc/metadata_codec.h"

#include <map>

#include "common/rpc/thrift_codec.h"
#include "gen-cpp/dkv_types.h"

namespace dkv::rpc {

std::string EncodeMember(const MemberInfo& member) {
  MemberRecord t;
  t.id = member.id;
  t.address = member.address;
  t.pid = member.pid;
  t.host = member.host;
  t.resp_address = member.resp_address;
  return Serialize(t);
}

Status DecodeMember(const std::string& bytes, MemberInfo* member) {
  MemberRecord t;
  DKV_RETURN_NOT_OK(Deserialize(bytes, "member info", &t));
  *member = {t.id, t.address, t.pid, t.host, t.resp_address};
  return Status::OK();
}

std::string EncodeClient(const ClientInfo& client) {
  ClientRecord t;
  t.host = client.host;
  t.pid = client.pid;
  return Serialize(t);
}

Status DecodeClient(const std::string& bytes, ClientInfo* client) {
  ClientRecord t;
  DKV_RETURN_NOT_OK(Deserialize(bytes, "client info", &t));
  *client = {t.host, t.pid};
  return Status::OK();
}

std::string EncodeMaster(const MasterInfo& master) {
  MasterRecord t;
  t.server_id = master.server_id;
  t.address = master.address;
  t.epoch = master.epoch;
  t.max_key_bytes = static_cast<int64_t>(master.limits.max_key_bytes);
  t.max_value_bytes = static_cast<int64_t>(master.limits.max_value_bytes);
  t.resp_address = master.resp_address;
  return Serialize(t);
}

Status DecodeMaster(const std::string& bytes, MasterInfo* master) {
  MasterRecord t;
  DKV_RETURN_NOT_OK(Deserialize(bytes, "master info", &t));
  *master = {t.server_id, t.address, t.epoch, Limits{}, t.resp_address};
  // A record without limits (or with nonsense) leaves the defaults.
  if (t.max_key_bytes > 0) master->limits.max_key_bytes = static_cast<size_t>(t.max_key_bytes);
  if (t.max_value_bytes > 0) {
    master->limits.max_value_bytes = static_cast<size_t>(t.max_value_bytes);
  }
  return Status::OK();
}

std::string EncodeEpoch(int64_t epoch) {
  EpochRecord t;
  t.epoch = epoch;
  return Serialize(t);
}

Status DecodeEpoch(const std::string& bytes, int64_t* epoch) {
  EpochRecord t;
  DKV_RETURN_NOT_OK(Deserialize(bytes, "epoch", &t));
  *epoch = t.epoch;
  return Status::OK();
}

std::string EncodeDrain(const DrainInfo& drain) {
  DrainRecord t;
  t.requested_at_ms = drain.requested_at_ms;
  t.leave_when_done = drain.leave_when_done;
  return Serialize(t);
}

Status DecodeDrain(const std::string& bytes, DrainInfo* drain) {
  DrainRecord t;
  DKV_RETURN_NOT_OK(Deserialize(bytes, "drain record", &t));
  *drain = {t.requested_at_ms, t.leave_when_done};
  return Status::OK();
}

std::string EncodeSlotMap(const SlotMap& map) {
  SlotMapRecord t;
  t.epoch = map.epoch();
  t.version = map.version();
  t.slot_count = map.slot_count();
  std::map<std::string, int32_t> index;
  t.owners.reserve(map.slot_count());
  for (Slot s = 0; s < map.slot_count(); ++s) {
    const std::string& owner = map.Owner(s);
    t.owner_since.push_back(map.OwnerSince(s));
    if (owner.empty()) {
      t.owners.push_back(-1);
      continue;
    }
    auto [it, added] = index.emplace(owner, static_cast<int32_t>(t.nodes.size()));
    if (added) t.nodes.push_back(owner);
    t.owners.push_back(it->second);
  }
  return Serialize(t);
}

Status DecodeSlotMap(const std::string& bytes, SlotMap* map) {
  SlotMapRecord t;
  DKV_RETURN_NOT_OK(Deserialize(bytes, "slot map", &t));
  if (t.slot_count < 0 || static_cast<size_t>(t.slot_count) != t.owners.size()) {
    return Status::InvalidArgument("malformed slot map: " + std::to_string(t.owners.size()) +
                                   " owners for " + std::to_string(t.slot_count) + " slots");
  }
  if (!t.owner_since.empty() && t.owner_since.size() != t.owners.size()) {
    return Status::InvalidArgument("malformed slot map: " + std::to_string(t.owner_since.size()) +
                                   " owner versions for " + std::to_string(t.slot_count) +
                                   " slots");
  }
  SlotMap decoded(t.slot_count);
  for (Slot s = 0; s < t.slot_count; ++s) {
    const int32_t owner = t.owners[s];
    if (owner < -1 || owner >= static_cast<int32_t>(t.nodes.size())) {
      return Status::InvalidArgument("malformed slot map: slot " + std::to_string(s) +
                                     " has owner index " + std::to_string(owner));
    }
    if (owner >= 0) decoded.Assign(s, t.nodes[owner]);
    if (!t.owner_since.empty()) decoded.SetOwnerSince(s, t.owner_since[s]);
  }
  decoded.set_epoch(t.epoch);
  decoded.set_version(t.version);
  *map = std::move(decoded);
  return Status::OK();
}

}  // namespace dkv::rpc
