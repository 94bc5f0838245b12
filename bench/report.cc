// PrintTable and PrintJson. See report.h; the JSON layout is in docs/benchmarking.md.
#include "bench/report.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "common/json.h"

namespace dkv::bench {
namespace {

struct PercentileSpec {
  double percentile;
  const char* name;
};
constexpr PercentileSpec kPercentiles[] = {{50, "p50"}, {90, "p90"}, {99, "p99"}, {99.9, "p99.9"}};

double Us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

double PerSecond(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// A finite double as a JSON number with up to 3 decimals.
std::string JsonNumber(double value) { return Format("%.3f", value); }

std::string DistributionText(const BenchOptions& options) {
  if (options.distribution == KeyDistribution::kUniform) return "uniform";
  return "zipfian (theta " + Format("%g", options.zipf_theta) + ")";
}

void PrintTableRow(const char* name, const OpStats& stats, double elapsed_s, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof(line), "%-10s %12llu %12.0f %8llu %9.1f %9.1f %9.1f %9.1f %10.1f\n",
                name, static_cast<unsigned long long>(stats.ops), PerSecond(stats.ops, elapsed_s),
                static_cast<unsigned long long>(stats.error_count()),
                Us(stats.latency.Percentile(50)), Us(stats.latency.Percentile(90)),
                Us(stats.latency.Percentile(99)), Us(stats.latency.Percentile(99.9)),
                Us(stats.latency.max()));
  out << line;
}

std::string JsonLatency(const LatencyHistogram& h) {
  std::string out = "{";
  for (const PercentileSpec& p : kPercentiles) {
    out += "\"" + std::string(p.name) + "\":" + JsonNumber(Us(h.Percentile(p.percentile))) + ",";
  }
  out += "\"min\":" + JsonNumber(Us(h.min())) + ",\"mean\":" + JsonNumber(h.mean() / 1000.0) +
         ",\"max\":" + JsonNumber(Us(h.max())) + "}";
  return out;
}

std::string JsonErrors(const OpStats& stats) {
  std::string out = "{";
  bool first = true;
  for (int code = 0; code < kStatusCodeCount; ++code) {
    if (stats.errors[code] == 0) continue;
    if (!first) out += ",";
    first = false;
    out += JsonQuote(Status::CodeName(static_cast<Status::Code>(code))) + ":" +
           std::to_string(stats.errors[code]);
  }
  return out + "}";
}

std::string JsonOpStats(const OpStats& stats, double elapsed_s) {
  return "{\"ops\":" + std::to_string(stats.ops) +
         ",\"ops_per_s\":" + JsonNumber(PerSecond(stats.ops, elapsed_s)) +
         ",\"errors\":" + std::to_string(stats.error_count()) +
         ",\"errors_by_code\":" + JsonErrors(stats) +
         ",\"latency_us\":" + JsonLatency(stats.latency) + "}";
}

}  // namespace

void PrintTable(const BenchOptions& options, const BenchResult& result, std::ostream& out) {
  out << "dkv-bench: " << options.threads << " threads";
  if (options.in_flight > 1) out << " x " << options.in_flight << " asynchronous calls in flight";
  out << " on " << std::min(options.clients, options.threads)
      << (options.clients == 1 ? " client" : " clients") << ", mix " << options.mix.ToString()
      << ", " << options.keys << " keys of " << options.key_size << " B, values of "
      << options.value_size << " B, " << DistributionText(options);
  if (options.mix.weight(OpType::kMGet) > 0 || options.mix.weight(OpType::kMSet) > 0) {
    out << ", " << options.batch << " keys per mget/mset";
  }
  out << ", seed " << options.seed << "\n";
  if (options.preload) {
    out << "preload: " << result.preload_ops << " keys set in "
        << Format("%.2f", result.preload_elapsed_s) << " s, " << result.preload_errors << " errors"
        << (result.preload_last_error.empty() ? "" : " (last: " + result.preload_last_error + ")")
        << "\n";
  }
  out << "measured " << Format("%.2f", result.elapsed_s) << " s after a "
      << Format("%g", options.warmup.count() / 1000.0) << " s warm-up\n\n";
  char header[256];
  std::snprintf(header, sizeof(header), "%-10s %12s %12s %8s %9s %9s %9s %9s %10s\n", "op", "ops",
                "ops/s", "errors", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us");
  out << header;
  for (int op = 0; op < kOpTypeCount; ++op) {
    if (options.mix.weight(static_cast<OpType>(op)) == 0) continue;
    PrintTableRow(OpName(static_cast<OpType>(op)), result.by_op[op], result.elapsed_s, out);
  }
  PrintTableRow("all", result.all, result.elapsed_s, out);
  if (options.mix.weight(OpType::kGet) > 0 || options.mix.weight(OpType::kMGet) > 0) out << "\n";
  if (options.mix.weight(OpType::kGet) > 0) {
    const OpStats& gets = result.by_op[static_cast<int>(OpType::kGet)];
    out << "get misses: " << gets.get_misses << " of " << gets.ops << " gets\n";
  }
  if (options.mix.weight(OpType::kMGet) > 0) {
    const OpStats& mgets = result.by_op[static_cast<int>(OpType::kMGet)];
    out << "mget misses: " << mgets.get_misses << " of " << mgets.ops * options.batch << " keys\n";
  }
  if (result.all.error_count() > 0) {
    out << "\nerrors by code:\n";
    for (int code = 0; code < kStatusCodeCount; ++code) {
      if (result.all.errors[code] == 0) continue;
      out << "  " << Status::CodeName(static_cast<Status::Code>(code)) << " "
          << result.all.errors[code] << " (last: " << result.all.last_error[code] << ")\n";
    }
  }
}

void PrintJson(const BenchOptions& options, const BenchResult& result, std::ostream& out) {
  std::string mix = "{";
  for (int op = 0; op < kOpTypeCount; ++op) {
    if (op > 0) mix += ",";
    mix += "\"" + std::string(OpName(static_cast<OpType>(op))) +
           "\":" + std::to_string(options.mix.weight(static_cast<OpType>(op)));
  }
  mix += "}";
  std::string json = "{\"tool\":\"dkv-bench\",\"parameters\":{";
  json += "\"zookeeper\":" + JsonQuote(options.client.zookeeper);
  json += ",\"cluster\":" + JsonQuote(options.client.cluster);
  json += ",\"threads\":" + std::to_string(options.threads);
  json += ",\"in_flight\":" + std::to_string(options.in_flight);
  json += ",\"clients\":" + std::to_string(std::min(options.clients, options.threads));
  json += ",\"mix\":" + mix;
  json += ",\"keys\":" + std::to_string(options.keys);
  json += ",\"key_size\":" + std::to_string(options.key_size);
  json += ",\"value_size\":" + std::to_string(options.value_size);
  json += ",\"batch\":" + std::to_string(options.batch);
  json += std::string(",\"distribution\":\"") +
          (options.distribution == KeyDistribution::kUniform ? "uniform" : "zipfian") + "\"";
  json += ",\"zipf_theta\":" + JsonNumber(options.zipf_theta);
  json += ",\"duration_s\":" +
          (options.duration ? JsonNumber(options.duration->count() / 1000.0) : std::string("null"));
  json += ",\"ops\":" + (options.ops ? std::to_string(*options.ops) : std::string("null"));
  json += ",\"warmup_s\":" + JsonNumber(options.warmup.count() / 1000.0);
  json += std::string(",\"preload\":") + (options.preload ? "true" : "false");
  json += ",\"timeout_ms\":" + std::to_string(options.client.timeout.count());
  json += ",\"seed\":" + std::to_string(options.seed) + "}";
  if (options.preload) {
    json += ",\"preload\":{\"ops\":" + std::to_string(result.preload_ops) +
            ",\"errors\":" + std::to_string(result.preload_errors) +
            ",\"elapsed_s\":" + JsonNumber(result.preload_elapsed_s) + "}";
  }
  json += ",\"elapsed_s\":" + JsonNumber(result.elapsed_s);
  json += ",\"ops\":" + std::to_string(result.all.ops);
  json += ",\"ops_per_s\":" + JsonNumber(PerSecond(result.all.ops, result.elapsed_s));
  json += ",\"errors\":" + std::to_string(result.all.error_count());
  json += ",\"errors_by_code\":" + JsonErrors(result.all);
  json += ",\"get_misses\":" + std::to_string(result.all.get_misses);
  json += ",\"latency_us\":" + JsonLatency(result.all.latency);
  json += ",\"by_op\":{";
  bool first = true;
  for (int op = 0; op < kOpTypeCount; ++op) {
    if (options.mix.weight(static_cast<OpType>(op)) == 0) continue;
    if (!first) json += ",";
    first = false;
    json += "\"" + std::string(OpName(static_cast<OpType>(op))) +
            "\":" + JsonOpStats(result.by_op[op], result.elapsed_s);
  }
  json += "}}";
  out << json << "\n";
}

}  // namespace dkv::bench
