// dkv-server: parses options into ServerOptions, runs the Server until SIGTERM/SIGINT.
#include <iostream>

#include "common/command_line.h"
#include "common/logging.h"
#include "common/stop_signals.h"
#include "server/server.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  dkv::BlockStopSignals();  // before any thread starts

  dkv::ClusterOptions cluster;
  std::string listen = "0.0.0.0:7400";
  dkv::server::ServerOptions options;
  int data_timeout_ms = 5000;
  int data_grace_ms = 5000;
  po::options_description desc("dkv-server options");
  dkv::AddClusterOptions(&desc, &cluster);
  desc.add_options()("listen", po::value(&listen)->default_value(listen),
                     "HOST:PORT to serve clients on (port 0: pick a free one)")(
      "advertise", po::value(&options.advertise),
      "HOST or HOST:PORT published for clients (default: the listen host, or this host's name "
      "when listening on all interfaces, and the bound port)")(
      "slots", po::value(&options.slots)->default_value(options.slots),
      "slot count of a new cluster (ignored once the cluster has a slot map)")(
      "max-key-bytes",
      po::value(&options.limits.max_key_bytes)->default_value(options.limits.max_key_bytes),
      "largest key accepted")(
      "max-value-bytes",
      po::value(&options.limits.max_value_bytes)->default_value(options.limits.max_value_bytes),
      "largest value accepted")("data-timeout-ms",
                                po::value(&data_timeout_ms)->default_value(data_timeout_ms),
                                "timeout of each call to a data node")(
      "data-grace-ms", po::value(&data_grace_ms)->default_value(data_grace_ms),
      "how long a data node that left keeps its slots in case it comes back (0: reassign at "
      "once); when it does not, its slots go to the others empty and their keys are lost");
  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(
          argc, argv, &desc, {},
          "usage: dkv-server [options]\n\nA dkv server: joins the election; as master it routes "
          "client calls to the data nodes, as a standby it points clients at the master.",
          &vm)) {
    return *exit_code;
  }
  auto listen_address = dkv::ParseHostPort(listen);
  if (!listen_address.ok() || options.slots <= 0 || data_timeout_ms <= 0 || data_grace_ms < 0) {
    std::cerr
        << "dkv-server: "
        << (listen_address.ok()
                ? "--slots and --data-timeout-ms must be positive, --data-grace-ms not negative"
                : "--listen: " + listen_address.status().message())
        << "\n";
    return dkv::kExitUsage;
  }
  options.zookeeper = cluster.zookeeper;
  options.cluster = cluster.cluster;
  options.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  options.listen = *listen_address;
  options.data_call_timeout = std::chrono::milliseconds(data_timeout_ms);
  options.data_grace = std::chrono::milliseconds(data_grace_ms);

  dkv::server::Server server(options);
  dkv::Status s = server.Start();
  if (!s.ok()) {
    std::cerr << "dkv-server: " << s.ToString() << "\n";
    return dkv::kExitUsage;
  }
  const int signal_number = dkv::WaitForStopSignal();
  DKV_LOG(INFO) << "signal " << signal_number << ": shutting down";
  server.Shutdown();
  return 0;
}
