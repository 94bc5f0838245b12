// RunBench: client connections, the preload, the warm-up and the measured phase on worker
// threads, progress lines, and the merge of the per-thread counts. See bench_runner.h.
//
// Threads: the calling thread owns every worker thread (starts and joins them) and is the only
// writer of the phase; each worker is the only writer of its Worker slot, whose two atomics the
// calling thread reads for progress. The hot path shares nothing else, except in --ops mode one
// atomic ticket counter (a fetch_add per call, far cheaper than the network round trip).
#include "bench/bench_runner.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace dkv::bench {
namespace {

using Clock = std::chrono::steady_clock;

enum Phase : int { kWarmup = 0, kMeasure = 1, kStop = 2 };

// The state one worker thread writes; cache-line aligned so workers do not share lines.
struct alignas(64) Worker {
  std::array<OpStats, kOpTypeCount> stats;
  std::atomic<uint64_t> done{0};    // measured calls finished (OK or not), for progress
  std::atomic<uint64_t> errors{0};  // measured calls that failed, for progress
  Clock::time_point end;            // when the worker left the measured phase
};

// What every worker reads and the coordinator writes.
struct Control {
  std::atomic<int> phase{kWarmup};
  std::atomic<uint64_t> tickets{0};  // measured calls issued, in --ops mode
  std::atomic<int> finished{0};      // workers that have left their loop
};

uint64_t ElapsedNs(Clock::time_point from, Clock::time_point to) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void CountError(const Status& s, OpStats* stats) {
  const int code = static_cast<int>(s.code());
  ++stats->errors[code];
  stats->last_error[code] = s.message();
}

// The keys (and for mset the values) of one mget or mset call. Per worker thread, reused from call
// to call, so after the first call filling it allocates nothing.
struct Batch {
  std::vector<std::string> keys;
  std::vector<std::pair<std::string, std::string>> pairs;
};

void FillBatch(OpType op, int size, const KeyChooser& chooser, KeyFormatter* formatter,
               const ValueSource& values, Rng* rng, Batch* batch) {
  if (op == OpType::kMGet) {
    batch->keys.resize(size);
    for (std::string& key : batch->keys) key.assign(formatter->Format(chooser.Next(rng)));
  } else {
    batch->pairs.resize(size);
    for (auto& [key, value] : batch->pairs) {
      key.assign(formatter->Format(chooser.Next(rng)));
      value.assign(values.Next(rng));
    }
  }
}

// The keys an mget found no value for.
uint64_t Misses(const std::vector<std::optional<std::string>>& values) {
  return static_cast<uint64_t>(
      std::count_if(values.begin(), values.end(), [](const auto& v) { return !v.has_value(); }));
}

// Runs one call of `op` (a batch op on *batch); returns its status and sets *misses to the keys a
// get or mget found no value for.
Status RunOp(client::Client* client, OpType op, std::string_view key, std::string_view value,
             const Batch& batch, uint64_t* misses) {
  switch (op) {
    case OpType::kGet: {
      Result<std::optional<std::string>> r = client->Get(key);
      if (!r.ok()) return r.status();
      *misses = r->has_value() ? 0 : 1;
      return Status::OK();
    }
    case OpType::kMGet: {
      Result<std::vector<std::optional<std::string>>> r = client->MGet(batch.keys);
      if (!r.ok()) return r.status();
      *misses = Misses(*r);
      return Status::OK();
    }
    case OpType::kMSet:
      return client->MSet(batch.pairs);
    case OpType::kSet:
      return client->Set(key, value);
    case OpType::kUnsafeSet:
      client->UnsafeSet(key, value);
      return Status::OK();
    case OpType::kRemove: {
      Result<bool> r = client->Remove(key);
      return r.ok() ? Status::OK() : r.status();
    }
  }
  return Status::Internal("unknown operation");
}

// What one closed loop needs to make its calls: its key and value choices, reused batch, stats.
struct Loop {
  Loop(const BenchOptions& options, const KeyChooser& chooser, KeyFormatter formatter,
       const ValueSource& values, client::Client* client, Rng rng, Control* control, Worker* worker)
      : options(options),
        chooser(chooser),
        formatter(std::move(formatter)),
        values(values),
        client(client),
        rng(rng),
        control(control),
        worker(worker) {}

  // Whether to make another call: false once the run is over (the loop then says so in
  // `control`). Sets `measured` for the call.
  bool Continue() {
    const int phase = control->phase.load(std::memory_order_acquire);
    measured = phase == kMeasure;
    if (phase == kStop ||
        (measured && options.ops &&
         control->tickets.fetch_add(1, std::memory_order_relaxed) >= *options.ops)) {
      worker->end = Clock::now();
      control->finished.fetch_add(1, std::memory_order_release);
      return false;
    }
    return true;
  }

  // Chooses the next call: its op, and its key and value (or its batch).
  void Choose() {
    op = options.mix.Pick(rng.Next());
    key = {};
    value = {};
    if (IsBatch(op)) {
      FillBatch(op, options.batch, chooser, &formatter, values, &rng, &batch);
    } else {
      key = formatter.Format(chooser.Next(&rng));
      if (op == OpType::kSet || op == OpType::kUnsafeSet) value = values.Next(&rng);
    }
  }

  // Counts a call that started at `start` and just ended with `s`, if it was measured.
  void Record(const Status& s, uint64_t misses, Clock::time_point start) {
    const Clock::time_point end = Clock::now();
    // A call started in the warm-up is not measured, even if it ends after the switch.
    if (!measured) return;
    OpStats& stats = worker->stats[static_cast<int>(op)];
    if (s.ok()) {
      ++stats.ops;
      stats.get_misses += misses;
      stats.latency.Record(ElapsedNs(start, end));
    } else {
      CountError(s, &stats);
      worker->errors.store(++errors, std::memory_order_relaxed);
    }
    worker->done.store(++done, std::memory_order_relaxed);
  }

  const BenchOptions& options;
  const KeyChooser& chooser;
  KeyFormatter formatter;
  const ValueSource& values;
  client::Client* const client;
  Rng rng;
  Control* const control;
  Worker* const worker;
  uint64_t done = 0;
  uint64_t errors = 0;
  Batch batch;
  // The current call.
  bool measured = false;
  OpType op = OpType::kGet;
  std::string_view key, value;
};

// A worker thread's loop: synchronous calls, one at a time.
void RunSyncLoop(Loop* loop) {
  while (loop->Continue()) {
    loop->Choose();
    uint64_t misses = 0;
    const Clock::time_point start = Clock::now();
    const Status s = RunOp(loop->client, loop->op, loop->key, loop->value, loop->batch, &misses);
    loop->Record(s, misses, start);
  }
}

// An --in-flight loop: starts its next asynchronous call, whose `done` (on the client's thread)
// records it and starts the next one, until the run is over. An unsafe_set, synchronous by
// nature, runs in place.
void StartAsyncCall(Loop* loop) {
  while (loop->Continue()) {
    loop->Choose();
    const Clock::time_point start = Clock::now();
    client::Client* client = loop->client;
    switch (loop->op) {
      case OpType::kGet:
        return client->GetAsync(loop->key, [loop, start](Result<std::optional<std::string>> r) {
          loop->Record(r.status(), r.ok() && !r->has_value() ? 1 : 0, start);
          StartAsyncCall(loop);
        });
      case OpType::kSet:
        return client->SetAsync(loop->key, loop->value, [loop, start](Status s) {
          loop->Record(s, 0, start);
          StartAsyncCall(loop);
        });
      case OpType::kRemove:
        return client->RemoveAsync(loop->key, [loop, start](Result<bool> r) {
          loop->Record(r.status(), 0, start);
          StartAsyncCall(loop);
        });
      case OpType::kMGet:
        return client->MGetAsync(loop->batch.keys,
                                 [loop, start](Result<std::vector<std::optional<std::string>>> r) {
                                   loop->Record(r.status(), r.ok() ? Misses(*r) : 0, start);
                                   StartAsyncCall(loop);
                                 });
      case OpType::kMSet:
        return client->MSetAsync(loop->batch.pairs, [loop, start](Status s) {
          loop->Record(s, 0, start);
          StartAsyncCall(loop);
        });
      case OpType::kUnsafeSet:
        client->UnsafeSet(loop->key, loop->value);
        loop->Record(Status::OK(), 0, start);
        break;
    }
  }
}

// Sets every key once, split over options.threads threads; fills the preload fields of *result.
Status Preload(const BenchOptions& options, const ValueSource& values,
               const std::vector<std::unique_ptr<client::Client>>& clients, BenchResult* result) {
  struct Counts {
    uint64_t ops = 0;
    uint64_t errors = 0;
    std::string last_error;
  };
  std::vector<Counts> counts(options.threads);
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    DKV_ASSIGN_OR_RETURN(KeyFormatter formatter,
                         KeyFormatter::Create(options.keys, options.key_size));
    client::Client* client = clients[t % clients.size()].get();
    threads.emplace_back([&, t, formatter, client]() mutable {
      Rng rng(ThreadSeed(options.seed ^ 0x5EED, t));
      for (uint64_t k = t; k < options.keys; k += options.threads) {
        const Status s = client->Set(formatter.Format(k), values.Next(&rng));
        if (s.ok()) {
          ++counts[t].ops;
        } else {
          ++counts[t].errors;
          counts[t].last_error = s.ToString();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  result->preload_elapsed_s = Seconds(Clock::now() - start);
  for (const Counts& c : counts) {
    result->preload_ops += c.ops;
    result->preload_errors += c.errors;
    if (!c.last_error.empty()) result->preload_last_error = c.last_error;
  }
  return Status::OK();
}

void PrintProgress(std::ostream& out, const char* phase, double seconds, uint64_t done,
                   uint64_t last_done, double interval_s, uint64_t errors) {
  char line[160];
  std::snprintf(line, sizeof(line),
                "dkv-bench: %-8s %6.1f s  %12llu calls  %10.0f calls/s  %llu errors\n", phase,
                seconds, static_cast<unsigned long long>(done),
                interval_s > 0 ? static_cast<double>(done - last_done) / interval_s : 0.0,
                static_cast<unsigned long long>(errors));
  out << line << std::flush;
}

}  // namespace

bool ShouldShowProgress(const BenchOptions& options, bool stderr_is_tty) {
  switch (options.progress) {
    case ProgressMode::kOn:
      return true;
    case ProgressMode::kOff:
      return false;
    case ProgressMode::kAuto:
      break;
  }
  return stderr_is_tty || (options.duration && *options.duration > std::chrono::seconds(10));
}

Result<BenchResult> RunBench(const BenchOptions& options, bool show_progress,
                             std::ostream& progress) {
  if (options.threads < 1) return Status::InvalidArgument("--threads must be at least 1");
  if (options.clients < 1) return Status::InvalidArgument("--clients must be at least 1");
  if (options.duration.has_value() == options.ops.has_value()) {
    return Status::InvalidArgument("give exactly one of --duration-s and --ops");
  }
  DKV_ASSIGN_OR_RETURN(KeyChooser chooser,
                       KeyChooser::Create(options.distribution, options.keys, options.zipf_theta));
  DKV_ASSIGN_OR_RETURN(KeyFormatter formatter,
                       KeyFormatter::Create(options.keys, options.key_size));
  const ValueSource values(options.value_size, options.seed);

  // More clients than threads would leave some idle.
  const int client_count = std::min(options.clients, options.threads);
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int i = 0; i < client_count; ++i) {
    DKV_ASSIGN_OR_RETURN(std::unique_ptr<client::Client> c,
                         client::Client::Connect(options.client));
    clients.push_back(std::move(c));
  }

  BenchResult result;
  if (options.preload) {
    if (show_progress) progress << "dkv-bench: preloading " << options.keys << " keys\n";
    DKV_RETURN_NOT_OK(Preload(options, values, clients, &result));
  }

  Control control;
  control.phase.store(options.warmup.count() > 0 ? kWarmup : kMeasure);
  // One loop per thread, or with --in-flight, in_flight loops of asynchronous calls per thread;
  // loop i of thread t uses client t % clients.
  const int loop_count = options.threads * options.in_flight;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::unique_ptr<Loop>> loops;
  for (int t = 0; t < options.threads; ++t) {
    for (int i = 0; i < options.in_flight; ++i) {
      workers.push_back(std::make_unique<Worker>());
      loops.push_back(std::make_unique<Loop>(
          options, chooser, formatter, values, clients[t % clients.size()].get(),
          Rng(ThreadSeed(options.seed, t * options.in_flight + i)), &control,
          workers.back().get()));
    }
  }
  std::vector<std::thread> threads;
  Clock::time_point start = Clock::now();
  for (const std::unique_ptr<Loop>& loop : loops) {
    if (options.in_flight == 1) {
      threads.emplace_back(RunSyncLoop, loop.get());
    } else {
      StartAsyncCall(loop.get());
    }
  }

  auto sum = [&workers](std::atomic<uint64_t> Worker::*field) {
    uint64_t n = 0;
    for (const auto& w : workers) n += ((*w).*field).load(std::memory_order_relaxed);
    return n;
  };
  constexpr auto kTick = std::chrono::milliseconds(50);
  constexpr auto kProgressEvery = std::chrono::seconds(1);
  const Clock::time_point warmup_start = start;
  Clock::time_point last_print = start;
  uint64_t last_done = 0;
  bool measuring = control.phase.load() == kMeasure;
  while (true) {
    std::this_thread::sleep_for(kTick);
    const Clock::time_point now = Clock::now();
    if (!measuring) {
      if (now - warmup_start >= options.warmup) {
        start = Clock::now();
        control.phase.store(kMeasure, std::memory_order_release);
        measuring = true;
        last_print = start;
      } else if (show_progress && now - last_print >= kProgressEvery) {
        PrintProgress(progress, "warm-up", Seconds(now - warmup_start), 0, 0, 0, 0);
        last_print = now;
      }
      continue;
    }
    if (control.finished.load(std::memory_order_acquire) == loop_count) break;
    if (options.duration && now - start >= *options.duration) {
      control.phase.store(kStop, std::memory_order_release);
      break;
    }
    if (show_progress && now - last_print >= kProgressEvery) {
      const uint64_t done = sum(&Worker::done);
      PrintProgress(progress, "measured", Seconds(now - start), done, last_done,
                    Seconds(now - last_print), sum(&Worker::errors));
      last_done = done;
      last_print = now;
    }
  }
  for (std::thread& thread : threads) thread.join();
  // Asynchronous loops end at their next call's `done`.
  while (control.finished.load(std::memory_order_acquire) < loop_count) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  Clock::time_point end = start;
  for (const auto& w : workers) {
    end = std::max(end, w->end);
    for (int op = 0; op < kOpTypeCount; ++op) {
      result.by_op[op].Merge(w->stats[op]);
      result.all.Merge(w->stats[op]);
    }
  }
  result.elapsed_s = Seconds(end - start);
  return result;
}

}  // namespace dkv::bench
