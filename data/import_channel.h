// ImportChannel: how the source of a slot move reaches the target data node, in dkv's own types
// (the import_* calls of the DataNode service, docs/migration.md). MigrationSource talks to the
// target only through it, so its tests can wire a MigrationTarget in directly; the real one speaks
// Thrift over one persistent connection (NewThriftImportChannel).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/effect.h"
#include "common/fence.h"
#include "common/host_port.h"
#include "common/slot.h"
#include "dkv/status.h"

namespace dkv::data {

// One key, or one part of a big value, copied from a slot's old owner to its new one (the IDL's
// MigrationEntry). A value of total_size bytes arrives as parts at offsets 0, p1, p2, ... in
// order; it is complete when offset + value.size() == total_size. `deleted`: the key was removed
// after it was copied (value empty, offset and total_size 0).
struct MigrationEntry {
  int32_t db = 0;
  std::string key;
  std::string value;
  int64_t expire_at_ms = 0;  // absolute Unix ms; 0 = none
  int64_t offset = 0;
  int64_t total_size = 0;
  bool deleted = false;
};

// Not thread-safe: one source thread uses a channel at a time. Every call returns the target's
// Status (STALE_EPOCH, NOT_FOUND for an unknown move, INVALID_ARGUMENT, ...) or UNAVAILABLE when
// the target cannot be reached within the call timeout.
class ImportChannel {
 public:
  virtual ~ImportChannel() = default;
  virtual Status Begin(const Fence& fence, int64_t migration_id,
                       const std::vector<Slot>& slots) = 0;
  // Takes the entries' strings (values may be megabytes).
  virtual Status Chunk(const Fence& fence, int64_t migration_id,
                       std::vector<MigrationEntry>&& entries) = 0;
  // `seqs`: each slot's effect seq on the source, where the target's copy continues from.
  virtual Status Commit(const Fence& fence, int64_t migration_id,
                        const std::vector<SlotSeq>& seqs) = 0;
  virtual Status Abort(const Fence& fence, int64_t migration_id) = 0;
};

// Thrift over one RpcConnection to `address`; `call_timeout` bounds each send and receive.
std::unique_ptr<ImportChannel> NewThriftImportChannel(const HostPort& address,
                                                      std::chrono::milliseconds call_timeout);

}  // namespace dkv::data
