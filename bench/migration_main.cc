// dkv-migration-bench: loads keys into a running cluster, adds a data node and drains it again,
// and reports how many keys per second the slot moves carried (see bench/migration.h). This file
// parses options and prints the result.
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
    "                           [--json]\n"
    "\n"
    "Loads N keys (16-byte keys, 64-byte values by default) into a running cluster, starts one\n"
    "more dkv-data on 127.0.0.1 and times the slot moves onto it, then drains it again (timing\n"
    "the moves off it) and waits for it to exit. Reports keys moved per second for both.\n"
    "See docs/migration.md.";

// The dkv-data beside this executable (build/bin/).
std::string SiblingDataBinary() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "dkv-data";
  std::string self(path, static_cast<size_t>(n));
  return self.substr(0, self.find_last_of('/') + 1) + "dkv-data";
}

}  // namespace

int main(int argc, char** argv) {
  dkv::ClusterOptions cluster;
  dkv::bench::MigrationBenchOptions options;
  options.data_binary = SiblingDataBinary();
  bool json = false;
  int64_t timeout_s = options.timeout.count() / 1000;
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
      "json", po::bool_switch(&json), "print one JSON object instead of text");
  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(argc, argv, &desc, {}, kUsage, &vm)) {
    return *exit_code;
  }
  options.zookeeper = cluster.zookeeper;
  options.cluster = cluster.cluster;
  options.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  options.timeout = std::chrono::seconds(timeout_s);
  dkv::SetMinLogLevel(dkv::LogLevel::kWarning);

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
