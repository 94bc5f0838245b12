// EffectChannel: how a chain member's effects reach its successor, in dkv's own types (the
// replicate call of the DataNode service, docs/replication.md). The ChainReplicator talks to
// successors only through it, so its tests use fakes; the real one speaks Thrift over one
// persistent connection (NewThriftEffectChannel).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/effect.h"
#include "common/fence.h"
#include "common/host_port.h"
#include "dkv/result.h"

namespace dkv::data {

// The replicate call to one successor, in flight.
class PendingReplicate {
 public:
  virtual ~PendingReplicate() = default;
  // Per slot of the request, the seq up to which the successor (and the rest of the chain after
  // it) applied the slot's effects; or the failure of the whole call. Call once.
  virtual Result<std::vector<SlotSeq>> Wait() = 0;
};

// How effects reach one successor (Thrift in production, a fake in tests). Thread-compatible:
// the sender thread alone uses it.
class EffectChannel {
 public:
  virtual ~EffectChannel() = default;
  // Sends `effects` (ascending seq per slot) as sent by `from` under `fence`.
  virtual std::unique_ptr<PendingReplicate> Start(const Fence& fence, const std::string& from,
                                                  const std::vector<Effect>& effects) = 0;
};

// Thrift over one connection to `address`; `call_timeout` bounds each send and receive.
std::unique_ptr<EffectChannel> NewThriftEffectChannel(const HostPort& address,
                                                      std::chrono::milliseconds call_timeout);

}  // namespace dkv::data
