#include "base/histogram.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/rng.h"
#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

TEST(LogHistogramTest, BucketsTileTheLineWithoutGaps) {
  for (int b = 0; b < 60000; ++b) {
    ASSERT_LE(LogHistogram::BucketLow(b), LogHistogram::BucketHigh(b));
    ASSERT_EQ(LogHistogram::BucketOf(LogHistogram::BucketLow(b)), b);
    ASSERT_EQ(LogHistogram::BucketOf(LogHistogram::BucketHigh(b)), b);
    if (LogHistogram::BucketHigh(b) == UINT64_MAX) break;
    ASSERT_EQ(LogHistogram::BucketHigh(b) + 1, LogHistogram::BucketLow(b + 1));
  }
}

TEST(LogHistogramTest, ConstantSamplesAreReportedExactly) {
  LogHistogram h;
  for (int i = 0; i < 1000; ++i) h.Add(83456123);
  EXPECT_EQ(h.Quantile(0.5), 83456123u);
  EXPECT_EQ(h.Quantile(0.99), 83456123u);
  EXPECT_DOUBLE_EQ(h.Mean(), 83456123.0);
}

TEST(LogHistogramTest, QuantilesWithinATenthOfAPercent) {
  Rng r(5, 5);
  std::vector<uint64_t> v;
  LogHistogram h;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t x = static_cast<uint64_t>(r.LogNormal(18.0, 1.0));
    v.push_back(x);
    h.Add(x);
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999}) {
    const size_t rank = static_cast<size_t>(std::ceil(q * v.size()));
    const double exact = static_cast<double>(v[rank - 1]);
    EXPECT_NEAR(static_cast<double>(h.Quantile(q)) / exact, 1.0, 1.0 / 1024) << "q=" << q;
  }
  EXPECT_EQ(h.min(), v.front());
  EXPECT_EQ(h.max(), v.back());
}

TEST(LogHistogramTest, CountAboveIsALowerBoundThatDecidesTheQuantile) {
  Rng r(7, 7);
  LogHistogram h;
  std::vector<uint64_t> v;
  for (int i = 0; i < 2000; ++i) {
    const uint64_t x = static_cast<uint64_t>(r.LogNormal(14.0, 1.5));
    v.push_back(x);
    h.Add(x);
  }
  for (uint64_t limit : {uint64_t{0}, uint64_t{1000}, uint64_t{900000}, uint64_t{3000000},
                         uint64_t{20000000}, h.max()}) {
    const uint64_t truly = static_cast<uint64_t>(
        std::count_if(v.begin(), v.end(), [&](uint64_t x) { return x > limit; }));
    const uint64_t counted = h.CountAbove(limit);
    EXPECT_LE(counted, truly) << limit;
    EXPECT_GE(static_cast<double>(counted), 0.99 * static_cast<double>(truly) - 2) << limit;
    for (double q : {0.5, 0.9, 0.99}) {
      const uint64_t allowed = h.count() - static_cast<uint64_t>(std::ceil(q * h.count()));
      if (counted > allowed) EXPECT_GT(h.Quantile(q), limit) << limit << " q=" << q;
    }
  }
  LogHistogram small;
  for (uint64_t x : {5, 10, 11, 2047}) small.Add(x);
  EXPECT_EQ(small.CountAbove(10), 2u);  // exact in the linear buckets
  EXPECT_EQ(small.CountAbove(2047), 0u);
}

TEST(LogHistogramTest, MergeEqualsAddingEverything) {
  LogHistogram a, b, all;
  for (uint64_t i = 0; i < 5000; ++i) {
    (i % 2 ? a : b).Add(i * i);
    all.Add(i * i);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.Quantile(0.37), all.Quantile(0.37));
  EXPECT_DOUBLE_EQ(a.Mean(), all.Mean());
}

TEST(LogHistogramTest, AddingNAtOnceEqualsAddingOneAtATime) {
  LogHistogram once, each;
  for (uint64_t v : {0ull, 7ull, 5000ull, 123456789ull}) {
    once.Add(v, 1000);
    for (int i = 0; i < 1000; ++i) each.Add(v);
  }
  once.Add(42, 0);  // nothing
  EXPECT_EQ(once.count(), each.count());
  EXPECT_EQ(once.Sum(), each.Sum());
  EXPECT_EQ(once.min(), each.min());
  EXPECT_EQ(once.max(), each.max());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 1.0}) EXPECT_EQ(once.Quantile(q), each.Quantile(q));
}

TEST(LogHistogramTest, EmptyIsZero) {
  LogHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0u);
  EXPECT_EQ(h.Mean(), 0.0);
  EXPECT_EQ(h.min(), 0u);
}

TEST(LogHistogramTest, CumulativeCountsAreExactInTheLinearRangeAndCloseAbove) {
  LogHistogram h;
  for (uint64_t v : {5, 10, 10, 2000}) h.Add(v);
  EXPECT_EQ(h.CumulativeCounts({4, 5, 9, 10, 1999, 2000, 3000}),
            (std::vector<uint64_t>{0, 1, 1, 3, 3, 4, 4}));
  EXPECT_DOUBLE_EQ(h.Sum(), 2025.0);
  // Above the linear range a bound splits samples within ~0.1% of it.
  LogHistogram big;
  Rng rng(7, 1);
  std::vector<uint64_t> samples;
  for (int i = 0; i < 10000; ++i) {
    samples.push_back(1'000'000 + static_cast<uint64_t>(rng.Uniform01() * 9'000'000));
    big.Add(samples.back());
  }
  const std::vector<uint64_t> bounds = {2'000'000, 5'000'000, 9'000'000};
  const std::vector<uint64_t> got = big.CumulativeCounts(bounds);
  for (size_t i = 0; i < bounds.size(); ++i) {
    const auto lo = std::count_if(samples.begin(), samples.end(),
                                  [&](uint64_t v) { return v <= bounds[i] * 0.999; });
    const auto hi = std::count_if(samples.begin(), samples.end(),
                                  [&](uint64_t v) { return v <= bounds[i] * 1.001; });
    EXPECT_GE(static_cast<int64_t>(got[i]), lo) << bounds[i];
    EXPECT_LE(static_cast<int64_t>(got[i]), hi) << bounds[i];
  }
  EXPECT_EQ(LogHistogram().CumulativeCounts({1, 2}), (std::vector<uint64_t>{0, 0}));
}

}  // namespace
}  // namespace etchsim::base
