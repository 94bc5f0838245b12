// dkv-store-memory-bench: the memory a Store takes per key (issue #6), measured the way the
// comparison with Redis needs it: N keys of 16 bytes ("key:%012d") with 64-byte values, spread
// over the default 1024 slots, written through Store::Set. Prints the growth of the process's RSS
// and of malloc's in-use bytes (mallinfo2) divided by N. Compare with Redis 7's used_memory per
// key for the same data (docs/data-node.md has both and the commands).
//
// Usage: dkv-store-memory-bench [keys] [value_bytes]   (defaults 1000000 64)
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/slot.h"
#include "data/store.h"

namespace {

size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t HeapBytes() { return mallinfo2().uordblks; }

}  // namespace

int main(int argc, char** argv) {
  const long keys = argc > 1 ? std::atol(argv[1]) : 1000000;
  const long value_bytes = argc > 2 ? std::atol(argv[2]) : 64;
  if (keys <= 0 || value_bytes < 0) {
    std::fprintf(stderr, "usage: %s [keys > 0] [value_bytes >= 0]\n", argv[0]);
    return 2;
  }
  dkv::data::Store store;
  for (dkv::Slot slot = 0; slot < dkv::kDefaultSlotCount; ++slot) store.AddSlot(slot);
  const std::string value(static_cast<size_t>(value_bytes), 'v');
  const size_t rss_before = RssBytes();
  const size_t heap_before = HeapBytes();
  char key[32];
  for (long i = 0; i < keys; ++i) {
    std::snprintf(key, sizeof key, "key:%012ld", i);
    const dkv::Slot slot = dkv::SlotOf(key, dkv::kDefaultSlotCount);
    const dkv::Status s = store.Access(slot, /*write=*/true,
                                       [&](dkv::data::LockedSlot& t) { t.Put(0, key, value, 0); });
    if (!s.ok()) return 1;
  }
  const double rss = static_cast<double>(RssBytes() - rss_before) / static_cast<double>(keys);
  const double heap = static_cast<double>(HeapBytes() - heap_before) / static_cast<double>(keys);
  std::printf("keys %ld, key 16 B, value %ld B: RSS %.1f bytes/key, malloc in use %.1f bytes/key\n",
              static_cast<long>(store.KeyCount()), value_bytes, rss, heap);
  return 0;
}
