// dkv-server: parses options into ServerOptions, runs the Server until SIGTERM/SIGINT.
#include <climits>
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
      "replication-factor",
      po::value(&options.replication_factor)->default_value(options.replication_factor),
      "R, the data nodes in each slot's chain, of a new cluster (ignored once the cluster has a "
      "slot map: change it with `dkv replicas N`)")(
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
      "once); when it does not, its slots go to the others empty and their keys are lost")(
      "resp-port", po::value(&options.resp_port)->default_value(options.resp_port),
      "port on the listen host to speak the Redis protocol (RESP2) on (0: off)")(
      "resp-advertise", po::value(&options.resp_advertise),
      "HOST or HOST:PORT published for Redis clients (default: derived as for --advertise, "
      "with the RESP port)")("resp-threads",
                             po::value(&options.resp_threads)->default_value(options.resp_threads),
                             "I/O threads of the RESP front end")(
      "resp-max-array-elements",
      po::value(&options.resp_max_array_elements)->default_value(options.resp_max_array_elements),
      "most arguments in one RESP request (more: a protocol error)")(
      "resp-max-inline-bytes",
      po::value(&options.resp_max_inline_bytes)->default_value(options.resp_max_inline_bytes),
      "longest inline RESP request line and longest *<n>/$<len> line (longer: a protocol "
      "error)");
  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(
          argc, argv, &desc, {},
          "usage: dkv-server [options]\n\nA dkv server: joins the election; as master it routes "
          "client calls to the data nodes, as a standby it points clients at the master.",
          &vm)) {
    return *exit_code;
  }
  auto listen_address = dkv::ParseHostPort(listen);
  std::string bad;
  constexpr size_t kMaxBytes = size_t{1} << 30;  // also catches "-1", which wraps to SIZE_MAX
  if (!listen_address.ok()) bad = "--listen: " + listen_address.status().message();
  if (options.slots <= 0 || options.slots > 65536) bad = "--slots must be within 1..65536";
  if (cluster.session_timeout_ms <= 0) bad = "--session-timeout-ms must be positive";
  if (data_timeout_ms <= 0) bad = "--data-timeout-ms must be positive";
  if (data_grace_ms < 0) bad = "--data-grace-ms must not be negative";
  if (options.replication_factor < 1 ||
      options.replication_factor > dkv::server::Master::kMaxReplicationFactor) {
    bad = "--replication-factor must be within 1.." +
          std::to_string(dkv::server::Master::kMaxReplicationFactor);
  }
  if (options.resp_port < 0 || options.resp_port > 65535) {
    bad = "--resp-port must be within 0..65535";
  }
  if (options.resp_threads < 1 || options.resp_threads > 64) {
    bad = "--resp-threads must be within 1..64";
  }
  // INT_MAX is Redis's own bound on an array's length; below 1 KiB, ordinary inline commands
  // (typed into telnet, redis-benchmark's PING_INLINE) would be refused.
  if (options.resp_max_array_elements == 0 || options.resp_max_array_elements > INT_MAX) {
    bad = "--resp-max-array-elements must be within 1..2147483647";
  }
  if (options.resp_max_inline_bytes < 1024 || options.resp_max_inline_bytes > kMaxBytes) {
    bad = "--resp-max-inline-bytes must be within 1024..1073741824";
  }
  if (options.limits.max_key_bytes == 0 || options.limits.max_key_bytes > kMaxBytes ||
      options.limits.max_value_bytes == 0 || options.limits.max_value_bytes > kMaxBytes) {
    bad = "--max-key-bytes and --max-value-bytes must be within 1..1073741824";
  }
  if (!bad.empty()) {
    std::cerr << "dkv-server: " << bad << "\n";
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
