#include "common/rpc/metadata_codec.h"

#include <algorithm>
#include <map>
#include <vector>

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
  auto index_of = [&](const std::string& node) {
    auto [it, added] = index.emplace(node, static_cast<int32_t>(t.nodes.size()));
    if (added) t.nodes.push_back(node);
    return it->second;
  };
  std::vector<std::vector<int32_t>> chains(map.slot_count());
  std::vector<std::vector<int64_t>> chain_since(map.slot_count());
  bool replicated = false;  // some chain has more than one member
  t.owners.reserve(map.slot_count());
  t.owner_since.reserve(map.slot_count());
  for (Slot s = 0; s < map.slot_count(); ++s) {
    for (const std::string& node : map.Chain(s)) {
      chains[s].push_back(index_of(node));
      chain_since[s].push_back(map.MemberSince(s, node));
    }
    replicated = replicated || chains[s].size() > 1;
    t.owners.push_back(chains[s].empty() ? -1 : chains[s].front());
    t.owner_since.push_back(map.OwnerSince(s));
  }
  // One-member chains say no more than owners and owner_since: such a map is written as before.
  if (replicated) {
    t.__set_chains(std::move(chains));
    t.__set_chain_since(std::move(chain_since));
  }
  if (map.replication_factor() != 1) t.__set_replication_factor(map.replication_factor());
  return Serialize(t);
}

Status DecodeSlotMap(const std::string& bytes, SlotMap* map) {
  SlotMapRecord t;
  DKV_RETURN_NOT_OK(Deserialize(bytes, "slot map", &t));
  auto malformed = [](const std::string& what) {
    return Status::InvalidArgument("malformed slot map: " + what);
  };
  const std::string slots = " for " + std::to_string(t.slot_count) + " slots";
  if (t.slot_count < 0 || static_cast<size_t>(t.slot_count) != t.owners.size()) {
    return malformed(std::to_string(t.owners.size()) + " owners" + slots);
  }
  if (!t.owner_since.empty() && t.owner_since.size() != t.owners.size()) {
    return malformed(std::to_string(t.owner_since.size()) + " owner versions" + slots);
  }
  if (t.__isset.chains && t.chains.size() != t.owners.size()) {
    return malformed(std::to_string(t.chains.size()) + " chains" + slots);
  }
  if (t.__isset.chain_since && (!t.__isset.chains || t.chain_since.size() != t.chains.size())) {
    return malformed(std::to_string(t.chain_since.size()) + " chain versions" + slots);
  }
  if (t.__isset.replication_factor && t.replication_factor < 1) {
    return malformed("replication factor " + std::to_string(t.replication_factor));
  }
  SlotMap decoded(t.slot_count);
  for (Slot s = 0; s < t.slot_count; ++s) {
    const std::string where = "slot " + std::to_string(s);
    const int32_t owner = t.owners[s];
    std::vector<int32_t> indices;
    if (t.__isset.chains) {
      indices = t.chains[s];
    } else if (owner >= 0) {
      indices = {owner};
    }
    if (owner != (indices.empty() ? -1 : indices.front())) {
      return malformed(where + " has owner index " + std::to_string(owner) +
                       " but not as its chain's head");
    }
    if (t.__isset.chain_since && t.chain_since[s].size() != indices.size()) {
      return malformed(where + " has " + std::to_string(t.chain_since[s].size()) +
                       " member versions for " + std::to_string(indices.size()) + " members");
    }
    std::vector<std::string> chain;
    for (int32_t i : indices) {
      if (i < 0 || i >= static_cast<int32_t>(t.nodes.size())) {
        return malformed(where + " has node index " + std::to_string(i));
      }
      if (std::find(chain.begin(), chain.end(), t.nodes[i]) != chain.end()) {
        return malformed(where + " has " + t.nodes[i] + " twice in its chain");
      }
      chain.push_back(t.nodes[i]);
    }
    decoded.SetChain(s, chain);
    for (size_t i = 0; i < chain.size(); ++i) {
      if (t.__isset.chain_since) {
        decoded.SetMemberSince(s, chain[i], t.chain_since[s][i]);
      } else if (i == 0 && !t.owner_since.empty()) {
        decoded.SetMemberSince(s, chain[i], t.owner_since[s]);
      }
    }
  }
  decoded.set_epoch(t.epoch);
  decoded.set_version(t.version);
  decoded.set_replication_factor(t.__isset.replication_factor ? t.replication_factor : 1);
  *map = std::move(decoded);
  return Status::OK();
}

}  // namespace dkv::rpc
