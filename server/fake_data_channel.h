// FakeDataChannel: an in-process stand-in for a data node's slot-move RPCs, for the unit tests of
// the MigrationDriver and the Master. It records what it was asked; a move reports "copying" for
// `copying_polls` polls, then "delta", and finish_migration answers "committed" (or what the test
// scripted). Key operations are not its business (router_test has its own fake). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "server/data_channel.h"

namespace dkv::server {

class FakeDataChannel : public DataChannel {
 public:
  struct Migration {
    int64_t id = 0;
    Fence fence;
    std::vector<Slot> slots;
    std::string target_id;
    std::string target_address;
    int polls = 0;
    bool finished = false;
    bool aborted = false;
  };

  explicit FakeDataChannel(HostPort address) : address_(std::move(address)) {}

  // Scripting.
  // The next `times` migrate_slots calls (all when negative) fail with `s`.
  void FailMigrations(Status s, int times = -1) {
    MutexLock l(&mu_);
    migrate_status_ = std::move(s);
    migrate_failures_ = times;
  }
  void SetFinishPhase(std::string phase) {
    MutexLock l(&mu_);
    finish_phase_ = std::move(phase);
  }
  void SetCopyingPolls(int polls) {
    MutexLock l(&mu_);
    copying_polls_ = polls;
  }

  // Observations.
  std::vector<Migration> migrations() const {
    MutexLock l(&mu_);
    return migrations_;
  }
  int leaves() const {
    MutexLock l(&mu_);
    return leaves_;
  }

  const HostPort& address() const override { return address_; }
  std::unique_ptr<PendingExecute> StartExecute(const Fence&, const std::vector<Op>&) override {
    struct NotFaked : PendingExecute {
      Result<std::vector<Reply>> Wait() override { return Status::Internal("not faked"); }
    };
    return std::make_unique<NotFaked>();
  }
  void UnsafePut(const Fence&, const std::string&, const std::string&) override {}
  Result<DataNodeStats> Stats(std::chrono::milliseconds) override { return DataNodeStats{}; }

  Status MigrateSlots(const Fence& fence, int64_t id, const std::vector<Slot>& slots,
                      const std::string& target_id, const std::string& target_address) override {
    MutexLock l(&mu_);
    if (!migrate_status_.ok() && migrate_failures_ != 0) {
      if (migrate_failures_ > 0) --migrate_failures_;
      return migrate_status_;
    }
    migrations_.push_back(Migration{id, fence, slots, target_id, target_address, 0, false, false});
    return Status::OK();
  }
  Result<MigrationProgress> MigrationStatus(const Fence&, int64_t id) override {
    MutexLock l(&mu_);
    Migration* m = Find(id);
    if (!m) return Status::NotFound("no move " + std::to_string(id));
    ++m->polls;
    const auto keys = static_cast<int64_t>(m->slots.size()) * 10;
    return MigrationProgress{m->polls <= copying_polls_ ? "copying" : "delta",
                             std::min<int64_t>(keys, m->polls * 10), keys, m->polls * 100, ""};
  }
  Result<MigrationProgress> FinishMigration(const Fence&, int64_t id) override {
    MutexLock l(&mu_);
    Migration* m = Find(id);
    if (!m) return Status::NotFound("no move " + std::to_string(id));
    m->finished = true;
    const auto keys = static_cast<int64_t>(m->slots.size()) * 10;
    return MigrationProgress{finish_phase_, keys, keys, keys * 10, ""};
  }
  Status AbortMigration(const Fence&, int64_t id) override {
    MutexLock l(&mu_);
    if (Migration* m = Find(id)) m->aborted = true;
    return Status::OK();
  }
  Status Leave() override {
    MutexLock l(&mu_);
    ++leaves_;
    return Status::OK();
  }

 private:
  Migration* Find(int64_t id) REQUIRES(mu_) {
    for (Migration& m : migrations_) {
      if (m.id == id) return &m;
    }
    return nullptr;
  }

  const HostPort address_;
  mutable Mutex mu_;
  Status migrate_status_ GUARDED_BY(mu_);
  int migrate_failures_ GUARDED_BY(mu_) = 0;
  std::string finish_phase_ GUARDED_BY(mu_) = "committed";
  int copying_polls_ GUARDED_BY(mu_) = 1;
  std::vector<Migration> migrations_ GUARDED_BY(mu_);
  int leaves_ GUARDED_BY(mu_) = 0;
};

}  // namespace dkv::server
