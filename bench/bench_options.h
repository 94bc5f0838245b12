// BenchOptions: everything one dkv-bench run is told, as a plain struct. bench_main.cc fills it
// from the command line (Boost.Program_options stays there); RunBench and the reports read it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "bench/workload.h"
#include "dkv/client.h"

namespace dkv::bench {

enum class ProgressMode { kAuto, kOn, kOff };

struct BenchOptions {
  // How to reach the cluster; `client.timeout` is each call's deadline.
  client::ClientOptions client;

  int threads = 8;  // worker threads
  // Calls each worker thread keeps in flight. 1: the thread makes synchronous calls, one at a
  // time. More: that many asynchronous calls (Client::GetAsync, ...), each started when one
  // before has finished, by its `done` on the client's own thread (the worker threads then only
  // start them: threads x in_flight calls in flight in all).
  int in_flight = 1;
  // Client objects the threads share, round-robin (thread t uses client t % clients). 1 is one
  // shared Client; `threads` gives each thread its own (its own ZooKeeper session and pool).
  int clients = 1;

  OpMix mix = OpMix::Parse("get=80,set=20").value();
  uint64_t keys = 100000;
  size_t key_size = 16;
  size_t value_size = 64;
  int batch = 16;  // keys per mget and mset call
  KeyDistribution distribution = KeyDistribution::kUniform;
  double zipf_theta = 0.99;

  // Exactly one of the two ends the measured phase: a duration, or a number of operations.
  std::optional<std::chrono::milliseconds> duration;
  std::optional<uint64_t> ops;
  std::chrono::milliseconds warmup{2000};
  bool preload = false;  // Set every key once before the warm-up
  bool json = false;     // one JSON object on stdout instead of the table
  ProgressMode progress = ProgressMode::kAuto;
  uint64_t seed = 1;
};

}  // namespace dkv::bench
