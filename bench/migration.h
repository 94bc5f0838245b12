// Migration: measures how fast slot moves carry keys between data nodes (issue #4).
//
// Against a running cluster: loads `keys` keys (fixed-size keys and values, from many client
// threads, every write acknowledged, then checked against the data nodes' key counts), starts one
// more dkv-data (`data_binary`, id `node_id`, on 127.0.0.1), and times from its registration until
// the master has moved its share of the slots to it (no move in progress, its slot count
// balanced): keys moved per second is the keys it then holds over that time. Then it drains the new
// node again (`dkv node drain`), timing the same, and waits for it to exit, so the cluster ends as
// it began (plus the loaded keys). On any failure the new node is killed.
//
// RunReplicationBench (`--mode replicas`, issue 12) times re-replication instead: against a cluster
// below `replication_factor` (normally R = 1) it loads the keys the same way, starts
// `reader_threads` threads doing GETs of random loaded keys (each GET's latency recorded, until the
// end of the run), reads quietly for `quiet`, then raises R and times until no slot is
// under-replicated and no move runs: keys copied per second is the growth of the data nodes' key
// counts over that time. Then it sets R back to what it was (chains shrink at once). Every slot is
// copied in this mode, so the GETs during the copies hit slots waiting for their copy, being
// copied and already copied; the GETs of slots in no move when the GET started (the moves of the
// last GetStatus, polled every 20 ms) are also reported on their own.
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
  // RunReplicationBench only.
  int32_t replication_factor = 2;         // R to raise to; the cluster must be below it
  int32_t reader_threads = 4;             // threads doing GETs, sharing one Client
  std::chrono::milliseconds quiet{3000};  // reading before R is raised (after a 1 s warm-up)
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

// The GETs of one part of a replication run. Latencies in microseconds.
struct ReadPhase {
  int64_t gets = 0;    // GETs that succeeded (and were recorded)
  int64_t errors = 0;  // GETs that failed (not recorded)
  double seconds = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  double gets_per_second() const { return seconds > 0 ? gets / seconds : 0; }
};

struct ReplicationBenchResult {
  int64_t keys_loaded = 0;
  double load_seconds = 0;
  int32_t replication_factor_before = 0;
  int32_t replication_factor = 0;  // raised to
  MovePhase copy;                  // keys: growth of the data nodes' key counts; slots: copied
  int32_t moves = 0;               // batches seen in GetStatus while copying
  int64_t median_move_keys_per_second = 0;  // of those batches, the last rate seen of each
  ReadPhase quiet;                          // before R was raised
  ReadPhase copying;                        // from the raise until no slot was under-replicated
  ReadPhase
      copying_other;  // the part of `copying` in slots that were in no move at the GET's start
  // p99 while copying over the quiet p99: all GETs, and the GETs of slots in no move.
  double p99_ratio() const { return quiet.p99_us > 0 ? copying.p99_us / quiet.p99_us : 0; }
  double other_p99_ratio() const {
    return quiet.p99_us > 0 ? copying_other.p99_us / quiet.p99_us : 0;
  }
};

// INVALID_ARGUMENT for bad options or a cluster already at `replication_factor` or above;
// UNAVAILABLE / TIMED_OUT as RunMigrationBench. R is set back unless the run failed after the
// raise (then the error says so).
Result<ReplicationBenchResult> RunReplicationBench(const MigrationBenchOptions& options);

}  // namespace dkv::bench
