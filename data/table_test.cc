#include "data/table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>

namespace dkv::data {
namespace {

using Model = std::map<std::pair<int32_t, std::string>, std::pair<std::string, int64_t>>;

void ExpectMatches(const Table& table, const Model& model) {
  ASSERT_EQ(table.size(), model.size());
  size_t expiring = 0;
  for (const auto& [k, v] : model) {
    const size_t pos = table.Find(k.first, k.second);
    ASSERT_NE(pos, Table::kNone) << k.first << "/" << k.second;
    const EntryView view = table.View(pos);
    EXPECT_EQ(view.db, k.first);
    EXPECT_EQ(view.key, k.second);
    EXPECT_EQ(view.value, v.first);
    EXPECT_EQ(view.expire_at_ms, v.second);
    EXPECT_EQ(table.HasExpiryAt(pos), v.second != 0);
    if (v.second != 0) ++expiring;
  }
  EXPECT_EQ(table.expiring(), expiring);
}

TEST(TableTest, RandomOperationsMatchAMapModel) {
  Table table;
  Model model;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const int32_t db = static_cast<int32_t>(rng() % 3);
    const std::string key = "k" + std::to_string(rng() % 500);
    const size_t pos = table.Find(db, key);
    ASSERT_EQ(pos != Table::kNone, model.count({db, key}) == 1);
    switch (rng() % 5) {
      case 0:
      case 1: {
        const std::string value(rng() % 200, static_cast<char>('a' + rng() % 26));
        const int64_t expire = (rng() % 2) ? static_cast<int64_t>(rng() % 1000 + 1) : 0;
        table.Put(db, key, value, expire);
        model[{db, key}] = {value, expire};
        break;
      }
      case 2:
        if (pos != Table::kNone) {
          table.Erase(pos);
          model.erase({db, key});
        }
        break;
      case 3:
        if (pos != Table::kNone) {
          const int64_t expire = (rng() % 2) ? static_cast<int64_t>(rng() % 1000 + 1) : 0;
          table.SetExpiry(pos, expire);
          model[{db, key}].second = expire;
        }
        break;
      case 4:
        if (pos != Table::kNone) {
          const size_t size = rng() % 300;
          char* bytes = table.ResizeValue(pos, size);
          std::string& value = model[{db, key}].first;
          value.resize(size, '\0');
          if (size > 0) bytes[size - 1] = value[size - 1] = 'z';
        }
        break;
    }
    if (i % 1000 == 0) table.MaybeShrink();
  }
  ExpectMatches(table, model);
  for (int32_t db = 0; db < 3; ++db) {
    int64_t in_db = 0;
    for (const auto& [k, v] : model) in_db += k.first == db;
    EXPECT_EQ(table.CountInDb(db), in_db);
  }
}

TEST(TableTest, SameKeyInDifferentDatabasesIsDistinct) {
  Table table;
  table.Put(0, "k", "zero", 0);
  table.Put(15, "k", "fifteen", 0);
  EXPECT_EQ(table.View(table.Find(0, "k")).value, "zero");
  EXPECT_EQ(table.View(table.Find(15, "k")).value, "fifteen");
  EXPECT_EQ(table.Find(1, "k"), Table::kNone);
  EXPECT_EQ(table.CountInDb(15), 1);
}

TEST(TableTest, BinaryKeysValuesAndLongLengthsRoundTrip) {
  Table table;
  const std::string key("a\0b\xff", 4);
  const std::string big(70000, '\x80');  // a 3-byte length varint
  table.Put(2, key, big, 123);
  table.Put(2, "", "", 0);
  EXPECT_EQ(table.View(table.Find(2, key)).value, big);
  EXPECT_EQ(table.View(table.Find(2, key)).expire_at_ms, 123);
  EXPECT_EQ(table.View(table.Find(2, "")).value, "");
  // Shrinking across a varint length boundary keeps the prefix and the expiry.
  table.ResizeValue(table.Find(2, key), 10);
  EXPECT_EQ(table.View(table.Find(2, key)).value, big.substr(0, 10));
  EXPECT_EQ(table.View(table.Find(2, key)).expire_at_ms, 123);
}

TEST(TableTest, EmptiedTableGivesItsBucketsBack) {
  Table table;
  for (int i = 0; i < 1000; ++i) table.Put(0, std::to_string(i), "v", 0);
  EXPECT_GE(table.bucket_count(), 1024u);
  for (int i = 0; i < 1000; ++i) table.Erase(table.Find(0, std::to_string(i)));
  table.MaybeShrink();
  EXPECT_EQ(table.bucket_count(), 0u);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace dkv::data
