#include "data/op_executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace dkv::data {
namespace {

constexpr int32_t kSlotCount = 16;

void ExpectBulk(const Reply& r, const std::string& bytes) {
  EXPECT_EQ(r.type, Reply::Type::kBulk) << r.str;
  EXPECT_EQ(r.str, bytes);
}
void ExpectInteger(const Reply& r, int64_t value) {
  EXPECT_EQ(r.type, Reply::Type::kInteger) << r.str;
  EXPECT_EQ(r.integer, value);
}
void ExpectNil(const Reply& r) { EXPECT_EQ(r.type, Reply::Type::kNil) << r.str; }
void ExpectOk(const Reply& r) {
  EXPECT_EQ(r.type, Reply::Type::kStatus) << r.str;
  EXPECT_EQ(r.str, "OK");
}
void ExpectError(const Reply& r, const std::string& text) {
  EXPECT_EQ(r.type, Reply::Type::kError);
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(r.str, text);
}
void ExpectFailed(const Reply& r, Status::Code code) {
  EXPECT_EQ(r.type, Reply::Type::kError);
  ASSERT_TRUE(r.error.has_value()) << r.str;
  EXPECT_EQ(*r.error, code) << r.str;
}

class OpExecutorTest : public ::testing::Test {
 protected:
  OpExecutorTest() {
    for (Slot s = 0; s < kSlotCount; ++s) store_.AddSlot(s);
  }

  static std::vector<Slot> SlotsOf(const Op& op) {
    std::vector<Slot> slots;
    switch (RoutingOf(op.code)) {
      case OpRouting::kEveryNode:
        break;
      case OpRouting::kBySlot:
        slots.push_back(static_cast<Slot>(op.arg1));
        break;
      case OpRouting::kByKey:
        if (op.code != OpCode::kMSetNx) {
          slots.push_back(SlotOf(op.key, kSlotCount));
        } else {
          for (size_t i = 0; i < op.args.size(); i += 2) {
            slots.push_back(SlotOf(op.args[i], kSlotCount));
          }
        }
    }
    return slots;
  }

  Reply Run(const Op& op) { return executor_.Execute(op, SlotsOf(op)); }

  Reply Set(const std::string& key, const std::string& value, int64_t expire_at_ms = 0,
            int32_t flags = 0) {
    Op op = KeyOp(OpCode::kSet, key, value);
    op.expire_at_ms = expire_at_ms;
    op.flags = flags;
    return Run(op);
  }
  Reply Get(const std::string& key) { return Run(KeyOp(OpCode::kGet, key)); }
  Reply PTtl(const std::string& key) { return Run(KeyOp(OpCode::kPTtl, key)); }
  Reply IncrBy(const std::string& key, int64_t delta) {
    Op op = KeyOp(OpCode::kIncrBy, key);
    op.arg1 = delta;
    return Run(op);
  }
  Reply IncrByFloat(const std::string& key, const std::string& increment) {
    return Run(KeyOp(OpCode::kIncrByFloat, key, increment));
  }
  Reply GetRange(const std::string& key, int64_t start, int64_t end) {
    Op op = KeyOp(OpCode::kGetRange, key);
    op.arg1 = start;
    op.arg2 = end;
    return Run(op);
  }
  Reply SetRange(const std::string& key, int64_t offset, const std::string& value) {
    Op op = KeyOp(OpCode::kSetRange, key, value);
    op.arg1 = offset;
    return Run(op);
  }
  Reply Expire(const std::string& key, int64_t expire_at_ms, int32_t flags = 0) {
    Op op = KeyOp(OpCode::kExpire, key);
    op.expire_at_ms = expire_at_ms;
    op.flags = flags;
    return Run(op);
  }

  std::atomic<int64_t> now_{1'000'000};
  Store store_{[this] { return now_.load(); }};
  OpExecutor executor_{&store_, Limits{64, 1024}};
};

TEST_F(OpExecutorTest, GetSetDelExistsTypeStrlen) {
  ExpectNil(Get("k"));
  ExpectOk(Set("k", "hello"));
  ExpectBulk(Get("k"), "hello");
  ExpectInteger(Run(KeyOp(OpCode::kExists, "k")), 1);
  EXPECT_EQ(Run(KeyOp(OpCode::kType, "k")).str, "string");
  EXPECT_EQ(Run(KeyOp(OpCode::kType, "nokey")).str, "none");
  ExpectInteger(Run(KeyOp(OpCode::kStrlen, "k")), 5);
  ExpectInteger(Run(KeyOp(OpCode::kStrlen, "nokey")), 0);
  ExpectInteger(Run(KeyOp(OpCode::kDel, "k")), 1);
  ExpectInteger(Run(KeyOp(OpCode::kDel, "k")), 0);
  ExpectInteger(Run(KeyOp(OpCode::kExists, "k")), 0);
}

TEST_F(OpExecutorTest, DatabasesAreSeparate) {
  Op set = KeyOp(OpCode::kSet, "k", "in db 3");
  set.db = 3;
  ExpectOk(Run(set));
  ExpectNil(Get("k"));
  Op get = KeyOp(OpCode::kGet, "k");
  get.db = 3;
  ExpectBulk(Run(get), "in db 3");
  get.db = 16;
  ExpectFailed(Run(get), Status::Code::kInvalidArgument);
}

TEST_F(OpExecutorTest, SetNxXxGetAndKeepTtl) {
  ExpectNil(Set("k", "a", 0, kXx));  // XX on an absent key: not set
  ExpectNil(Get("k"));
  ExpectOk(Set("k", "a", 0, kNx));
  ExpectNil(Set("k", "b", 0, kNx));
  ExpectBulk(Get("k"), "a");
  ExpectBulk(Set("k", "c", 0, kNx | kGetOld), "a");  // refused, the old value still answered
  ExpectBulk(Set("k", "c", 0, kXx | kGetOld), "a");
  ExpectNil(Set("new", "v", 0, kGetOld));
  ExpectBulk(Get("new"), "v");

  ExpectOk(Set("t", "v", now_ + 5000));
  ExpectInteger(PTtl("t"), 5000);
  ExpectOk(Set("t", "w", 0, kKeepTtl));
  ExpectInteger(PTtl("t"), 5000);
  ExpectOk(Set("t", "x"));  // a plain SET clears the expiry
  ExpectInteger(PTtl("t"), -1);
}

TEST_F(OpExecutorTest, ExpiredKeysAreInvisibleToEveryOp) {
  ExpectOk(Set("k", "v", now_ + 100));
  now_ += 100;
  ExpectInteger(PTtl("k"), 0);  // at the expiry time it still exists, as in Redis
  now_ += 1;
  ExpectNil(Get("k"));
  ExpectInteger(PTtl("k"), -2);
  ExpectInteger(Run(KeyOp(OpCode::kExists, "k")), 0);
  EXPECT_EQ(store_.KeyCount(), 0);

  ExpectOk(Set("k2", "5", now_ + 10));
  now_ += 11;
  ExpectInteger(IncrBy("k2", 1), 1);  // starts from 0 again
  ExpectInteger(PTtl("k2"), -1);
  ExpectOk(Set("k3", "v", now_ + 10));
  now_ += 11;
  ExpectNil(Set("k3", "w", 0, kXx));
  ExpectOk(Set("k3", "w", 0, kNx));
}

TEST_F(OpExecutorTest, GetDelAndGetEx) {
  ExpectNil(Run(KeyOp(OpCode::kGetDel, "k")));
  ExpectOk(Set("k", "v"));
  ExpectBulk(Run(KeyOp(OpCode::kGetDel, "k")), "v");
  ExpectNil(Get("k"));

  ExpectOk(Set("k", "v"));
  Op getex = KeyOp(OpCode::kGetEx, "k");
  ExpectBulk(Run(getex), "v");
  ExpectInteger(PTtl("k"), -1);
  getex.expire_at_ms = now_ + 3000;
  ExpectBulk(Run(getex), "v");
  ExpectInteger(PTtl("k"), 3000);
  getex.expire_at_ms = 0;
  getex.flags = kPersist;
  ExpectBulk(Run(getex), "v");
  ExpectInteger(PTtl("k"), -1);
  getex.flags = 0;
  getex.expire_at_ms = now_ - 1;  // in the past: answered, then deleted
  ExpectBulk(Run(getex), "v");
  ExpectNil(Get("k"));
  ExpectNil(Run(getex));
}

TEST_F(OpExecutorTest, AppendCreatesGrowsAndRespectsTheValueLimit) {
  ExpectInteger(Run(KeyOp(OpCode::kAppend, "k", "Hello")), 5);
  ExpectInteger(Run(KeyOp(OpCode::kAppend, "k", " World")), 11);
  ExpectBulk(Get("k"), "Hello World");
  ExpectOk(Set("big", std::string(1000, 'x')));
  ExpectError(Run(KeyOp(OpCode::kAppend, "big", std::string(25, 'y'))),
              "ERR string exceeds maximum allowed size (max-value-bytes)");
  ExpectInteger(Run(KeyOp(OpCode::kAppend, "big", std::string(24, 'y'))), 1024);
}

TEST_F(OpExecutorTest, IncrByFollowsRedisParsingAndOverflowRules) {
  ExpectInteger(IncrBy("n", 1), 1);
  ExpectInteger(IncrBy("n", -5), -4);
  ExpectBulk(Get("n"), "-4");
  for (const char* bad : {"01", "-0", "+1", " 1", "1.0", "abc", "", "9223372036854775808"}) {
    ExpectOk(Set("bad", bad));
    ExpectError(IncrBy("bad", 1), "ERR value is not an integer or out of range");
  }
  ExpectOk(Set("max", "9223372036854775807"));
  ExpectError(IncrBy("max", 1), "ERR increment or decrement would overflow");
  ExpectOk(Set("min", "-9223372036854775808"));
  ExpectError(IncrBy("min", -1), "ERR increment or decrement would overflow");
  ExpectInteger(IncrBy("min", 1), -9223372036854775807);
  // The expiry stays.
  ExpectOk(Set("t", "1", now_ + 500));
  ExpectInteger(IncrBy("t", 1), 2);
  ExpectInteger(PTtl("t"), 500);
}

TEST_F(OpExecutorTest, IncrByFloatFormatsAndRefusesLikeRedis) {
  ExpectBulk(IncrByFloat("f", "0.1"), "0.1");
  ExpectBulk(IncrByFloat("f", "0.2"), "0.3");
  ExpectBulk(IncrByFloat("g", "1e20"), "100000000000000000000");
  ExpectBulk(IncrByFloat("h", "1.5e-7"), "0.00000015");
  ExpectBulk(IncrByFloat("h", "-1.5e-7"), "0");
  ExpectOk(Set("i", "10"));
  ExpectBulk(IncrByFloat("i", "1.1"), "11.1");
  ExpectOk(Set("s", "abc"));
  ExpectError(IncrByFloat("s", "1"), "ERR value is not a valid float");
  ExpectError(IncrByFloat("i", "abc"), "ERR value is not a valid float");
  ExpectError(IncrByFloat("i", " 1"), "ERR value is not a valid float");
  ExpectError(IncrByFloat("i", ""), "ERR value is not a valid float");
  ExpectError(IncrByFloat("i", "inf"), "ERR increment would produce NaN or Infinity");
  ExpectBulk(Get("i"), "11.1");
}

TEST_F(OpExecutorTest, GetRangeUsesRedisIndexRules) {
  ExpectOk(Set("g", "Hello World"));
  ExpectBulk(GetRange("g", 0, 3), "Hell");
  ExpectBulk(GetRange("g", -3, -1), "rld");
  ExpectBulk(GetRange("g", 0, -1), "Hello World");
  ExpectBulk(GetRange("g", 10, 100), "d");
  ExpectBulk(GetRange("g", -100, -50), "H");
  ExpectBulk(GetRange("g", 5, 2), "");
  ExpectBulk(GetRange("g", -1, -5), "");
  ExpectBulk(GetRange("g", -100, 100), "Hello World");
  ExpectBulk(GetRange("g", 20, 30), "");
  ExpectBulk(GetRange("nokey", 0, -1), "");
  ExpectOk(Set("empty", ""));
  ExpectBulk(GetRange("empty", 0, -1), "");
}

TEST_F(OpExecutorTest, SetRangePadsWithZerosAndChecksOffsetAndSize) {
  ExpectInteger(SetRange("k", 0, ""), 0);  // creates nothing
  ExpectInteger(Run(KeyOp(OpCode::kExists, "k")), 0);
  ExpectInteger(SetRange("k", 3, "ab"), 5);
  ExpectBulk(Get("k"), std::string("\0\0\0ab", 5));
  ExpectInteger(SetRange("k", 1, "xyz"), 5);
  ExpectBulk(Get("k"), std::string("\0xyzb", 5));
  ExpectInteger(SetRange("k", 0, ""), 5);
  ExpectError(SetRange("k", -1, "x"), "ERR offset is out of range");
  ExpectFailed(SetRange("k", 1024, "x"), Status::Code::kValueTooLarge);
  ExpectFailed(SetRange("k", std::numeric_limits<int64_t>::max(), "x"),
               Status::Code::kValueTooLarge);
  ExpectInteger(SetRange("k", 1023, "x"), 1024);
}

TEST_F(OpExecutorTest, ExpireHonoursNxXxGtLtAndDeletesForPastTimes) {
  ExpectInteger(Expire("nokey", now_ + 100), 0);
  ExpectOk(Set("k", "v"));
  ExpectInteger(Expire("k", now_ + 100, kGt), 0);  // no expiry counts as infinite
  ExpectInteger(Expire("k", now_ + 100, kXx), 0);
  ExpectInteger(Expire("k", now_ + 100, kLt), 1);
  ExpectInteger(PTtl("k"), 100);
  ExpectInteger(Expire("k", now_ + 50, kGt), 0);
  ExpectInteger(Expire("k", now_ + 200, kNx), 0);
  ExpectInteger(Expire("k", now_ + 200, kGt), 1);
  ExpectInteger(Expire("k", now_ + 300, kLt), 0);
  ExpectInteger(Expire("k", now_ + 10, kXx | kLt), 1);
  ExpectInteger(PTtl("k"), 10);
  ExpectError(Expire("k", now_ + 1, kNx | kXx),
              "ERR NX and XX, GT or LT options at the same time are not compatible");
  ExpectError(Expire("k", now_ + 1, kGt | kLt),
              "ERR GT and LT options at the same time are not compatible");
  ExpectInteger(Expire("k", now_), 1);  // not in the future: deleted
  ExpectNil(Get("k"));

  ExpectOk(Set("p", "v", now_ + 100));
  ExpectInteger(Run(KeyOp(OpCode::kPersist, "p")), 1);
  ExpectInteger(Run(KeyOp(OpCode::kPersist, "p")), 0);
  ExpectInteger(Run(KeyOp(OpCode::kPersist, "nokey")), 0);
  ExpectInteger(PTtl("p"), -1);
}

TEST_F(OpExecutorTest, MSetNxSetsAllOrNothingAcrossSlots) {
  Op msetnx;
  msetnx.code = OpCode::kMSetNx;
  msetnx.args = {"a", "1", "b", "2", "c", "3", "d", "4"};
  ExpectInteger(Run(msetnx), 1);
  ExpectBulk(Get("d"), "4");
  msetnx.args = {"x", "1", "y", "2", "a", "9"};
  ExpectInteger(Run(msetnx), 0);
  ExpectNil(Get("x"));
  ExpectBulk(Get("a"), "1");
  msetnx.args = {"x", "1", "y"};
  ExpectFailed(Run(msetnx), Status::Code::kInvalidArgument);
  msetnx.args = {"x", std::string(1025, 'v')};
  ExpectFailed(Run(msetnx), Status::Code::kValueTooLarge);
}

TEST_F(OpExecutorTest, ScanReturnsTheSlotsKeysMatchingThePattern) {
  std::vector<std::string> keys_in_slot;
  const Slot slot = SlotOf("user:1", kSlotCount);
  for (int i = 0; i < 200; ++i) {
    const std::string key = (i % 2 ? "user:" : "item:") + std::to_string(i);
    ExpectOk(Set(key, "v"));
    if (SlotOf(key, kSlotCount) == slot && i % 2) keys_in_slot.push_back(key);
  }
  Op scan;
  scan.code = OpCode::kScan;
  scan.arg1 = slot;
  scan.value = "user:*";
  Reply r = Run(scan);
  ASSERT_EQ(r.type, Reply::Type::kArray);
  std::sort(r.elements.begin(), r.elements.end());
  std::sort(keys_in_slot.begin(), keys_in_slot.end());
  EXPECT_EQ(r.elements, keys_in_slot);
  scan.value = "";
  EXPECT_EQ(Run(scan).elements.size(), static_cast<size_t>(store_.SlotKeyCount(slot)));
  ExpectOk(Set("", "the empty key"));
  scan.arg1 = SlotOf("", kSlotCount);
  scan.value = "*";
  r = Run(scan);
  EXPECT_NE(std::find(r.elements.begin(), r.elements.end(), ""), r.elements.end());
}

TEST_F(OpExecutorTest, DbSizeFlushDbFlushAllAndRandomKey) {
  Op in_db1 = KeyOp(OpCode::kSet, "", "v");
  in_db1.db = 1;
  for (int i = 0; i < 50; ++i) {
    ExpectOk(Set("k" + std::to_string(i), "v"));
    in_db1.key = "j" + std::to_string(i);
    ExpectOk(Run(in_db1));
  }
  Op dbsize;
  dbsize.code = OpCode::kDbSize;
  ExpectInteger(Run(dbsize), 50);
  Op random;
  random.code = OpCode::kRandomKey;
  Reply r = Run(random);
  ASSERT_EQ(r.type, Reply::Type::kBulk);
  EXPECT_EQ(r.str[0], 'k');

  Op flushdb;
  flushdb.code = OpCode::kFlushDb;
  ExpectOk(Run(flushdb));
  ExpectInteger(Run(dbsize), 0);
  ExpectNil(Run(random));
  dbsize.db = 1;
  ExpectInteger(Run(dbsize), 50);
  Op flushall;
  flushall.code = OpCode::kFlushAll;
  ExpectOk(Run(flushall));
  ExpectInteger(Run(dbsize), 0);
  EXPECT_EQ(store_.KeyCount(), 0);
}

TEST_F(OpExecutorTest, RandomKeySkipsExpiredKeys) {
  for (int i = 0; i < 20; ++i) ExpectOk(Set("gone" + std::to_string(i), "v", now_ + 1));
  ExpectOk(Set("live", "v"));
  now_ += 2;
  Op random;
  random.code = OpCode::kRandomKey;
  for (int i = 0; i < 10; ++i) ExpectBulk(Run(random), "live");
}

TEST_F(OpExecutorTest, PausedSlotAnswersMovingToWritesOnly) {
  ExpectOk(Set("k", "v"));
  const Slot slot = SlotOf("k", kSlotCount);
  store_.PauseWrites(slot);
  ExpectFailed(Set("k", "w"), Status::Code::kMoving);
  ExpectFailed(IncrBy("k", 1), Status::Code::kMoving);
  ExpectBulk(Get("k"), "v");
  ExpectInteger(PTtl("k"), -1);
  Op flushall;
  flushall.code = OpCode::kFlushAll;
  ExpectFailed(Run(flushall), Status::Code::kMoving);  // the other slots were flushed
  ExpectBulk(Get("k"), "v");
  store_.ResumeWrites(slot);
  ExpectOk(Set("k", "w"));
}

TEST_F(OpExecutorTest, LimitsAndUnknownCodesAreRefused) {
  ExpectFailed(Set(std::string(65, 'k'), "v"), Status::Code::kKeyTooLarge);
  ExpectFailed(Set("k", std::string(1025, 'v')), Status::Code::kValueTooLarge);
  Op unknown = KeyOp(static_cast<OpCode>(99), "k");
  ExpectFailed(Run(unknown), Status::Code::kInvalidArgument);
}

TEST_F(OpExecutorTest, DroppedSlotAnswersWrongNode) {
  store_.DropSlot(SlotOf("k", kSlotCount));
  ExpectFailed(Set("k", "v"), Status::Code::kWrongNode);
}

TEST_F(OpExecutorTest, ConcurrentIncrementsGiveTheExactSum) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kIncrements; ++i) {
        // Two counters: one shared by every thread, one in a database of the thread's own.
        ASSERT_EQ(IncrBy("counter", 1).type, Reply::Type::kInteger);
        Op own = KeyOp(OpCode::kIncrBy, "counter");
        own.db = 1 + t;
        own.arg1 = 2;
        ASSERT_EQ(Run(own).type, Reply::Type::kInteger);
      }
    });
  }
  for (auto& th : threads) th.join();
  ExpectBulk(Get("counter"), std::to_string(kThreads * kIncrements));
  Op own = KeyOp(OpCode::kGet, "counter");
  own.db = kThreads;
  ExpectBulk(Run(own), std::to_string(2 * kIncrements));
}

TEST_F(OpExecutorTest, ConcurrentMSetNxOnOverlappingKeysSetsEachKeyOnce) {
  // Threads race to claim overlapping pairs of keys, listed in opposite orders (the lock order
  // must not depend on it); each key is claimed by exactly one winner.
  constexpr int kThreads = 4;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &wins] {
      for (int i = 0; i < 500; ++i) {
        Op op;
        op.code = OpCode::kMSetNx;
        const std::string a = "a" + std::to_string(i);
        const std::string b = "b" + std::to_string(i);
        op.args = t % 2 ? std::vector<std::string>{a, "x", b, "x"}
                        : std::vector<std::string>{b, "x", a, "x"};
        Reply r = Run(op);
        ASSERT_EQ(r.type, Reply::Type::kInteger);
        wins += static_cast<int>(r.integer);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 500);
  EXPECT_EQ(store_.KeyCount(), 1000);
}

}  // namespace
}  // namespace dkv::data
