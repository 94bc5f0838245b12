// dkv-migration-bench: loads keys into a running cluster, adds a data node and drains it again,
// and reports how many keys per second the slot moves carried; with --mode replicas, raises R
// instead and reports the re-replication rate and the GET latency before and during the copies
// (see bench/migration.h). This file parses options and prints the result.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <iostream>
#include <string>

#include "bench/migration.h"
#include "common/command_line.h"
#include "common/logging.h"

namespace po = boost::program_options;

namespace {

constexpr char kUsage[] =
    "usage: dkv-migration-bench [--zookeeper Z] [--cluster C] [--keys N] [--data-binary PATH]\n"
    "                           [--mode join-drain|replicas] [--json]\n"
    "\n"
    "Loads N keys (16-byte keys, 64-byte values by default) into a running cluster, starts one\n"
    "more dkv-data on 127.0.0.1 and times the slot moves onto it, then drains it again (timing\n"
    "the moves off it) and waits for it to exit. Reports keys moved per second for both.\n"
    "--mode replicas: against a cluster below --replication-factor (e.g. R = 1), loads N keys,\n"
    "reads them from --reader-threads threads for --quiet-ms, raises R and times until no slot\n"
    "is under-replicated, the reads going on; reports keys copied per second and the GET p50/p99\n"
    "before and during the copies, then sets R back. See docs/migration.md and\n"
    "docs/benchmarking.md.";

// The dkv-data beside this executable (build/bin/).
std::string SiblingDataBinary() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "dkv-data";
  std::string self(path, static_cast<size_t>(n));
  return self.substr(0, self.find_last_of('/') + 1) + "dkv-data";
}

// {"gets":..,"p50_us":..,...} of one read phase, for --json.
std::string JsonReads(const dkv::bench::ReadPhase& r) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "{\"gets\":%lld,\"errors\":%lld,\"seconds\":%.3f,\"gets_per_second\":%.0f,"
                "\"p50_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f}",
                static_cast<long long>(r.gets), static_cast<long long>(r.errors), r.seconds,
                r.gets_per_second(), r.p50_us, r.p99_us, r.max_us);
  return buf;
}

// "N GETs/s, p50 X us, p99 Y us" of one read phase, for the text line.
std::string TextReads(const dkv::bench::ReadPhase& r) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%.0f GETs/s (%lld failed), p50 %.0f us, p99 %.0f us",
                r.gets_per_second(), static_cast<long long>(r.errors), r.p50_us, r.p99_us);
  return buf;
}

int PrintReplication(const dkv::bench::ReplicationBenchResult& r, bool json) {
  if (json) {
    std::printf(
        "{\"mode\":\"replicas\",\"keys_loaded\":%lld,\"load_seconds\":%.3f,"
        "\"replication_factor_before\":%d,\"replication_factor\":%d,"
        "\"copy\":{\"keys\":%lld,\"slots\":%d,\"seconds\":%.3f,\"keys_per_second\":%.0f,"
        "\"moves\":%d,\"median_move_keys_per_second\":%lld},"
        "\"quiet\":%s,\"copying\":%s,\"copying_other\":%s,\"p99_ratio\":%.2f,"
        "\"other_p99_ratio\":%.2f}\n",
        static_cast<long long>(r.keys_loaded), r.load_seconds, r.replication_factor_before,
        r.replication_factor, static_cast<long long>(r.copy.keys), r.copy.slots, r.copy.seconds,
        r.copy.keys_per_second(), r.moves, static_cast<long long>(r.median_move_keys_per_second),
        JsonReads(r.quiet).c_str(), JsonReads(r.copying).c_str(),
        JsonReads(r.copying_other).c_str(), r.p99_ratio(), r.other_p99_ratio());
    return 0;
  }
  std::printf(
      "loaded %lld keys in %.1f s; R %d -> %d: %lld keys (%d slots) copied in %.2f s = %.0f keys/s"
      " (%d moves, median %lld keys/s each); quiet: %s; copying: %s (p99 %.2fx quiet);"
      " copying, slots in no move: %s (p99 %.2fx quiet)\n",
      static_cast<long long>(r.keys_loaded), r.load_seconds, r.replication_factor_before,
      r.replication_factor, static_cast<long long>(r.copy.keys), r.copy.slots, r.copy.seconds,
      r.copy.keys_per_second(), r.moves, static_cast<long long>(r.median_move_keys_per_second),
      TextReads(r.quiet).c_str(), TextReads(r.copying).c_str(), r.p99_ratio(),
      TextReads(r.copying_other).c_str(), r.other_p99_ratio());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dkv::ClusterOptions cluster;
  dkv::bench::MigrationBenchOptions options;
  options.data_binary = SiblingDataBinary();
  bool json = false;
  int64_t timeout_s = options.timeout.count() / 1000;
  std::string mode = "join-drain";
  int64_t quiet_ms = options.quiet.count();
  po::options_description desc("dkv-migration-bench options");
  dkv::AddClusterOptions(&desc, &cluster);
  desc.add_options()("keys", po::value(&options.keys)->default_value(options.keys),
                     "keys to load before adding the node")(
      "key-bytes", po::value(&options.key_bytes)->default_value(options.key_bytes),
      "size of each key")(
      "value-bytes", po::value(&options.value_bytes)->default_value(options.value_bytes),
      "size of each value")("threads", po::value(&options.threads)->default_value(options.threads),
                            "client threads loading the keys")(
      "data-binary", po::value(&options.data_binary)->default_value(options.data_binary),
      "the dkv-data to start")("node-id",
                               po::value(&options.node_id)->default_value(options.node_id),
                               "--id of the data node it adds")(
      "node-log", po::value(&options.node_log)->default_value(options.node_log),
      "file for the added data node's output")(
      "timeout-s", po::value(&timeout_s)->default_value(timeout_s), "bound on each phase (s)")(
      "mode", po::value(&mode)->default_value(mode),
      "join-drain (add a node, drain it) or replicas (raise R)")(
      "replication-factor",
      po::value(&options.replication_factor)->default_value(options.replication_factor),
      "replicas: R to raise to")(
      "reader-threads", po::value(&options.reader_threads)->default_value(options.reader_threads),
      "replicas: threads doing GETs throughout")("quiet-ms",
                                                 po::value(&quiet_ms)->default_value(quiet_ms),
                                                 "replicas: reading before R is raised (ms)")(
      "json", po::bool_switch(&json), "print one JSON object instead of text");
  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(argc, argv, &desc, {}, kUsage, &vm)) {
    return *exit_code;
  }
  options.zookeeper = cluster.zookeeper;
  options.cluster = cluster.cluster;
  options.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  options.timeout = std::chrono::seconds(timeout_s);
  options.quiet = std::chrono::milliseconds(quiet_ms);
  dkv::SetMinLogLevel(dkv::LogLevel::kWarning);
  if (mode != "join-drain" && mode != "replicas") {
    std::cerr << "dkv-migration-bench: --mode must be join-drain or replicas\n" << kUsage << "\n";
    return dkv::kExitUsage;
  }
  if (mode == "replicas") {
    auto replicated = dkv::bench::RunReplicationBench(options);
    if (!replicated.ok()) {
      std::cerr << "dkv-migration-bench: " << replicated.status().ToString() << "\n";
      return dkv::kExitUsage;
    }
    return PrintReplication(*replicated, json);
  }

  auto result = dkv::bench::RunMigrationBench(options);
  if (!result.ok()) {
    std::cerr << "dkv-migration-bench: " << result.status().ToString() << "\n";
    return dkv::kExitUsage;
  }
  const auto& r = *result;
  if (json) {
    std::printf(
        "{\"keys_loaded\":%lld,\"load_seconds\":%.3f,"
        "\"join\":{\"keys\":%lld,\"slots\":%d,\"seconds\":%.3f,\"keys_per_second\":%.0f},"
        "\"drain\":{\"keys\":%lld,\"slots\":%d,\"seconds\":%.3f,\"keys_per_second\":%.0f}}\n",
        static_cast<long long>(r.keys_loaded), r.load_seconds, static_cast<long long>(r.join.keys),
        r.join.slots, r.join.seconds, r.join.keys_per_second(),
        static_cast<long long>(r.drain.keys), r.drain.slots, r.drain.seconds,
        r.drain.keys_per_second());
    return 0;
  }
  std::printf(
      "loaded %lld keys in %.1f s; join: %lld keys (%d slots) moved in %.2f s = %.0f keys/s;"
      " drain: %lld keys moved back in %.2f s = %.0f keys/s\n",
      static_cast<long long>(r.keys_loaded), r.load_seconds, static_cast<long long>(r.join.keys),
      r.join.slots, r.join.seconds, r.join.keys_per_second(), static_cast<long long>(r.drain.keys),
      r.drain.seconds, r.drain.keys_per_second());
  return 0;
}
