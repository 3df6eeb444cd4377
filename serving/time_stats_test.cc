#include "serving/time_stats.h"

#include "base/rng.h"
#include "gtest/gtest.h"

namespace etchsim::serving {
namespace {

SimTime P(int64_t ps) { return SimTime::Picos(ps); }

TEST(TimeStatsTest, IntervalsClipToWindowAndEnd) {
  IntervalStat s(P(100));
  s.Add(P(0), P(150));    // 50 in window
  s.Add(P(200), P(300));  // 100
  s.Add(P(350), P(500));  // 50 before end=400
  s.Add(P(600), P(700));  // after end
  EXPECT_EQ(s.Finalize(P(400)), 200);
}

TEST(TimeStatsTest, CompactionDoesNotChangeTheResult) {
  base::Rng rng(11, 0);
  for (int trial = 0; trial < 50; ++trial) {
    IntervalStat a(P(1000)), b(P(1000));
    CountStat ca(P(1000)), cb(P(1000));
    LevelStat la(P(1000)), lb(P(1000));
    int64_t t = 0, horizon = 0;
    for (int i = 0; i < 200; ++i) {
      const int64_t start = t + rng.UniformInt(0, 100);
      const int64_t end = start + rng.UniformInt(1, 100);
      t = end;
      a.Add(P(start), P(end));
      b.Add(P(start), P(end));
      ca.Add(P(start), end - start);
      cb.Add(P(start), end - start);
      const int64_t level = rng.UniformInt(0, 1000);
      la.Set(P(start), level);
      lb.Set(P(start), level);
      if (rng.UniformInt(0, 3) == 0) {  // fold b's records up to now
        horizon = start;
        b.Compact(P(start));
        cb.Compact(P(start));
        lb.Compact(P(start));
      }
    }
    // The run can only end at or after the last compaction horizon.
    const SimTime end = P(rng.UniformInt(horizon, t));
    EXPECT_EQ(a.Finalize(end), b.Finalize(end));
    EXPECT_EQ(ca.Finalize(end), cb.Finalize(end));
    const auto ra = la.Finalize(end), rb = lb.Finalize(end);
    EXPECT_TRUE(ra.integral == rb.integral);
    EXPECT_EQ(ra.peak, rb.peak);
  }
}

TEST(TimeStatsTest, LevelIntegralAndPeak) {
  LevelStat l(P(10));
  l.Set(P(0), 5);    // holds 5 over [10, 20) in the window: 50
  l.Set(P(20), 7);   // 7 over [20, 30): 70
  l.Set(P(30), 99);  // instantaneous: replaced at the same time
  l.Set(P(30), 3);   // 3 over [30, 40): 30
  l.Compact(P(25));
  const auto r = l.Finalize(P(40));
  EXPECT_EQ(static_cast<int64_t>(r.integral), 150);
  EXPECT_EQ(r.peak, 7);
}

}  // namespace
}  // namespace etchsim::serving
