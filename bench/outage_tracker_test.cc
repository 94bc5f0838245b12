// OutageTracker: which writes count as failed, and when the outage ends (every key written again
// by a write started after the kill, with no failure after it).
#include "bench/outage_tracker.h"

#include <gtest/gtest.h>

namespace dkv::bench {
namespace {

using Clock = OutageTracker::Clock;
using std::chrono::milliseconds;

class OutageTrackerTest : public testing::Test {
 protected:
  // A time `ms` after the kill (negative: before it).
  Clock::time_point At(int ms) const { return kill_ + milliseconds(ms); }

  const Clock::time_point kill_ = Clock::now();
};

TEST_F(OutageTrackerTest, WarmsUpOnceEveryKeyIsWritten) {
  OutageTracker t(2);
  t.Record(0, At(-30), At(-20), true);
  t.Record(1, At(-30), At(-20), false);
  EXPECT_FALSE(t.Summarize().warmed_up);
  t.Record(1, At(-20), At(-10), true);
  OutageTracker::Summary s = t.Summarize();
  EXPECT_TRUE(s.warmed_up);
  EXPECT_EQ(s.failed_before_kill, 1);
  EXPECT_FALSE(s.recovered);  // no kill yet
}

TEST_F(OutageTrackerTest, RecoversWhenEveryKeyIsWrittenAfterItsLastFailure) {
  OutageTracker t(2);
  t.SetKilledAt(kill_);
  t.Record(0, At(-5), At(100), false);  // started before the kill, failed after it: counts
  t.Record(0, At(100), At(300), false);
  t.Record(1, At(0), At(200), false);
  t.Record(1, At(200), At(250), true);
  t.Record(0, At(300), At(310), true);
  OutageTracker::Summary s = t.Summarize();
  EXPECT_EQ(s.writes, 5);
  EXPECT_EQ(s.failed_writes, 3);
  EXPECT_EQ(s.first_failure, Clock::duration(milliseconds(100)));
  EXPECT_EQ(s.last_failure, Clock::duration(milliseconds(300)));
  EXPECT_EQ(s.recovered, Clock::duration(milliseconds(310)));
}

TEST_F(OutageTrackerTest, ALaterFailureReopensTheOutage) {
  OutageTracker t(1);
  t.SetKilledAt(kill_);
  t.Record(0, At(10), At(20), true);
  EXPECT_EQ(t.Summarize().recovered, Clock::duration(milliseconds(20)));
  t.Record(0, At(20), At(220), false);
  EXPECT_FALSE(t.Summarize().recovered);
  t.Record(0, At(220), At(230), true);
  t.Record(0, At(230), At(240), true);  // the first success after the failure ends the outage
  EXPECT_EQ(t.Summarize().recovered, Clock::duration(milliseconds(230)));
}

TEST_F(OutageTrackerTest, WritesStartedBeforeTheKillDoNotRecover) {
  OutageTracker t(1);
  t.SetKilledAt(kill_);
  t.Record(0, At(-10), At(-1), false);  // ended before the kill: not a failed write of the round
  t.Record(0, At(-1), At(5), true);     // may have reached the node before it died
  OutageTracker::Summary s = t.Summarize();
  EXPECT_EQ(s.failed_before_kill, 1);
  EXPECT_EQ(s.failed_writes, 0);
  EXPECT_FALSE(s.first_failure);
  EXPECT_FALSE(s.recovered);
  t.Record(0, At(5), At(9), true);
  s = t.Summarize();
  EXPECT_EQ(s.recovered, Clock::duration(milliseconds(9)));
  EXPECT_FALSE(s.first_failure);
}

}  // namespace
}  // namespace dkv::bench
