// Unit tests of the linearizability checker (tests/linearizability.h) on hand-made histories. Each
// rejection test also checks the same history with the violation repaired, which must be accepted:
// so it passes only because the checker found that violation, not because it rejects whatever it
// is given. Times are plain integers (nanoseconds in real histories).
#include "tests/linearizability.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/history.h"

namespace dkv::test {
namespace {

using Verdict = LinearizabilityResult::Verdict;
constexpr OpOutcome kOk = OpOutcome::kOk;
constexpr OpOutcome kFailed = OpOutcome::kFailed;
constexpr OpOutcome kUnknown = OpOutcome::kUnknown;
const std::optional<std::string> kAbsent;

Operation Op(int client, OpKind kind, std::string key, int64_t invoked, int64_t completed,
             OpOutcome outcome) {
  Operation op;
  op.client = client;
  op.kind = kind;
  op.key = std::move(key);
  op.invoked_ns = invoked;
  op.completed_ns = completed;
  op.outcome = outcome;
  return op;
}

Operation Get(int client, std::optional<std::string> read, int64_t invoked, int64_t completed,
              std::string key = "k") {
  Operation op = Op(client, OpKind::kGet, std::move(key), invoked, completed, kOk);
  op.output.read = std::move(read);
  return op;
}

Operation Set(int client, std::string value, int64_t invoked, int64_t completed,
              OpOutcome outcome = kOk, std::string key = "k") {
  Operation op = Op(client, OpKind::kSet, std::move(key), invoked, completed, outcome);
  op.value = std::move(value);
  return op;
}

Operation Incr(int client, int64_t delta, int64_t result, int64_t invoked, int64_t completed,
               OpOutcome outcome = kOk, std::string key = "k") {
  Operation op = Op(client, OpKind::kIncr, std::move(key), invoked, completed, outcome);
  op.delta = delta;
  op.output.incr_result = result;
  return op;
}

Operation Del(int client, bool existed, int64_t invoked, int64_t completed, OpOutcome outcome = kOk,
              std::string key = "k") {
  Operation op = Op(client, OpKind::kDel, std::move(key), invoked, completed, outcome);
  op.output.existed = existed;
  return op;
}

LinearizabilityResult Check(const History& h) {
  LinearizabilityResult r = CheckLinearizability(h);
  EXPECT_NE(Verdict::kUnknown, r.verdict) << r.ToString();
  return r;
}

// Expects `bad` rejected and `repaired` accepted; returns the rejection.
LinearizabilityResult ExpectRejectedButNotWhenRepaired(const History& bad,
                                                       const History& repaired) {
  const LinearizabilityResult accepted = Check(repaired);
  EXPECT_TRUE(accepted.linearizable()) << "repaired history: " << accepted.ToString();
  const LinearizabilityResult rejected = Check(bad);
  EXPECT_EQ(Verdict::kNotLinearizable, rejected.verdict) << rejected.ToString();
  EXPECT_EQ("k", rejected.key);
  EXPECT_EQ(std::vector<std::string>{"k"}, rejected.non_linearizable_keys);
  return rejected;
}

TEST(LinearizabilityTest, AcceptsEmptyHistory) {
  const LinearizabilityResult r = Check({});
  EXPECT_TRUE(r.linearizable()) << r.ToString();
  EXPECT_EQ(0, r.keys);
}

TEST(LinearizabilityTest, AcceptsSequentialHistoryOfEveryKind) {
  const History h = {
      Get(0, kAbsent, 0, 1), Set(0, "a", 2, 3),       Get(1, "a", 4, 5),     Del(1, true, 6, 7),
      Del(0, false, 8, 9),   Get(0, kAbsent, 10, 11), Incr(1, 5, 5, 12, 13), Incr(0, -2, 3, 14, 15),
      Get(1, "3", 16, 17),   Set(1, "b", 18, 19),     Get(0, "b", 20, 21),
  };
  const LinearizabilityResult r = Check(h);
  EXPECT_TRUE(r.linearizable()) << r.ToString();
  EXPECT_EQ(11, r.operations);
}

TEST(LinearizabilityTest, AcceptsAReadOfEitherOfTwoOverlappingWrites) {
  for (const char* seen : {"a", "b"}) {
    const History h = {Set(0, "a", 0, 100), Set(1, "b", 10, 90), Get(2, seen, 110, 120),
                       Get(3, seen, 130, 140)};
    const LinearizabilityResult r = Check(h);
    EXPECT_TRUE(r.linearizable()) << seen << ": " << r.ToString();
  }
  // A read overlapping both writes may see the old value, too.
  const History h = {Set(0, "a", 0, 10),  Set(1, "b", 20, 100), Set(2, "c", 30, 100),
                     Get(3, "a", 40, 50), Get(3, "c", 60, 70),  Get(4, "b", 110, 120)};
  const LinearizabilityResult r = Check(h);
  EXPECT_TRUE(r.linearizable()) << r.ToString();
}

TEST(LinearizabilityTest, AcceptsUnknownWriteThatTookEffect) {
  // Invoked before the read; it took effect even though its client never heard back.
  const History h = {Set(0, "a", 0, 10), Set(1, "b", 20, 0, kUnknown), Get(2, "b", 1000, 1010)};
  const LinearizabilityResult r = Check(h);
  EXPECT_TRUE(r.linearizable()) << r.ToString();
}

TEST(LinearizabilityTest, AcceptsUnknownWriteThatTookEffectLongAfterItsCallWasAbandoned) {
  // "completed_ns" of an unknown operation is when its client gave up: it may still land later.
  const History h = {Set(0, "a", 0, 10), Set(1, "b", 20, 30, kUnknown), Get(2, "a", 100, 110),
                     Get(2, "b", 200, 210)};
  const LinearizabilityResult r = Check(h);
  EXPECT_TRUE(r.linearizable()) << r.ToString();
}

TEST(LinearizabilityTest, AcceptsUnknownWriteThatDidNotTakeEffect) {
  const History h = {Set(0, "a", 0, 10), Set(1, "b", 20, 0, kUnknown), Get(2, "a", 1000, 1010),
                     Del(1, true, 1100, 1200, kUnknown), Get(2, "a", 1300, 1310)};
  const LinearizabilityResult r = Check(h);
  EXPECT_TRUE(r.linearizable()) << r.ToString();
}

TEST(LinearizabilityTest, AcceptsUnknownIncrThatDidOrDidNotTakeEffect) {
  for (const char* seen : {"1", "4"}) {
    const History h = {Incr(0, 1, 1, 0, 10), Incr(1, 3, 0, 20, 30, kUnknown),
                       Get(2, seen, 100, 110)};
    const LinearizabilityResult r = Check(h);
    EXPECT_TRUE(r.linearizable()) << seen << ": " << r.ToString();
  }
}

TEST(LinearizabilityTest, AcceptsConcurrentIncrChainAnsweredInAnyOrder) {
  // Four overlapping increments: any assignment of 1..4 to them is a valid order.
  const History h = {Incr(0, 1, 3, 0, 100),     Incr(1, 1, 1, 5, 100), Incr(2, 1, 4, 10, 100),
                     Incr(3, 1, 2, 15, 100),    Get(0, "4", 200, 210), Incr(1, 10, 14, 220, 230),
                     Incr(2, -14, 0, 240, 250), Get(3, "0", 260, 270)};
  const LinearizabilityResult r = Check(h);
  EXPECT_TRUE(r.linearizable()) << r.ToString();
}

TEST(LinearizabilityTest, TreatsIncrOfAbsentKeyAsZeroAndOfANonIntegerAsRefused) {
  // An acknowledged incr of a key holding "x" is impossible: the store refuses it.
  const History repaired = {Set(0, "x", 0, 10), Del(0, true, 20, 30), Incr(1, 2, 2, 40, 50)};
  const History bad = {Set(0, "x", 0, 10), Incr(1, 2, 2, 40, 50)};
  ExpectRejectedButNotWhenRepaired(bad, repaired);
}

TEST(LinearizabilityTest, IgnoresFailedOperationsButNotUnknownOnes) {
  // A failed set surely did not take effect: reading its value afterwards is a violation.
  const History repaired = {Set(0, "a", 0, 10), Set(1, "b", 20, 30, kUnknown), Get(2, "b", 40, 50)};
  const History bad = {Set(0, "a", 0, 10), Set(1, "b", 20, 30, kFailed), Get(2, "b", 40, 50)};
  ExpectRejectedButNotWhenRepaired(bad, repaired);
  const LinearizabilityResult r =
      Check({Set(0, "a", 0, 10), Set(1, "b", 20, 30, kFailed), Get(2, "a", 40, 50)});
  EXPECT_TRUE(r.linearizable()) << r.ToString();
  EXPECT_EQ(2, r.operations);  // the failed set is left out
}

TEST(LinearizabilityTest, RejectsStaleReadAfterAnAcknowledgedWriteCompleted) {
  // The second write completed at 30; a read from 40 on must see it.
  const History repaired = {Set(0, "a", 0, 10), Set(1, "b", 20, 30), Get(2, "a", 25, 50)};
  const History bad = {Set(0, "a", 0, 10), Set(1, "b", 20, 30), Get(2, "a", 40, 50)};
  ExpectRejectedButNotWhenRepaired(bad, repaired);
}

TEST(LinearizabilityTest, RejectsReadOfAValueNeverWritten) {
  const History repaired = {Set(0, "a", 0, 10), Set(1, "zzz", 5, 0, kUnknown),
                            Get(2, "zzz", 40, 50)};
  const History bad = {Set(0, "a", 0, 10), Get(2, "zzz", 40, 50)};
  ExpectRejectedButNotWhenRepaired(bad, repaired);
  // A read of a value written only after the read completed is no better.
  ExpectRejectedButNotWhenRepaired({Get(2, "a", 0, 10), Set(0, "a", 20, 30)},
                                   {Get(2, "a", 0, 25), Set(0, "a", 20, 30)});
}

TEST(LinearizabilityTest, RejectsLostIncrement) {
  const History repaired = {Incr(0, 1, 1, 0, 10), Incr(1, 1, 2, 20, 30), Get(2, "2", 40, 50)};
  const History bad = {Incr(0, 1, 1, 0, 10), Incr(1, 1, 2, 20, 30), Get(2, "1", 40, 50)};
  ExpectRejectedButNotWhenRepaired(bad, repaired);
  // Two overlapping increments that both answer 1: one of them was lost.
  ExpectRejectedButNotWhenRepaired({Incr(0, 1, 1, 0, 100), Incr(1, 1, 1, 10, 90)},
                                   {Incr(0, 1, 2, 0, 100), Incr(1, 1, 1, 10, 90)});
}

TEST(LinearizabilityTest, RejectsTwoReadsOrderingConcurrentWritesBothWays) {
  // Writes a and b overlap each other and every read. Reader 2 sees a then b, so a took effect
  // before b; reader 3 sees b then a, so b before a: each write takes effect once, so not both.
  const History bad = {Set(0, "a", 0, 100), Set(1, "b", 0, 100), Get(2, "a", 10, 20),
                       Get(2, "b", 30, 40), Get(3, "b", 10, 20), Get(3, "a", 30, 40)};
  const History repaired = {Set(0, "a", 0, 100), Set(1, "b", 0, 100), Get(2, "a", 10, 20),
                            Get(2, "b", 30, 40), Get(3, "b", 10, 20), Get(3, "b", 30, 40)};
  ExpectRejectedButNotWhenRepaired(bad, repaired);
}

TEST(LinearizabilityTest, RejectsReadOfADeletedKeyAfterTheDeleteCompleted) {
  const History repaired = {Set(0, "a", 0, 10), Del(1, true, 20, 30), Get(2, "a", 25, 50)};
  const History bad = {Set(0, "a", 0, 10), Del(1, true, 20, 30), Get(2, "a", 40, 50)};
  ExpectRejectedButNotWhenRepaired(bad, repaired);
}

TEST(LinearizabilityTest, RejectsDelAnswersThatContradictTheValue) {
  ExpectRejectedButNotWhenRepaired({Set(0, "a", 0, 10), Del(1, false, 20, 30)},
                                   {Set(0, "a", 0, 10), Del(1, true, 20, 30)});
  ExpectRejectedButNotWhenRepaired({Del(1, true, 20, 30)}, {Del(1, false, 20, 30)});
}

TEST(LinearizabilityTest, DelWithAnUncheckedAnswerStillTakesEffect) {
  Operation unchecked = Del(1, false, 20, 30);
  unchecked.output.existed.reset();
  const History repaired = {Set(0, "a", 0, 10), unchecked, Get(2, kAbsent, 40, 50)};
  const History bad = {Set(0, "a", 0, 10), unchecked, Get(2, "a", 40, 50)};
  ExpectRejectedButNotWhenRepaired(bad, repaired);
}

TEST(LinearizabilityTest, ChecksEachKeyOnItsOwnAndNamesTheFailingOne) {
  // Key "a" alone is fine, and so is "k" alone; the cross-key order (a's read before k's write
  // completes, k's read after) is not something the model constrains.
  History h = {Set(0, "x", 0, 10, kOk, "a"), Get(1, "x", 20, 30, "a"), Set(0, "y", 40, 50),
               Get(1, "y", 60, 70)};
  LinearizabilityResult r = Check(h);
  EXPECT_TRUE(r.linearizable()) << r.ToString();
  EXPECT_EQ(2, r.keys);
  h.push_back(Get(2, "old", 80, 90, "b"));
  h.push_back(Set(2, "z", 100, 110, kOk, "c"));
  r = Check(h);
  EXPECT_EQ(Verdict::kNotLinearizable, r.verdict) << r.ToString();
  EXPECT_EQ("b", r.key);
  EXPECT_EQ(4, r.keys);
}

TEST(LinearizabilityTest, ExplanationNamesTheKeyAndTheOperationsInvolved) {
  const History bad = {Set(0, "a", 0, 10), Set(1, "b", 20, 30), Get(2, "a", 40, 50)};
  const LinearizabilityResult r = ExpectRejectedButNotWhenRepaired(bad, {bad[0], bad[1]});
  const std::string text = r.ToString();
  std::cout << text << "\n";
  EXPECT_NE(std::string::npos, text.find("key k:")) << text;
  EXPECT_NE(std::string::npos, text.find(bad[2].ToString())) << text;  // the stale read
  EXPECT_NE(std::string::npos, text.find(bad[1].ToString())) << text;  // the write it missed
}

// ---- Generated histories: many clients, a few keys, thousands of operations per key ----

// A register as the store keeps it, written independently of the checker's model.
struct Register {
  bool present = false;
  std::string value;
};

// Random operations whose intervals overlap across clients: each takes effect at a random
// instant inside its interval (or, for some unknown ones, never), applied in that order to a
// Register to compute the answers. So the history is linearizable by construction.
History GenerateLinearizable(int clients, int ops_per_client, int keys, uint32_t seed,
                             int unknown_per_mille = 5) {
  std::mt19937 rng(seed);
  struct Timed {
    Operation op;
    int64_t effect;  // -1: no effect
  };
  std::vector<Timed> all;
  for (int c = 0; c < clients; ++c) {
    int64_t t = 0;
    for (int i = 0; i < ops_per_client; ++i) {
      Operation op;
      op.client = c;
      op.key = "k" + std::to_string(rng() % keys);
      op.kind = static_cast<OpKind>(rng() % 4);
      op.value = "c" + std::to_string(c) + "-" + std::to_string(i);
      op.delta = static_cast<int64_t>(rng() % 5) + 1;
      op.invoked_ns = t + static_cast<int64_t>(rng() % 50);
      op.completed_ns = op.invoked_ns + 1 + static_cast<int64_t>(rng() % 200);
      const bool unknown = static_cast<int>(rng() % 1000) < unknown_per_mille;
      op.outcome = unknown ? kUnknown : kOk;
      int64_t effect =
          op.invoked_ns + static_cast<int64_t>(rng() % (op.completed_ns - op.invoked_ns));
      if (unknown && rng() % 2 == 0) effect = -1;
      if (unknown && effect >= 0 && rng() % 2 == 0) effect += 1000;  // landed after the give-up
      t = op.completed_ns;
      all.push_back({std::move(op), effect});
    }
  }
  std::vector<Timed*> order;
  for (Timed& t : all) {
    if (t.effect >= 0) order.push_back(&t);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Timed* x, const Timed* y) { return x->effect < y->effect; });
  std::map<std::string, Register> store;
  for (Timed* t : order) {
    Operation& op = t->op;
    Register& r = store[op.key];
    switch (op.kind) {
      case OpKind::kGet:
        op.output.read = r.present ? std::optional<std::string>(r.value) : std::nullopt;
        break;
      case OpKind::kSet:
        r = {true, op.value};
        break;
      case OpKind::kDel:
        op.output.existed = r.present;
        r = {};
        break;
      case OpKind::kIncr: {
        int64_t n = 0;
        if (r.present) {
          auto [end, ec] = std::from_chars(r.value.data(), r.value.data() + r.value.size(), n);
          if (ec != std::errc() || end != r.value.data() + r.value.size()) {
            if (op.outcome == kOk) op.outcome = kFailed;  // refused: not an integer
            break;
          }
        }
        op.output.incr_result = n + op.delta;
        r = {true, std::to_string(n + op.delta)};
        break;
      }
    }
  }
  History h;
  for (Timed& t : all) h.push_back(std::move(t.op));
  return h;
}

TEST(LinearizabilityTest, AcceptsThousandsOfConcurrentOperationsPerKeyWithinABudget) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    const History h =
        GenerateLinearizable(/*clients=*/8, /*ops_per_client=*/2000, /*keys=*/4, seed);
    LinearizabilityOptions options;
    options.budget = std::chrono::milliseconds(5000);
    const LinearizabilityResult r = CheckLinearizability(h, options);
    std::cout << "seed " << seed << ": " << r.ToString() << "\n";
    EXPECT_TRUE(r.linearizable()) << r.ToString();
    EXPECT_GT(r.operations, 3 * 4000);  // about 4000 per key
  }
}

TEST(LinearizabilityTest, RejectsALargeHistoryEndingInAReadOfAValueNeverWritten) {
  const History repaired = GenerateLinearizable(/*clients=*/8, /*ops_per_client=*/2000, /*keys=*/1,
                                                /*seed=*/7, /*unknown_per_mille=*/0);
  int64_t end = 0;
  for (const Operation& op : repaired) end = std::max(end, op.completed_ns);
  // After every operation is over (unknown ones landed by end + 1000), a read of a value no one
  // wrote: the search has to exhaust every order of the 16000 operations before it to refute it.
  History bad = repaired;
  bad.push_back(Get(99, "never-written", end + 2000, end + 2010, "k0"));
  LinearizabilityOptions options;
  options.budget = std::chrono::milliseconds(20000);
  const LinearizabilityResult r = CheckLinearizability(bad, options);
  std::cout << r.ToString() << "\n";
  EXPECT_EQ(Verdict::kNotLinearizable, r.verdict) << r.ToString();
  const LinearizabilityResult ok = CheckLinearizability(repaired, options);
  EXPECT_TRUE(ok.linearizable()) << ok.ToString();
}

TEST(LinearizabilityTest, GivesUpWithUnknownWhenTheBudgetRunsOut) {
  const History h = GenerateLinearizable(4, 100, 1, 5);
  LinearizabilityOptions options;
  options.budget = std::chrono::milliseconds(0);
  const LinearizabilityResult r = CheckLinearizability(h, options);
  EXPECT_EQ(Verdict::kUnknown, r.verdict) << r.ToString();
  EXPECT_FALSE(r.linearizable());
  EXPECT_EQ("k0", r.key);
  EXPECT_NE(std::string::npos, r.ToString().find("gave up")) << r.ToString();
}

}  // namespace
}  // namespace dkv::test
