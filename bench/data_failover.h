// Data-node failover: measures how long writes to a data node's slots fail when the node dies.
//
// Each round (after waiting for every data node to be registered, a master to serve and a write
// to succeed) picks a data node round-robin over the registered ones (data/<id> holds its pid and
// host; it must run on this host) and up to --keys keys whose slots it serves, by the `slotmap`
// znode. --writers threads, each with a Client of its own, Set those keys in a loop (200 ms per
// call, every key owned by one writer), and once every key has been written the node is
// SIGKILLed. From the kill, an OutageTracker (bench/outage_tracker.h) times:
//   - first_failure: until the first failed write, if any;
//   - recovered: until every key has had a successful write started after the kill with no
//     failure after it (the end of the outage);
// and counts the failed writes. The writers stop once the node is back (restarted by its
// supervisor and registered again) and nothing has failed for a second. Runs on the node's host
// only (it kills by pid).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/failover.h"
#include "common/slot_map.h"
#include "dkv/result.h"

namespace dkv::bench {

struct DataFailoverOptions {
  FailoverOptions cluster;  // where, how many kills, the sessions' and rounds' timeouts
  int keys = 64;            // keys written per round, all in the victim's slots
  int writers = 4;          // writer threads (at most one per key)
  std::chrono::milliseconds write_timeout{200};  // deadline of each write
};

struct DataFailoverRound {
  std::string killed;  // data node id
  int keys = 0;        // keys written (fewer than asked if the node serves too few slots)
  std::optional<std::chrono::microseconds> first_failure;  // unset: no write failed
  std::chrono::microseconds recovered{0};
  int64_t writes = 0;  // writes that ended after the kill
  int64_t failed_writes = 0;
};

// Whether `node` serves `slot`: the nodes a write to the slot goes through include it.
inline bool ServesSlot(const SlotMap& map, Slot slot, const std::string& node) {
  return map.IsMember(slot, node);
}

// Up to `count` keys (named `prefix` + a number) whose slots `node` serves under `map`; fewer
// (none) if it serves no slot.
std::vector<std::string> KeysServedBy(const SlotMap& map, const std::string& node, int count,
                                      const std::string& prefix);

// Runs the rounds; UNAVAILABLE / TIMED_OUT naming what was missing (no data node, a node on
// another host, a round past its timeout).
Result<std::vector<DataFailoverRound>> RunDataFailover(const DataFailoverOptions& options);

}  // namespace dkv::bench
