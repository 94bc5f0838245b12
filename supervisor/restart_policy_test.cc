#include "supervisor/restart_policy.h"

#include <gtest/gtest.h>

namespace dkv::supervisor {
namespace {

using std::chrono::milliseconds;

RestartLimits Limits(int max_restarts, int window_ms, int initial_ms, int max_ms) {
  RestartLimits l;
  l.max_restarts = max_restarts;
  l.window = milliseconds(window_ms);
  l.backoff_initial = milliseconds(initial_ms);
  l.backoff_max = milliseconds(max_ms);
  return l;
}

TEST(RestartPolicyTest, BackoffDoublesUpToTheCap) {
  RestartPolicy p(Limits(100, 60000, 100, 1000));
  SteadyTime t{};
  std::vector<int> delays;
  for (int i = 0; i < 6; ++i) {
    auto d = p.OnFailure(t, t + milliseconds(1));
    ASSERT_FALSE(d.give_up);
    delays.push_back(static_cast<int>(d.delay.count()));
    t += milliseconds(10);
  }
  EXPECT_EQ(delays, (std::vector<int>{100, 200, 400, 800, 1000, 1000}));
}

TEST(RestartPolicyTest, GivesUpWhenIntensityIsExceeded) {
  RestartPolicy p(Limits(3, 1000, 10, 10));
  SteadyTime t{};
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(p.OnFailure(t, t).give_up) << i;
    t += milliseconds(100);
  }
  EXPECT_EQ(p.RestartsInWindow(t), 3);
  EXPECT_TRUE(p.OnFailure(t, t).give_up);
}

TEST(RestartPolicyTest, OldRestartsLeaveTheWindow) {
  RestartPolicy p(Limits(2, 1000, 10, 10));
  SteadyTime t{};
  EXPECT_FALSE(p.OnFailure(t, t).give_up);
  EXPECT_FALSE(p.OnFailure(t, t + milliseconds(500)).give_up);
  // The first restart is 1000 ms old now: out of the window, so one more is allowed.
  EXPECT_FALSE(p.OnFailure(t, t + milliseconds(1000)).give_up);
  EXPECT_TRUE(p.OnFailure(t, t + milliseconds(1100)).give_up);
}

TEST(RestartPolicyTest, ZeroMaxRestartsGivesUpOnFirstFailure) {
  RestartPolicy p(Limits(0, 1000, 10, 10));
  EXPECT_TRUE(p.OnFailure(SteadyTime{}, SteadyTime{}).give_up);
}

TEST(RestartPolicyTest, StableChildStartsBackoffOver) {
  RestartPolicy p(Limits(100, 1000, 100, 10000));
  SteadyTime t{};
  EXPECT_EQ(p.OnFailure(t, t).delay, milliseconds(100));
  EXPECT_EQ(p.OnFailure(t, t).delay, milliseconds(200));
  EXPECT_EQ(p.OnFailure(t, t).delay, milliseconds(400));
  // Ran a whole window before failing again.
  SteadyTime started = t + milliseconds(1);
  EXPECT_EQ(p.OnFailure(started, started + milliseconds(1000)).delay, milliseconds(100));
}

TEST(RestartPolicyTest, ResetForgetsFailures) {
  RestartPolicy p(Limits(1, 1000, 100, 1000));
  SteadyTime t{};
  EXPECT_FALSE(p.OnFailure(t, t).give_up);
  p.Reset();
  auto d = p.OnFailure(t, t);
  EXPECT_FALSE(d.give_up);
  EXPECT_EQ(d.delay, milliseconds(100));
}

TEST(RestartPolicyTest, HugeFailureCountDoesNotOverflow) {
  RestartPolicy p(Limits(1000, 3600000, 1, 3600000));
  SteadyTime t{};
  RestartPolicy::Decision d;
  for (int i = 0; i < 200; ++i) d = p.OnFailure(t, t);
  EXPECT_EQ(d.delay, milliseconds(3600000));
}

}  // namespace
}  // namespace dkv::supervisor
