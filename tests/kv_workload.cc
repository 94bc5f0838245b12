#include "tests/kv_workload.h"

#include <optional>
#include <random>
#include <utility>

#include "tests/harness/test_util.h"

namespace dkv::test {

OpOutcome OutcomeOf(OpKind kind, const Status& status) {
  if (status.ok()) return OpOutcome::kOk;
  switch (status.code()) {
    case Status::Code::kKeyTooLarge:
    case Status::Code::kValueTooLarge:
      return OpOutcome::kFailed;  // checked by the client before it sends anything
    case Status::Code::kInvalidArgument:
      // A get, set or del is refused so on every attempt alike. An incr refused for a value that
      // is not an integer may follow an attempt that was applied before its connection broke
      // (and a set of another client in between): unknown.
      return kind == OpKind::kIncr ? OpOutcome::kUnknown : OpOutcome::kFailed;
    default:
      // UNAVAILABLE (deadline passed while retrying), TIMED_OUT, IO_ERROR, NOT_MASTER,
      // NO_DATA_NODES, INTERNAL, ...: an earlier attempt of the call may have been applied.
      return OpOutcome::kUnknown;
  }
}

KvWorkload::KvWorkload(std::vector<client::Client*> clients, HistoryRecorder* recorder,
                       KvWorkloadOptions options)
    : options_(options), clients_(static_cast<int>(clients.size())), recorder_(recorder) {
  // Without incr, the counters' keys are registers too: as many keys contended either way.
  const int registers = options_.registers + (options_.incr ? 0 : options_.counters);
  for (int i = 0; i < registers; ++i) keys_.push_back("r" + std::to_string(i));
  for (int i = 0; options_.incr && i < options_.counters; ++i) {
    keys_.push_back("n" + std::to_string(i));
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    threads_.emplace_back([this, i, c = clients[i]] { Run(static_cast<int>(i), c); });
  }
}

KvWorkload::~KvWorkload() { Stop(); }

void KvWorkload::Stop() {
  stop_ = true;
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

Status KvWorkload::WaitForMoreOk(int64_t more, std::chrono::milliseconds timeout) {
  const int64_t target = ok_.load() + more;
  return WaitFor([&] { return ok_.load() >= target; }, timeout, std::chrono::milliseconds(10),
                 std::to_string(more) + " more operations completed ok");
}

void KvWorkload::Run(int client_id, client::Client* client) {
  std::mt19937 rng(options_.seed * 7919 + static_cast<uint32_t>(client_id));
  for (int64_t seq = 0; !stop_.load(); ++seq) {
    Operation op;
    op.client = client_id;
    const uint32_t dice = rng() % 100;
    size_t key = rng() % keys_.size();
    if (dice >= 40 && options_.single_writer_per_key) {
      // A write: to one of this client's own keys (if it has none, it reads).
      const size_t own = (keys_.size() + clients_ - 1 - client_id) / clients_;
      if (own > 0) key = client_id + clients_ * (rng() % own);
    }
    op.key = keys_[key];
    const bool counter = op.key[0] == 'n';
    if (dice < 40 ||
        (options_.single_writer_per_key && static_cast<int>(key % clients_) != client_id)) {
      op.kind = OpKind::kGet;
    } else if (dice < 88) {
      op.kind = counter ? OpKind::kIncr : OpKind::kSet;
      op.value = "c" + std::to_string(client_id) + "-" + std::to_string(seq);
      op.delta = static_cast<int64_t>(rng() % 5) + 1;
    } else {
      op.kind = OpKind::kDel;
    }
    if (op.kind != OpKind::kSet) op.value.clear();
    if (op.kind != OpKind::kIncr) op.delta = 0;
    Execute(client, std::move(op));
  }
}

void KvWorkload::Execute(client::Client* client, Operation op) {
  const OpKind kind = op.kind;
  const std::string key = op.key;
  const std::string value = op.value;
  const int64_t delta = op.delta;
  const auto timeout = options_.call_timeout;
  const HistoryRecorder::OpId id = recorder_->Invoke(std::move(op));
  Status status;
  OpOutput output;
  switch (kind) {
    case OpKind::kGet: {
      auto got = client->Get(key, timeout);
      status = got.status();
      if (got.ok()) output.read = std::move(got).value();
      break;
    }
    case OpKind::kSet:
      status = client->Set(key, value, timeout);
      break;
    case OpKind::kIncr: {
      auto sum = client->IncrBy(key, delta, timeout);
      status = sum.status();
      if (sum.ok()) output.incr_result = *sum;
      break;
    }
    case OpKind::kDel: {
      auto existed = client->Remove(key, timeout);
      status = existed.status();
      if (existed.ok() && options_.check_del_answers) output.existed = *existed;
      break;
    }
  }
  const OpOutcome outcome = OutcomeOf(kind, status);
  recorder_->Complete(id, outcome, std::move(output));
  switch (outcome) {
    case OpOutcome::kOk:
      ++ok_;
      break;
    case OpOutcome::kFailed:
      ++failed_;
      break;
    case OpOutcome::kUnknown:
      ++unknown_;
      break;
  }
}

Status KvWorkload::ReadEveryKey(client::Client* client, int client_id) {
  Status first;
  for (const std::string& key : keys_) {
    Operation op;
    op.client = client_id;
    op.kind = OpKind::kGet;
    op.key = key;
    const HistoryRecorder::OpId id = recorder_->Invoke(std::move(op));
    auto got = client->Get(key, options_.call_timeout);
    OpOutput output;
    if (got.ok()) output.read = *got;
    recorder_->Complete(id, OutcomeOf(OpKind::kGet, got.status()), std::move(output));
    if (!got.ok() && first.ok()) first = got.status().CloneAndPrepend("final get of " + key);
  }
  return first;
}

}  // namespace dkv::test
