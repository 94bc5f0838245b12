// OpMix parsing and picking, the uniform and zipfian key choosers, key formatting and the shared
// value buffer. See workload.h.
#include "bench/workload.h"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace dkv::bench {
namespace {

constexpr std::array<const char*, kOpTypeCount> kOpNames = {"get", "set", "unsafe_set", "remove",
                                                           "mget", "mset"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

const char* OpName(OpType op) { return kOpNames[static_cast<int>(op)]; }

uint64_t ThreadSeed(uint64_t seed, int thread) {
  // Two SplitMix64 steps of (seed, thread): nearby seeds and threads give unrelated streams.
  Rng mix(seed ^ (0xD1B54A32D192ED03ULL * static_cast<uint64_t>(thread + 1)));
  mix.Next();
  return mix.Next();
}

Result<OpMix> OpMix::Parse(std::string_view text) {
  OpMix mix;
  std::array<bool, kOpTypeCount> seen{};
  std::string_view rest = text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = Trim(rest.substr(0, comma));
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("bad --mix item '" + std::string(item) +
                                     "': expected name=weight, e.g. get=80,set=20");
    }
    const std::string_view name = Trim(item.substr(0, eq));
    const std::string weight_text(Trim(item.substr(eq + 1)));
    int op = -1;
    for (int i = 0; i < kOpTypeCount; ++i) {
      if (name == kOpNames[i]) op = i;
    }
    if (op < 0) {
      return Status::InvalidArgument("unknown operation '" + std::string(name) +
                                     "' in --mix: use get, set, unsafe_set, remove");
    }
    if (seen[op]) {
      return Status::InvalidArgument("operation '" + std::string(name) + "' repeated in --mix");
    }
    seen[op] = true;
    char* end = nullptr;
    const unsigned long weight = weight_text.empty() || weight_text[0] == '-'
                                     ? std::numeric_limits<unsigned long>::max()
                                     : std::strtoul(weight_text.c_str(), &end, 10);
    if (end == nullptr || *end != '\0' || weight > 1000000) {
      return Status::InvalidArgument("bad weight '" + weight_text + "' for '" + std::string(name) +
                                     "' in --mix: expected an integer 0..1000000");
    }
    mix.weights_[op] = static_cast<uint32_t>(weight);
    mix.total_ += weight;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (mix.total_ == 0) return Status::InvalidArgument("--mix weights sum to zero");
  return mix;
}

OpType OpMix::Pick(uint64_t draw) const {
  // draw % total is biased by at most total / 2^64: irrelevant for weights up to 4 * 10^6.
  uint64_t point = draw % total_;
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (point < weights_[i]) return static_cast<OpType>(i);
    point -= weights_[i];
  }
  return OpType::kGet;  // unreachable: point < total_
}

std::string OpMix::ToString() const {
  std::string out;
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (weights_[i] == 0) continue;
    if (!out.empty()) out += ',';
    out += std::string(kOpNames[i]) + "=" + std::to_string(weights_[i]);
  }
  return out;
}

double KeyChooser::Zeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = 1; i <= n; ++i) sum += 1.0 / std::pow(static_cast<double>(i), theta);
  return sum;
}

Result<KeyChooser> KeyChooser::Create(KeyDistribution distribution, uint64_t keys, double theta) {
  if (keys == 0) return Status::InvalidArgument("the key space must hold at least one key");
  KeyChooser chooser;
  chooser.distribution_ = distribution;
  chooser.keys_ = keys;
  if (distribution == KeyDistribution::kZipfian) {
    if (!(theta > 0 && theta < 1)) {
      return Status::InvalidArgument("--zipf-theta must be in (0, 1), not " +
                                     std::to_string(theta));
    }
    const double n = static_cast<double>(keys);
    chooser.theta_ = theta;
    chooser.alpha_ = 1.0 / (1.0 - theta);
    chooser.zetan_ = Zeta(keys, theta);
    chooser.half_pow_theta_ = std::pow(0.5, theta);
    // eta only matters for keys > 2 (below that the first two branches of Next cover every draw).
    const double zeta2 = Zeta(2, theta);
    chooser.eta_ = (1.0 - std::pow(2.0 / n, 1.0 - theta)) / (1.0 - zeta2 / chooser.zetan_);
  }
  return chooser;
}

uint64_t KeyChooser::Next(Rng* rng) const {
  if (distribution_ == KeyDistribution::kUniform) return rng->Next() % keys_;
  const double u = rng->NextDouble();
  const double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + half_pow_theta_) return 1;
  const auto index =
      static_cast<uint64_t>(static_cast<double>(keys_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return index < keys_ ? index : keys_ - 1;
}

int DecimalDigits(uint64_t n) {
  int digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

Result<KeyFormatter> KeyFormatter::Create(uint64_t keys, size_t key_size) {
  const size_t needed = 1 + static_cast<size_t>(DecimalDigits(keys == 0 ? 0 : keys - 1));
  if (key_size < needed) {
    return Status::InvalidArgument("--key-size " + std::to_string(key_size) + " is too small for " +
                                   std::to_string(keys) + " keys: need at least " +
                                   std::to_string(needed) + " bytes");
  }
  return KeyFormatter(key_size);
}

std::string_view KeyFormatter::Format(uint64_t index) {
  // Digits right to left, then zeros up to the 'k': a longer previous index left digits there.
  size_t pos = buffer_.size();
  do {
    buffer_[--pos] = static_cast<char>('0' + index % 10);
    index /= 10;
  } while (index != 0);
  while (pos > 1) buffer_[--pos] = '0';
  return buffer_;
}

ValueSource::ValueSource(size_t value_size, uint64_t seed) : value_size_(value_size) {
  Rng rng(seed);
  buffer_.resize(value_size + kSpread);
  // Printable bytes, so a value seen with `dkv get` reads as text.
  for (char& c : buffer_) c = static_cast<char>('a' + rng.Next() % 26);
}

std::string_view ValueSource::Next(Rng* rng) const {
  return std::string_view(buffer_).substr(rng->Next() % kSpread, value_size_);
}

}  // namespace dkv::bench
