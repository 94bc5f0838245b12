// dkv-data: parses options into DataNodeOptions and runs a DataNode until SIGTERM/SIGINT (which
// drains it first, up to --drain-timeout-ms) or until the master tells it to leave.
#include <chrono>
#include <cstdint>
#include <iostream>

#include "common/command_line.h"
#include "common/logging.h"
#include "common/stop_signals.h"
#include "data/data_node.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  dkv::BlockStopSignals();  // before any thread starts

  dkv::ClusterOptions cluster;
  dkv::data::DataNodeOptions options;
  std::string listen = "0.0.0.0:7500";
  int64_t drain_timeout_ms = 30000;
  po::options_description desc("dkv-data options");
  dkv::AddClusterOptions(&desc, &cluster);
  desc.add_options()("id", po::value(&options.id),
                     "stable node id, the name of its znode under data/ (default: "
                     "<hostname>-<port> with the bound port; give one when listening on port 0)")(
      "listen", po::value(&listen)->default_value(listen),
      "HOST:PORT to serve the master on (port 0: pick a free one)")(
      "advertise", po::value(&options.advertise),
      "HOST or HOST:PORT published for the master (default: the listen host, or this host's "
      "name when listening on all interfaces, and the bound port)")(
      "max-key-bytes",
      po::value(&options.limits.max_key_bytes)->default_value(options.limits.max_key_bytes),
      "largest key accepted")(
      "max-value-bytes",
      po::value(&options.limits.max_value_bytes)->default_value(options.limits.max_value_bytes),
      "largest value accepted")(
      "drain-timeout-ms", po::value(&drain_timeout_ms)->default_value(drain_timeout_ms),
      "on SIGTERM/SIGINT, how long to wait for the master to move this node's slots away "
      "before exiting (0: exit at once; a second signal exits at once)");
  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(
          argc, argv, &desc, {},
          "usage: dkv-data [options]\n\nA dkv data node: keeps the keys of the slots the master "
          "assigns it, in memory, and serves them to the master.",
          &vm)) {
    return *exit_code;
  }
  auto listen_address = dkv::ParseHostPort(listen);
  if (!listen_address.ok()) {
    std::cerr << "dkv-data: --listen: " << listen_address.status().message() << "\n";
    return dkv::kExitUsage;
  }
  if (options.limits.max_key_bytes == 0 || options.limits.max_value_bytes == 0 ||
      cluster.session_timeout_ms <= 0) {
    std::cerr << "dkv-data: --max-key-bytes, --max-value-bytes and --session-timeout-ms must be "
                 "positive\n";
    return dkv::kExitUsage;
  }
  if (drain_timeout_ms < 0) {
    std::cerr << "dkv-data: --drain-timeout-ms must not be negative\n";
    return dkv::kExitUsage;
  }
  options.zookeeper = cluster.zookeeper;
  options.cluster = cluster.cluster;
  options.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  options.listen = *listen_address;

  dkv::data::DataNode node(options);
  dkv::Status s = node.Start();
  if (!s.ok()) {
    std::cerr << "dkv-data: " << s.ToString() << "\n";
    return dkv::kExitUsage;
  }
  // Wakes up now and then to see whether the master told the node to leave.
  constexpr std::chrono::milliseconds kLeavePoll{100};
  int signal_number = 0;
  while ((signal_number = dkv::WaitForStopSignal(kLeavePoll)) == 0) {
    if (node.leave_requested()) break;
  }
  if (signal_number == 0) {
    DKV_LOG(INFO) << "leaving at the master's request: shutting down";
  } else if (drain_timeout_ms == 0) {
    DKV_LOG(INFO) << "signal " << signal_number << ": shutting down";
  } else {
    DKV_LOG(INFO) << "signal " << signal_number << ": draining, then shutting down (a second "
                  << "signal stops at once)";
    s = node.Drain(std::chrono::milliseconds(drain_timeout_ms),
                   [](std::chrono::milliseconds t) { return dkv::WaitForStopSignal(t) != 0; });
    if (!s.ok()) DKV_LOG(WARNING) << "shutting down without a complete drain: " << s.ToString();
  }
  node.Shutdown();
  return 0;
}
