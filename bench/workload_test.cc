// The workload: --mix parsing and proportions, uniform and zipfian key choice (skew of the most
// popular key), fixed-size keys and values.
#include "bench/workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace dkv::bench {
namespace {

TEST(OpMixTest, ParsesNamesAndWeights) {
  Result<OpMix> mix = OpMix::Parse("get=80, set=15,unsafe_set=0,remove=5");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  EXPECT_EQ(mix->weight(OpType::kGet), 80u);
  EXPECT_EQ(mix->weight(OpType::kSet), 15u);
  EXPECT_EQ(mix->weight(OpType::kUnsafeSet), 0u);
  EXPECT_EQ(mix->weight(OpType::kRemove), 5u);
  EXPECT_EQ(mix->ToString(), "get=80,set=15,remove=5");
}

TEST(OpMixTest, ParsesBatchOperations) {
  auto mix = OpMix::Parse("mget=3,mset=1");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  EXPECT_EQ(mix->weight(OpType::kMGet), 3u);
  EXPECT_EQ(mix->weight(OpType::kMSet), 1u);
  EXPECT_TRUE(IsBatch(OpType::kMGet));
  EXPECT_TRUE(IsBatch(OpType::kMSet));
  EXPECT_FALSE(IsBatch(OpType::kGet));
  EXPECT_EQ(mix->ToString(), "mget=3,mset=1");
}

TEST(OpMixTest, RejectsBadMixes) {
  for (const char* bad : {"", "get", "get=", "get=-1", "get=x", "fetch=1", "get=1,get=2",
                          "get=0,set=0", "get=10000000"}) {
    EXPECT_FALSE(OpMix::Parse(bad).ok()) << bad;
  }
}

TEST(OpMixTest, PicksOperationsInProportionToWeights) {
  const OpMix mix = OpMix::Parse("get=70,set=20,unsafe_set=5,remove=5").value();
  Rng rng(3);
  std::vector<int> counts(kOpTypeCount);
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) ++counts[static_cast<int>(mix.Pick(rng.Next()))];
  EXPECT_NEAR(counts[0] / double(kDraws), 0.70, 0.01);
  EXPECT_NEAR(counts[1] / double(kDraws), 0.20, 0.01);
  EXPECT_NEAR(counts[2] / double(kDraws), 0.05, 0.005);
  EXPECT_NEAR(counts[3] / double(kDraws), 0.05, 0.005);
}

TEST(OpMixTest, ZeroWeightNeverComesUp) {
  const OpMix mix = OpMix::Parse("get=0,set=1").value();
  Rng rng(5);
  for (int i = 0; i < 10000; ++i) EXPECT_EQ(mix.Pick(rng.Next()), OpType::kSet);
}

// How often the most frequent index comes up in `draws` draws.
double TopShare(const KeyChooser& chooser, int draws, uint64_t* top_index) {
  Rng rng(11);
  std::vector<int> counts(chooser.keys());
  for (int i = 0; i < draws; ++i) {
    const uint64_t k = chooser.Next(&rng);
    EXPECT_LT(k, chooser.keys());
    ++counts[k];
  }
  const auto top = std::max_element(counts.begin(), counts.end());
  *top_index = static_cast<uint64_t>(top - counts.begin());
  return *top / double(draws);
}

TEST(KeyChooserTest, ZipfianMostPopularKeyHasItsShare) {
  constexpr uint64_t kKeys = 10000;
  const KeyChooser chooser = KeyChooser::Create(KeyDistribution::kZipfian, kKeys, 0.99).value();
  uint64_t top = 0;
  const double share = TopShare(chooser, 400000, &top);
  // Key 0 comes up with probability 1/zeta(n, theta): about 10% for 10,000 keys at 0.99.
  const double expected = 1.0 / KeyChooser::Zeta(kKeys, 0.99);
  EXPECT_EQ(top, 0u);
  EXPECT_NEAR(share, expected, expected * 0.05);
  EXPECT_GT(share, 0.05);
}

TEST(KeyChooserTest, ZipfianTopTenPercentOfKeysTakeMostDraws) {
  constexpr uint64_t kKeys = 1000;
  const KeyChooser chooser = KeyChooser::Create(KeyDistribution::kZipfian, kKeys, 0.99).value();
  Rng rng(13);
  int hot = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) hot += chooser.Next(&rng) < kKeys / 10;
  // Exact share: zeta(100) / zeta(1000) ~ 0.69.
  EXPECT_NEAR(hot / double(kDraws),
              KeyChooser::Zeta(kKeys / 10, 0.99) / KeyChooser::Zeta(kKeys, 0.99), 0.02);
}

TEST(KeyChooserTest, UniformHasNoHotKey) {
  const KeyChooser chooser = KeyChooser::Create(KeyDistribution::kUniform, 1000, 0.99).value();
  uint64_t top = 0;
  EXPECT_LT(TopShare(chooser, 200000, &top), 0.002);  // expected 0.001 each
}

TEST(KeyChooserTest, RejectsEmptyKeySpaceAndBadTheta) {
  EXPECT_FALSE(KeyChooser::Create(KeyDistribution::kUniform, 0, 0.99).ok());
  EXPECT_FALSE(KeyChooser::Create(KeyDistribution::kZipfian, 100, 1.0).ok());
  EXPECT_FALSE(KeyChooser::Create(KeyDistribution::kZipfian, 100, 0.0).ok());
  EXPECT_TRUE(KeyChooser::Create(KeyDistribution::kZipfian, 1, 0.5).ok());
}

TEST(KeyFormatterTest, KeysHaveTheSizeAndAreDistinct) {
  KeyFormatter formatter = KeyFormatter::Create(1000, 8).value();
  EXPECT_EQ(formatter.Format(42), "k0000042");
  EXPECT_EQ(formatter.Format(7), "k0000007");  // no digits left over from the longer key
  std::set<std::string> keys;
  for (uint64_t i = 0; i < 1000; ++i) {
    const std::string key(formatter.Format(i));
    EXPECT_EQ(key.size(), 8u);
    keys.insert(key);
  }
  EXPECT_EQ(keys.size(), 1000u);
}

TEST(KeyFormatterTest, RejectsKeySizeTooSmallForKeySpace) {
  EXPECT_FALSE(KeyFormatter::Create(100001, 6).ok());  // "k" + 6 digits needed
  EXPECT_TRUE(KeyFormatter::Create(100000, 6).ok());   // "k99999"
}

TEST(ValueSourceTest, ValuesHaveTheSize) {
  const ValueSource values(64, 1);
  Rng rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(values.Next(&rng).size(), 64u);
}

TEST(RngTest, ThreadSeedsDiffer) {
  std::set<uint64_t> seeds;
  for (int t = 0; t < 64; ++t) seeds.insert(ThreadSeed(1, t));
  EXPECT_EQ(seeds.size(), 64u);
}

}  // namespace
}  // namespace dkv::bench
