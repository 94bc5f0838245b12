// The workload dkv-bench generates: which operation to run next (OpMix), on which key (KeyChooser,
// uniform or zipfian over a fixed key space), with which key bytes (KeyFormatter) and which value
// bytes (ValueSource). Everything a worker thread draws per operation comes from its own Rng, so a
// run with a given --seed issues the same sequence of operations per thread.
//
// Thread-safety: OpMix, KeyChooser and ValueSource are immutable after construction and may be
// shared by all worker threads; Rng and KeyFormatter are per-thread (not thread-safe). Nothing
// here allocates per operation: keys are formatted into a buffer the formatter owns and values
// are views into one shared random buffer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/result.h"

namespace dkv::bench {

// The operations of the C++ client API that dkv-bench drives. kMGet and kMSet are one call
// carrying a batch of keys (BenchOptions::batch).
enum class OpType { kGet = 0, kSet = 1, kUnsafeSet = 2, kRemove = 3, kMGet = 4, kMSet = 5 };
inline constexpr int kOpTypeCount = 6;

// True for the operations that carry a batch of keys.
inline bool IsBatch(OpType op) { return op == OpType::kMGet || op == OpType::kMSet; }

// "get", "set", "unsafe_set", "remove", "mget", "mset": the names used by --mix and in reports.
const char* OpName(OpType op);

// A small, fast pseudo-random generator (SplitMix64): good enough to pick keys and operations,
// and cheap enough not to show in a latency figure. Not thread-safe; one per worker thread.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), with 53 random bits.
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// The seed of worker thread `thread` for a run seeded with `seed`: distinct, well-mixed streams.
uint64_t ThreadSeed(uint64_t seed, int thread);

// Relative weights of the operation types, e.g. get=80,set=20.
class OpMix {
 public:
  // Parses "name=weight[,name=weight...]" with names from OpName and non-negative integer weights
  // (not necessarily summing to 100). INVALID_ARGUMENT for an unknown or repeated name, a bad
  // weight, or weights that sum to zero.
  static Result<OpMix> Parse(std::string_view text);

  // The operation for a uniform random 64-bit draw; each type comes up in proportion to its
  // weight.
  OpType Pick(uint64_t draw) const;

  uint32_t weight(OpType op) const { return weights_[static_cast<int>(op)]; }
  uint64_t total_weight() const { return total_; }
  // The canonical text form, types in OpType order, zero weights left out: "get=80,set=20".
  std::string ToString() const;

 private:
  OpMix() = default;
  std::array<uint32_t, kOpTypeCount> weights_{};
  uint64_t total_ = 0;
};

enum class KeyDistribution { kUniform, kZipfian };

// Picks key indexes in [0, keys). Zipfian follows Gray et al., "Quickly generating billion-record
// synthetic databases" (SIGMOD 1994), as YCSB does: index 0 is the most popular key, index i is
// drawn with probability proportional to 1 / (i+1)^theta. Construction is O(keys) for zipfian
// (the zeta constant); Next is O(1). Immutable after construction; Next takes the caller's Rng.
class KeyChooser {
 public:
  // INVALID_ARGUMENT if keys is 0, or for zipfian if theta is not in (0, 1).
  static Result<KeyChooser> Create(KeyDistribution distribution, uint64_t keys, double theta);

  uint64_t Next(Rng* rng) const;
  uint64_t keys() const { return keys_; }

  // zeta(n, theta) = sum over i = 1..n of 1 / i^theta. Exposed for tests: under zipfian, key 0
  // comes up with probability 1 / zeta(keys, theta).
  static double Zeta(uint64_t n, double theta);

 private:
  KeyChooser() = default;
  KeyDistribution distribution_ = KeyDistribution::kUniform;
  uint64_t keys_ = 0;
  double theta_ = 0;
  double alpha_ = 0;
  double zetan_ = 0;
  double eta_ = 0;
  double half_pow_theta_ = 0;  // 0.5^theta: the share boundary between index 1 and the rest
};

// Formats key indexes as keys of exactly `key_size` bytes: "k" followed by the index in decimal,
// zero-padded ("k0000000000000042" at 16 bytes), so every index of the key space has one fixed
// key and the preload writes exactly the keys the workload reads. Not thread-safe: one per thread.
class KeyFormatter {
 public:
  // INVALID_ARGUMENT if key_size is too small for the largest index below `keys`.
  static Result<KeyFormatter> Create(uint64_t keys, size_t key_size);

  // The key of `index`; valid until the next call on this formatter.
  std::string_view Format(uint64_t index);

 private:
  explicit KeyFormatter(size_t key_size) : buffer_(key_size, '0') { buffer_[0] = 'k'; }
  std::string buffer_;
};

// Values of exactly `value_size` bytes, as views into one random buffer of value_size + kSpread
// bytes: consecutive operations write different bytes without generating any per operation.
// Immutable after construction; thread-safe.
class ValueSource {
 public:
  static constexpr size_t kSpread = 4096;
  ValueSource(size_t value_size, uint64_t seed);
  std::string_view Next(Rng* rng) const;
  size_t value_size() const { return value_size_; }

 private:
  size_t value_size_;
  std::string buffer_;
};

// The number of decimal digits of `n` (1 for 0).
int DecimalDigits(uint64_t n);

}  // namespace dkv::bench
