// VerifyingWriter: the writer of the "no acknowledged write is lost" tests. One thread writes keys
// w0..w<keys-1> round and round through a client and remembers, per key, the last acknowledged
// value and the values of failed attempts after it (which may or may not have been stored); once
// stopped, Verify reads every key back and expects one of those.
//
// Thread-safety: the writer thread owns the record until Stop(); acks()/failures()/WaitForMoreAcks
// may be called from any thread, Verify only after Stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "common/slot.h"
#include "dkv/client.h"
#include "dkv/status.h"

namespace dkv::test {

class VerifyingWriter {
 public:
  // Starts writing at once; `client` must outlive the writer.
  VerifyingWriter(client::Client* client, int keys);
  ~VerifyingWriter();  // stops
  VerifyingWriter(const VerifyingWriter&) = delete;
  VerifyingWriter& operator=(const VerifyingWriter&) = delete;

  void Stop();
  int acks() const { return acks_.load(); }
  int failures() const { return failures_.load(); }

  // Waits (up to 30 s) until `more` writes beyond the current count were acknowledged.
  Status WaitForMoreAcks(int more);

  // After Stop: checks, with gtest expectations, every key written, except keys of `lost` slots
  // (of a map with `slot_count` slots). Returns how many keys it checked.
  int Verify(const std::set<Slot>& lost = {}, int32_t slot_count = 0);

 private:
  struct Expected {
    std::string acked;
    std::set<std::string> unsure;
  };

  void Run();

  client::Client* const client_;
  const int keys_;
  std::map<std::string, Expected> expected_;  // the writer thread's until Stop
  std::atomic<bool> stop_{false};
  std::atomic<int> acks_{0};
  std::atomic<int> failures_{0};
  std::thread thread_;
};

}  // namespace dkv::test
