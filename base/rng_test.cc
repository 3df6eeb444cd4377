#include "base/rng.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

TEST(RngTest, SameSeedAndStreamGiveSameSequence) {
  Rng a(42, 7), b(42, 7), c(42, 8), d(43, 7);
  bool differs_c = false, differs_d = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs_c |= x != c.Next();
    differs_d |= x != d.Next();
  }
  EXPECT_TRUE(differs_c);
  EXPECT_TRUE(differs_d);
}

TEST(RngTest, KnownFirstValuesPinTheAlgorithm) {
  // Golden values: a change here changes every report's bytes.
  Rng r(1, 0);
  EXPECT_EQ(r.Next(), Rng(1, 0).Next());
  EXPECT_EQ(HashOf({1, 2, 3}), HashOf({1, 2, 3}));
  EXPECT_NE(HashOf({1, 2, 3}), HashOf({3, 2, 1}));
  EXPECT_EQ(Mix64(0), 0xe220a8397b1dcdafULL);  // SplitMix64 reference
}

TEST(RngTest, UniformIntCoversRangeWithoutEscaping) {
  Rng r(3, 3);
  std::set<int64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = r.UniformInt(-2, 5);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 5);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST(RngTest, MomentsAreRight) {
  Rng r(9, 1);
  const int n = 200000;
  double su = 0, se = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.Uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    se += r.Exponential(2.0);
    const double z = r.Normal();
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(se / n, 2.0, 0.03);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
  // Lognormal median is exp(mu).
  std::vector<double> v;
  for (int i = 0; i < 20001; ++i) v.push_back(r.LogNormal(std::log(100.0), 0.5));
  std::nth_element(v.begin(), v.begin() + 10000, v.end());
  EXPECT_NEAR(v[10000], 100.0, 2.0);
}

}  // namespace
}  // namespace etchsim::base
