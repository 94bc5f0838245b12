// KvWorkload: the workload of the linearizability tests. One thread per client::Client runs
// random single-key operations, one at a time, over a small set of keys, so that clients contend
// for every key, and records each one in a HistoryRecorder with its outcome:
//   registers r0..r<registers-1>: get, set, del; every set writes a value no other set writes
//     ("c<client>-<seq>"), so a read names the write it saw;
//   counters n0..n<counters-1>: get, incr (delta 1..5), del.
// Options leave out what the client does not do exactly once today (see below).
// Registers and counters are apart so that an incr never meets a value that is not an integer.
//
// Thread-safety: the constructor starts the threads and Stop() joins them; the counters and
// WaitForMoreOk may be used from any thread, ReadEveryKey only after Stop().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "dkv/client.h"
#include "dkv/status.h"
#include "tests/history.h"
#include "tests/history_recorder.h"

namespace dkv::test {

struct KvWorkloadOptions {
  int registers = 4;
  int counters = 4;
  uint32_t seed = 1;
  // Whether there are counters and incr calls (else the counters' keys are registers). The client
  // retries an incr whose connection broke, so one call may be applied twice when the master fails
  // over during it.
  bool incr = true;
  // Whether del's answer (existed or not) is recorded for checking. The client's Remove may
  // misreport it when the master fails over during the call (dkv/client.h).
  bool check_del_answers = true;
  // Whether each key has one writer (client i writes the keys whose index is i modulo the number
  // of clients; everyone reads every key) rather than every client writing every key. A set the
  // client retried on a new master may land again after another client's later set.
  bool single_writer_per_key = false;
  // Deadline of each call; kDefaultTimeout: the client's.
  std::chrono::milliseconds call_timeout = client::kDefaultTimeout;
};

// How a call's Status says it ended. Only refusals the client makes before sending anything, or
// that every attempt of a call would meet alike, mean "surely not applied" (kFailed): the client
// retries an attempt whose connection broke, and the attempt may have been applied before, so any
// other error leaves the outcome unknown.
OpOutcome OutcomeOf(OpKind kind, const Status& status);

class KvWorkload {
 public:
  // Starts one thread per client at once; thread i records as client i. `clients` and
  // `recorder` must outlive the workload.
  KvWorkload(std::vector<client::Client*> clients, HistoryRecorder* recorder,
             KvWorkloadOptions options = {});
  ~KvWorkload();  // stops
  KvWorkload(const KvWorkload&) = delete;
  KvWorkload& operator=(const KvWorkload&) = delete;

  // Lets every thread finish its current call and joins them.
  void Stop();

  int64_t ok() const { return ok_.load(); }
  int64_t failed() const { return failed_.load(); }
  int64_t unknown() const { return unknown_.load(); }
  // Waits until `more` operations beyond the current count completed kOk (the cluster serves).
  Status WaitForMoreOk(int64_t more, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // After Stop: one get of every key through `client`, recorded as client `client_id`, so that the
  // history ends with what the cluster holds. The first error, if any call failed.
  Status ReadEveryKey(client::Client* client, int client_id);

  const std::vector<std::string>& keys() const { return keys_; }

 private:
  void Run(int client_id, client::Client* client);
  // Runs `op` through `client`, recording it.
  void Execute(client::Client* client, Operation op);

  const KvWorkloadOptions options_;
  const int clients_;
  HistoryRecorder* const recorder_;
  std::vector<std::string> keys_;  // registers, then counters
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> ok_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> unknown_{0};
  std::vector<std::thread> threads_;
};

}  // namespace dkv::test
