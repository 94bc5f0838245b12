// Migration: measures how fast slot moves carry keys between data nodes (issue #4).
//
// Against a running cluster: loads `keys` keys (fixed-size keys and values, from many client
// threads, every write acknowledged, then checked against the data nodes' key counts), starts one
// more dkv-data (`data_binary`, id `node_id`, on 127.0.0.1), and times from its registration until
// the master has moved its share of the slots to it (no move in progress, its slot count
// balanced): keys moved per second is the keys it then holds over that time. Then it drains the new
// node again (`dkv node drain`), timing the same, and waits for it to exit, so the cluster ends as
// it began (plus the loaded keys). On any failure the new node is killed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "dkv/result.h"

namespace dkv::bench {

struct MigrationBenchOptions {
  std::string zookeeper = "127.0.0.1:2181";
  std::string cluster = "default";
  std::chrono::milliseconds session_timeout{4000};
  int64_t keys = 1000000;
  int32_t key_bytes = 16;  // at least 10 (a prefix and the key's index)
  int32_t value_bytes = 64;
  int32_t threads = 32;     // loading threads
  std::string data_binary;  // the dkv-data to start
  std::string node_id = "bench-migration";
  std::string node_log = "/dev/null";         // the new data node's stdout and stderr
  std::chrono::milliseconds timeout{600000};  // bound on each phase
};

struct MovePhase {
  int64_t keys = 0;   // keys moved
  int32_t slots = 0;  // slots moved
  double seconds = 0;
  double keys_per_second() const { return seconds > 0 ? keys / seconds : 0; }
};

struct MigrationBenchResult {
  int64_t keys_loaded = 0;
  double load_seconds = 0;
  MovePhase join;   // onto the new node
  MovePhase drain;  // off it again
};

// INVALID_ARGUMENT for bad options; UNAVAILABLE / TIMED_OUT naming what failed (no cluster, the
// node did not start or register, moves did not finish within the timeout).
Result<MigrationBenchResult> RunMigrationBench(const MigrationBenchOptions& options);

}  // namespace dkv::bench
