// dkv-slot-move-bench: how fast a slot move copies keys between two data nodes (issue #4 target:
// >= 200,000 keys/s). Two data nodes run in this process (data/in_process_data_node.h) and talk
// real Thrift over loopback, as dkv-data processes do; the source holds N keys of 16 bytes
// ("key:%012d") with values of V bytes spread over all 1024 slots, and one move takes every slot
// to the target: migrate_slots, migration_status until the copy is done, finish_migration. Prints
// the time from migrate_slots to the commit, keys/s, MB/s and the CPU both nodes used.
// The master's side (ZooKeeper writes, map flip) is not included; dkv-migration-bench measures
// that.
//
// Usage: dkv-slot-move-bench [keys] [value_bytes]   (defaults 1000000 100)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "common/rpc/metadata_codec.h"
#include "common/slot.h"
#include "data/in_process_data_node.h"

namespace {

using dkv::data::InProcessDataNode;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU seconds (user + system) this process used so far, all threads.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  const long keys = argc > 1 ? std::atol(argv[1]) : 1000000;
  const long value_bytes = argc > 2 ? std::atol(argv[2]) : 100;
  if (keys <= 0 || value_bytes < 0) {
    std::fprintf(stderr, "usage: %s [keys > 0] [value_bytes >= 0]\n", argv[0]);
    return 2;
  }
  dkv::SetMinLogLevel(dkv::LogLevel::kWarning);
  const int32_t slot_count = dkv::kDefaultSlotCount;
  const dkv::coord::ClusterPaths paths("bench");
  auto tree = std::make_shared<dkv::coord::MemoryTree>();
  dkv::coord::MemoryCoordinator master(tree);
  dkv::SlotMap map(slot_count);
  for (dkv::Slot s = 0; s < slot_count; ++s) map.Assign(s, "source");
  map.set_version(1);
  map.set_epoch(1);
  map.StampChanges(dkv::SlotMap(slot_count));
  if (!master.CreateAll(paths.root()).ok() ||
      !master
           .Create(paths.slotmap(), dkv::rpc::EncodeSlotMap(map), dkv::coord::NodeMode::kPersistent)
           .ok()) {
    std::fprintf(stderr, "cannot write the slot map\n");
    return 1;
  }
  InProcessDataNode source(tree, paths, "source");
  InProcessDataNode target(tree, paths, "target");
  dkv::Status s = source.Start();
  if (s.ok()) s = target.Start();
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const std::string value(static_cast<size_t>(value_bytes), 'v');
  char key[32];
  for (long i = 0; i < keys; ++i) {
    std::snprintf(key, sizeof key, "key:%012ld", i);
    if (!source.Write(dkv::SlotOf(key, slot_count), 0, key, value).ok()) return 1;
  }

  dkv::rpc::Fence fence;
  fence.epoch = 1;
  fence.map_version = 1;
  std::vector<int32_t> slots(static_cast<size_t>(slot_count));
  for (int32_t i = 0; i < slot_count; ++i) slots[static_cast<size_t>(i)] = i;
  dkv::rpc::MigrationStatus status;
  const Clock::time_point start = Clock::now();
  const double cpu_start = CpuSeconds();
  try {
    source.service->migrate_slots(fence, 1, slots, "target", target.address());
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      source.service->migration_status(status, fence, 1);
    } while (status.phase == "copying");
    const Clock::time_point copied = Clock::now();
    source.service->finish_migration(status, fence, 1);
    const Clock::time_point committed = Clock::now();
    if (status.phase != "committed") {
      std::fprintf(stderr, "move %s: %s\n", status.phase.c_str(), status.error.c_str());
      return 1;
    }
    const double total = Seconds(committed - start);
    const double cpu = CpuSeconds() - cpu_start;
    std::printf(
        "moved %ld keys (key 16 B, value %ld B, %lld bytes) in %.3f s: %.0f keys/s, %.1f MB/s "
        "(copy %.3f s, finish %.3f s); CPU %.3f s for both nodes (%.0f keys per CPU second)\n",
        keys, value_bytes, static_cast<long long>(status.bytes_copied), total,
        static_cast<double>(keys) / total, static_cast<double>(status.bytes_copied) / total / 1e6,
        Seconds(copied - start), Seconds(committed - copied), cpu, static_cast<double>(keys) / cpu);
  } catch (const dkv::rpc::DkvError& e) {
    std::fprintf(stderr, "error %d: %s\n", static_cast<int>(e.code), e.message.c_str());
    return 1;
  }
  return 0;
}
