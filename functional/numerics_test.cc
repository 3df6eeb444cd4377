#include "functional/numerics.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "gtest/gtest.h"

namespace etchsim::functional {
namespace {

TEST(RoundShift, HalfAwayFromZeroAndSaturates) {
  EXPECT_EQ(RoundShift(3, 1), 2);    // 1.5 -> 2
  EXPECT_EQ(RoundShift(-3, 1), -2);  // -1.5 -> -2
  EXPECT_EQ(RoundShift(5, 2), 1);    // 1.25 -> 1
  EXPECT_EQ(RoundShift(static_cast<__int128>(1) << 80, 8), 2147483647);
  EXPECT_EQ(RoundShift(-(static_cast<__int128>(1) << 80), 8), -2147483647 - 1);
  EXPECT_EQ(ToAct(1.0), 65536);
  EXPECT_EQ(ToAct(1e12), 2147483647);
}

// The property the sharding relies on: a dot product split into pieces,
// summed in any order (chips, threads), is the same integer.
TEST(Dot, ExactUnderAnySplitAndOrder) {
  std::mt19937 gen(3);
  std::uniform_int_distribution<int32_t> d(-(1 << 24), 1 << 24);
  std::vector<int32_t> a(1000), b(1000);
  for (int i = 0; i < 1000; ++i) {
    a[i] = d(gen);
    b[i] = d(gen);
  }
  const __int128 whole = Dot(a.data(), b.data(), 1000);
  std::vector<int> cuts = {0, 17, 250, 251, 600, 1000};
  std::vector<__int128> parts;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    parts.push_back(Dot(a.data() + cuts[i], b.data() + cuts[i], cuts[i + 1] - cuts[i]));
  }
  std::reverse(parts.begin(), parts.end());
  EXPECT_TRUE(std::accumulate(parts.begin(), parts.end(), static_cast<__int128>(0)) == whole);
}

TEST(MatVec, RoundsOnceFromQ24TimesQ16) {
  Matrix m{2, 2, {1 << 24, 1 << 23, -(1 << 24), 3}};  // [[1, 0.5], [-1, tiny]]
  const Act y = MatVec(m, {65536, 65536});            // x = [1, 1]
  EXPECT_EQ(y[0], 98304);                             // 1.5
  EXPECT_EQ(y[1], -65536);                            // -1 + 3 * 2^-24 rounds away
}

TEST(ArgMax, LowestIndexOnTies) { EXPECT_EQ(ArgMax({1, 5, 5, 2}), 1); }

}  // namespace
}  // namespace etchsim::functional
