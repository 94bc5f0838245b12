// Fence: what fences every master->data call (docs/architecture.md, "Election and fencing"): the
// epoch of the master that sent it and the slot map version it routed with. The master stamps it
// on each call (server/router.h, server/migration_driver.h), a data node judges it
// (data/slot_ownership.h), and the source of a slot move forwards its master's fence to the
// target (data/import_channel.h). The IDL's rpc::Fence is its wire form (common/rpc/fence_codec.h).
#pragma once

#include <cstdint>

namespace dkv {

struct Fence {
  int64_t epoch = 0;
  int64_t map_version = 0;

  friend bool operator==(const Fence& a, const Fence& b) {
    return a.epoch == b.epoch && a.map_version == b.map_version;
  }
  friend bool operator!=(const Fence& a, const Fence& b) { return !(a == b); }
};

}  // namespace dkv
