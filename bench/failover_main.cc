// dkv-failover-bench: SIGKILLs the master (--target master, bench/failover.h) or a data node
// (--target data, bench/data_failover.h) of a running cluster N times and reports how long clients
// had no master, or how long writes to the node's slots failed. This file parses options and
// prints the result.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bench/data_failover.h"
#include "bench/failover.h"
#include "common/command_line.h"
#include "common/logging.h"

namespace po = boost::program_options;

namespace {

constexpr char kUsage[] =
    "usage: dkv-failover-bench [--zookeeper Z] [--cluster C] [--target master|data] [--kills N]\n"
    "                          [--keys K] [--writers W] [--json]\n"
    "\n"
    "SIGKILLs the master of a running cluster N times (on this host; its supervisor must restart\n"
    "the killed server, as scripts/cluster's does) and reports, per kill and as medians, the time\n"
    "until a standby is elected and until a client write succeeds again. The expected figure is\n"
    "about the servers' ZooKeeper session timeout.\n"
    "\n"
    "With --target data it SIGKILLs a data node instead (round-robin, on this host; restarted by\n"
    "its supervisor) while W threads write K keys of its slots, and reports per kill, as medians\n"
    "and as maxima, the time until the first write failed, until every key was written again with\n"
    "no failure after it (recovered), and the failed writes. See docs/benchmarking.md.";

double Millis(std::chrono::microseconds us) { return us.count() / 1000.0; }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Max(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

void PrintJsonArray(const char* name, const std::vector<double>& v) {
  std::cout << "\"" << name << "\":[";
  for (size_t i = 0; i < v.size(); ++i) std::cout << (i ? "," : "") << v[i];
  std::cout << "]";
}

int RunMaster(const dkv::bench::FailoverOptions& options, bool json) {
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
    std::cout << "{\"kills\":" << rounds->size() << ",";
    PrintJsonArray("elected_ms", elected);
    std::cout << ",";
    PrintJsonArray("serving_ms", serving);
    std::cout << ",\"median_elected_ms\":" << Median(elected)
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

int RunData(const dkv::bench::DataFailoverOptions& options, bool json) {
  auto rounds = dkv::bench::RunDataFailover(options);
  if (!rounds.ok()) {
    std::cerr << "dkv-failover-bench: " << rounds.status().ToString() << "\n";
    return dkv::kExitUsage;
  }
  // first_failure is absent in a round where no write failed; its median and max are over the
  // rounds that have one (null if none has).
  std::vector<double> first_failure, recovered, failed;
  for (const auto& r : *rounds) {
    if (r.first_failure) first_failure.push_back(Millis(*r.first_failure));
    recovered.push_back(Millis(r.recovered));
    failed.push_back(static_cast<double>(r.failed_writes));
  }
  if (json) {
    std::cout << "{\"target\":\"data\",\"kills\":" << rounds->size() << ",\"rounds\":[";
    for (size_t i = 0; i < rounds->size(); ++i) {
      const auto& r = (*rounds)[i];
      std::cout << (i ? "," : "") << "{\"killed\":\"" << r.killed << "\",\"keys\":" << r.keys
                << ",\"first_failure_ms\":";
      if (r.first_failure) {
        std::cout << Millis(*r.first_failure);
      } else {
        std::cout << "null";
      }
      std::cout << ",\"recovered_ms\":" << Millis(r.recovered) << ",\"writes\":" << r.writes
                << ",\"failed_writes\":" << r.failed_writes << "}";
    }
    std::cout << "],";
    if (first_failure.empty()) {
      std::cout << "\"median_first_failure_ms\":null,\"max_first_failure_ms\":null";
    } else {
      std::cout << "\"median_first_failure_ms\":" << Median(first_failure)
                << ",\"max_first_failure_ms\":" << Max(first_failure);
    }
    std::cout << ",\"median_recovered_ms\":" << Median(recovered)
              << ",\"max_recovered_ms\":" << Max(recovered)
              << ",\"median_failed_writes\":" << Median(failed)
              << ",\"max_failed_writes\":" << Max(failed) << "}\n";
    return 0;
  }
  std::cout << "KILL  NODE         KEYS  FIRST_FAILURE_MS  RECOVERED_MS  FAILED_WRITES\n";
  for (size_t i = 0; i < rounds->size(); ++i) {
    const auto& r = (*rounds)[i];
    const std::string first =
        r.first_failure ? std::to_string(std::lround(Millis(*r.first_failure))) : "-";
    std::printf("%-5zu %-12s %4d  %16s  %12.0f  %13.0f\n", i + 1, r.killed.c_str(), r.keys,
                first.c_str(), recovered[i], failed[i]);
  }
  const std::string median_first =
      first_failure.empty() ? "-" : std::to_string(std::lround(Median(first_failure)));
  const std::string max_first =
      first_failure.empty() ? "-" : std::to_string(std::lround(Max(first_failure)));
  std::printf("median                   %16s  %12.0f  %13.0f\n", median_first.c_str(),
              Median(recovered), Median(failed));
  std::printf("max                      %16s  %12.0f  %13.0f\n", max_first.c_str(), Max(recovered),
              Max(failed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dkv::ClusterOptions cluster;
  dkv::bench::DataFailoverOptions data;
  dkv::bench::FailoverOptions& options = data.cluster;
  std::string target = "master";
  bool json = false;
  po::options_description desc("dkv-failover-bench options");
  dkv::AddClusterOptions(&desc, &cluster);
  desc.add_options()("target", po::value(&target)->default_value(target),
                     "what to kill: master or data (a data node)")(
      "kills", po::value(&options.kills)->default_value(options.kills), "how many times to kill")(
      "keys", po::value(&data.keys)->default_value(data.keys),
      "--target data: keys written, all in the victim's slots")(
      "writers", po::value(&data.writers)->default_value(data.writers),
      "--target data: writer threads")("json", po::bool_switch(&json),
                                       "print one JSON object instead of a table");
  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(argc, argv, &desc, {}, kUsage, &vm)) {
    return *exit_code;
  }
  if (target != "master" && target != "data") {
    std::cerr << "dkv-failover-bench: --target must be master or data\n";
    return dkv::kExitUsage;
  }
  if (options.kills <= 0 || data.keys <= 0 || data.writers <= 0) {
    std::cerr << "dkv-failover-bench: --kills, --keys and --writers must be positive\n";
    return dkv::kExitUsage;
  }
  options.zookeeper = cluster.zookeeper;
  options.cluster = cluster.cluster;
  options.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  if (json) dkv::SetMinLogLevel(dkv::LogLevel::kWarning);
  return target == "master" ? RunMaster(options, json) : RunData(data, json);
}
