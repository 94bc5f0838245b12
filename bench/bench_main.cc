// dkv-bench: a load generator for a dkv cluster, on the C++ client library. This file only
// parses options into BenchOptions; bench_runner.cc runs the benchmark and report.cc prints it.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>

#include "bench/bench_options.h"
#include "bench/bench_runner.h"
#include "bench/report.h"
#include "common/command_line.h"
#include "common/logging.h"

namespace po = boost::program_options;

namespace {

constexpr char kUsage[] =
    "usage: dkv-bench [--zookeeper Z] [--threads N] [--mix get=80,set=20] [--keys N]\n"
    "                 [--duration-s S | --ops N] [--preload] [--json] ...\n"
    "\n"
    "Runs a closed-loop workload against a dkv cluster through the C++ client and prints ops/s\n"
    "and p50/p90/p99/p99.9 latency per operation type (a table, or one JSON object with --json).\n"
    "Operations: get, set, unsafe_set, remove, and mget, mset of --batch keys per call. Failed\n"
    "calls are counted by error code, never abort the run. See docs/benchmarking.md.";

// A sanity bound on --batch (one call carries all its keys and values).
constexpr int kMaxBatch = 10000;

int UsageError(const std::string& message) {
  std::cerr << "dkv-bench: " << message << " (see --help)\n";
  return dkv::kExitUsage;
}

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000.0)));
}

}  // namespace

int main(int argc, char** argv) {
  if (std::getenv("DKV_LOG_LEVEL") == nullptr) dkv::SetMinLogLevel(dkv::LogLevel::kWarning);
  dkv::ClusterOptions cluster;
  dkv::bench::BenchOptions options;
  int timeout_ms = 5000;
  std::string mix = options.mix.ToString();
  std::string distribution = "uniform";
  double duration_s = 0;
  uint64_t ops = 0;
  double warmup_s = 2;
  std::string progress = "auto";

  po::options_description desc("Options");
  dkv::AddClusterOptions(&desc, &cluster);
  desc.add_options()("timeout-ms", po::value(&timeout_ms)->default_value(timeout_ms),
                     "deadline of each call, retries included (ms)")(
      "threads", po::value(&options.threads)->default_value(options.threads), "worker threads")(
      "in-flight", po::value(&options.in_flight)->default_value(options.in_flight),
      "calls each thread keeps in flight: 1 makes synchronous calls, more asynchronous ones "
      "(Client::GetAsync, ...)")(
      "clients", po::value(&options.clients)->default_value(options.clients),
      "Client objects the threads share round-robin (1: one shared; = --threads: one each)")(
      "mix", po::value(&mix)->default_value(mix),
      "operation weights: get, set, unsafe_set, remove, mget, mset, e.g. get=80,set=20")(
      "batch", po::value(&options.batch)->default_value(options.batch),
      "keys per mget and mset call")("keys", po::value(&options.keys)->default_value(options.keys),
                                     "size of the key space")(
      "key-size", po::value(&options.key_size)->default_value(options.key_size),
      "key length (bytes)")("value-size",
                            po::value(&options.value_size)->default_value(options.value_size),
                            "value length of set and unsafe_set (bytes)")(
      "distribution", po::value(&distribution)->default_value(distribution),
      "key popularity: uniform or zipfian")(
      "zipf-theta", po::value(&options.zipf_theta)->default_value(options.zipf_theta),
      "zipfian skew, in (0, 1)")("duration-s", po::value(&duration_s),
                                 "length of the measured phase (s); default 10 unless --ops")(
      "ops", po::value(&ops), "measure this many calls instead of a duration")(
      "warmup-s", po::value(&warmup_s)->default_value(warmup_s),
      "unmeasured warm-up before the measured phase (s)")(
      "preload", po::bool_switch(&options.preload), "set every key once first, so gets hit")(
      "json", po::bool_switch(&options.json), "print one JSON object instead of the table")(
      "progress", po::value(&progress)->default_value(progress)->implicit_value("on"),
      "a line per second on stderr: on, off, or auto (when stderr is a terminal or the run "
      "lasts over 10 s)")("seed", po::value(&options.seed)->default_value(options.seed),
                          "seed of the key, operation and value choices");

  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(argc, argv, &desc, {}, kUsage, &vm)) {
    return *exit_code;
  }

  options.client.zookeeper = cluster.zookeeper;
  options.client.cluster = cluster.cluster;
  options.client.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  options.client.timeout = std::chrono::milliseconds(timeout_ms);
  dkv::Result<dkv::bench::OpMix> parsed_mix = dkv::bench::OpMix::Parse(mix);
  if (!parsed_mix.ok()) return UsageError(parsed_mix.status().message());
  options.mix = *parsed_mix;
  if (distribution == "uniform") {
    options.distribution = dkv::bench::KeyDistribution::kUniform;
  } else if (distribution == "zipfian") {
    options.distribution = dkv::bench::KeyDistribution::kZipfian;
  } else {
    return UsageError("--distribution must be uniform or zipfian, not '" + distribution + "'");
  }
  if (vm.count("duration-s") && vm.count("ops")) {
    return UsageError("give --duration-s or --ops, not both");
  }
  if (vm.count("ops")) {
    if (ops == 0) return UsageError("--ops must be positive");
    options.ops = ops;
  } else {
    if (!vm.count("duration-s")) duration_s = 10;
    if (!(duration_s > 0)) return UsageError("--duration-s must be positive");
    options.duration = Millis(duration_s);
  }
  if (!(warmup_s >= 0)) return UsageError("--warmup-s must not be negative");
  options.warmup = Millis(warmup_s);
  if (options.threads < 1) return UsageError("--threads must be at least 1");
  if (options.clients < 1) return UsageError("--clients must be at least 1");
  if (options.in_flight < 1) return UsageError("--in-flight must be at least 1");
  if (options.batch < 1 || options.batch > kMaxBatch) {
    return UsageError("--batch must be within 1.." + std::to_string(kMaxBatch));
  }
  if (timeout_ms <= 0) return UsageError("--timeout-ms must be positive");
  if (progress == "on") {
    options.progress = dkv::bench::ProgressMode::kOn;
  } else if (progress == "off") {
    options.progress = dkv::bench::ProgressMode::kOff;
  } else if (progress == "auto") {
    options.progress = dkv::bench::ProgressMode::kAuto;
  } else {
    return UsageError("--progress must be on, off or auto, not '" + progress + "'");
  }

  const bool show_progress = dkv::bench::ShouldShowProgress(options, isatty(STDERR_FILENO) != 0);
  dkv::Result<dkv::bench::BenchResult> result =
      dkv::bench::RunBench(options, show_progress, std::cerr);
  if (!result.ok()) {
    std::cerr << "dkv-bench: " << result.status().ToString() << "\n";
    return dkv::kExitUsage;
  }
  if (options.json) {
    dkv::bench::PrintJson(options, *result, std::cout);
  } else {
    dkv::bench::PrintTable(options, *result, std::cout);
  }
  return 0;
}
