// dkv-failover-bench: SIGKILLs the master of a running cluster N times and reports how long
// clients had no master (see bench/failover.h). This file parses options and prints the result.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <vector>

#include "bench/failover.h"
#include "common/command_line.h"
#include "common/logging.h"

namespace po = boost::program_options;

namespace {

constexpr char kUsage[] =
    "usage: dkv-failover-bench [--zookeeper Z] [--cluster C] [--kills N] [--json]\n"
    "\n"
    "SIGKILLs the master of a running cluster N times (on this host; its supervisor must restart\n"
    "the killed server, as scripts/cluster's does) and reports, per kill and as medians, the time\n"
    "until a standby is elected and until a client write succeeds again. The expected figure is\n"
    "about the servers' ZooKeeper session timeout. See docs/benchmarking.md.";

double Millis(std::chrono::microseconds us) { return us.count() / 1000.0; }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  dkv::ClusterOptions cluster;
  dkv::bench::FailoverOptions options;
  bool json = false;
  po::options_description desc("dkv-failover-bench options");
  dkv::AddClusterOptions(&desc, &cluster);
  desc.add_options()("kills", po::value(&options.kills)->default_value(options.kills),
                     "how many times to kill the master")(
      "json", po::bool_switch(&json), "print one JSON object instead of a table");
  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(argc, argv, &desc, {}, kUsage, &vm)) {
    return *exit_code;
  }
  if (options.kills <= 0) {
    std::cerr << "dkv-failover-bench: --kills must be positive\n";
    return dkv::kExitUsage;
  }
  options.zookeeper = cluster.zookeeper;
  options.cluster = cluster.cluster;
  options.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  if (json) dkv::SetMinLogLevel(dkv::LogLevel::kWarning);

  auto rounds = dkv::bench::RunFailover(options);
  if (!rounds.ok()) {
    std::cerr << "dkv-failover-bench: " << rounds.status().ToString() << "\n";
    return dkv::kExitUsage;
  }
  std::vector<double> elected, serving;
  for (const auto& r : *rounds) {
    elected.push_back(Millis(r.elected));
    serving.push_back(Millis(r.serving));
  }
  if (json) {
    std::cout << "{\"kills\":" << rounds->size() << ",\"elected_ms\":[";
    for (size_t i = 0; i < elected.size(); ++i) std::cout << (i ? "," : "") << elected[i];
    std::cout << "],\"serving_ms\":[";
    for (size_t i = 0; i < serving.size(); ++i) std::cout << (i ? "," : "") << serving[i];
    std::cout << "],\"median_elected_ms\":" << Median(elected)
              << ",\"median_serving_ms\":" << Median(serving) << "}\n";
    return 0;
  }
  std::cout << "KILL  SERVER            ELECTED_MS  SERVING_MS\n";
  for (size_t i = 0; i < rounds->size(); ++i) {
    std::printf("%-5zu %-17s %10.0f  %10.0f\n", i + 1, (*rounds)[i].killed.c_str(), elected[i],
                serving[i]);
  }
  std::printf("median                  %10.0f  %10.0f\n", Median(elected), Median(serving));
  return 0;
}
