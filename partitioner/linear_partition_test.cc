#include "partitioner/linear_partition.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "base/rng.h"
#include "gtest/gtest.h"

namespace etchsim::partitioner {
namespace {

struct Unit {
  int64_t params;
  double cost;
};

// All units in order (divisible blocks expanded).
std::vector<Unit> Expand(const std::vector<Item>& items) {
  std::vector<Unit> u;
  for (const Item& it : items) {
    for (int64_t k = 0; k < it.count; ++k) u.push_back({it.unit_params, it.unit_cost});
  }
  return u;
}

// Brute force: the smallest achievable max cost over exactly n contiguous
// non-empty chips, or +inf. Indivisible items are single units here, so
// expansion is exact.
double BruteForce(const std::vector<Unit>& u, int64_t cap, int n) {
  const int m = static_cast<int>(u.size());
  double best = std::numeric_limits<double>::infinity();
  std::vector<int> cuts;
  std::function<void(int, int, double)> rec = [&](int start, int left, double worst) {
    if (left == 1) {
      int64_t p = 0;
      double c = 0;
      for (int i = start; i < m; ++i) {
        p += u[i].params;
        c += u[i].cost;
      }
      if (start < m && p <= cap) best = std::min(best, std::max(worst, c));
      return;
    }
    int64_t p = 0;
    double c = 0;
    for (int end = start + 1; end <= m - (left - 1); ++end) {
      p += u[end - 1].params;
      c += u[end - 1].cost;
      if (p > cap) break;
      rec(end, left - 1, std::max(worst, c));
    }
  };
  rec(0, n, 0.0);
  return best;
}

TEST(LinearPartitionTest, MatchesBruteForceOnRandomInstances) {
  base::Rng rng(2024, 1);
  int checked = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<Item> items;
    const int n_items = static_cast<int>(rng.UniformInt(2, 6));
    for (int i = 0; i < n_items; ++i) {
      Item it;
      it.kind = rng.UniformInt(0, 2) == 0 ? ItemKind::kExperts : ItemKind::kLayer;
      it.count = it.kind == ItemKind::kExperts ? rng.UniformInt(2, 4) : 1;
      it.unit_params = rng.UniformInt(1, 20);
      it.unit_cost = static_cast<double>(rng.UniformInt(0, 30));
      items.push_back(it);
    }
    const int64_t cap = rng.UniformInt(15, 60);
    const auto units = Expand(items);
    for (int n = 1; n <= std::min<int>(6, static_cast<int>(units.size())); ++n) {
      const double expected = BruteForce(units, cap, n);
      auto got = PartitionExactly(items, cap, n);
      if (!std::isfinite(expected)) {
        EXPECT_FALSE(got.ok()) << "trial " << trial << " n " << n;
        continue;
      }
      ASSERT_TRUE(got.ok()) << got.status() << " trial " << trial << " n " << n;
      ASSERT_EQ(got->size(), static_cast<size_t>(n));
      double worst = 0;
      for (const ChipLoad& l : Loads(items, *got)) {
        EXPECT_LE(l.params, cap);
        worst = std::max(worst, l.cost);
      }
      EXPECT_NEAR(worst, expected, 1e-6) << "trial " << trial << " n " << n;
      ++checked;
    }
  }
  EXPECT_GT(checked, 500);
}

TEST(LinearPartitionTest, MinChipsAndIndivisibleTooBig) {
  std::vector<Item> items = {{ItemKind::kLayer, 0, 1, 10, 1.0},
                             {ItemKind::kExperts, 1, 4, 5, 1.0},
                             {ItemKind::kLayer, 2, 1, 10, 1.0}};
  EXPECT_EQ(MinChips(items, 20), 2);  // [10 + 2x5] [2x5 + 10]
  EXPECT_EQ(MinChips(items, 10), 4);  // [10] [2x5] [2x5] [10]
  EXPECT_EQ(MinChips(items, 9), -1);  // a 10-parameter layer never fits
  EXPECT_EQ(TotalUnits(items), 6);
  EXPECT_FALSE(PartitionExactly(items, 20, 7).ok());
}

TEST(LinearPartitionTest, ExactlyNChipsEvenWhenFewerWouldDo) {
  std::vector<Item> items;
  for (int i = 0; i < 8; ++i) items.push_back({ItemKind::kLayer, i, 1, 1, 1.0});
  auto a = PartitionExactly(items, 100, 4);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 4u);
  for (const ChipLoad& l : Loads(items, *a)) EXPECT_DOUBLE_EQ(l.cost, 2.0);
}

// Worked by hand on weights 5 1 1 1 4 4: over 3 groups the least largest
// group is 6 ({5 1} {1 1 4} {4}); over 4 it is 5 ({5} {1 1 1} {4} {4});
// over 5 the only group of two or more items, {1 1 1}, is split at its
// middle ({1} {1 1}), over 6 again, so each item stands alone.
TEST(BalancedContiguousGroupsTest, MinimisesTheLargestThenSplitsTheHeaviest) {
  const std::vector<int64_t> w = {5, 1, 1, 1, 4, 4};
  EXPECT_EQ(BalancedContiguousGroups(w, 3), (std::vector<int>{0, 2, 5}));
  EXPECT_EQ(BalancedContiguousGroups(w, 4), (std::vector<int>{0, 1, 4, 5}));
  EXPECT_EQ(BalancedContiguousGroups(w, 5), (std::vector<int>{0, 1, 2, 4, 5}));
  EXPECT_EQ(BalancedContiguousGroups(w, 6), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(BalancedContiguousGroups(w, 1), (std::vector<int>{0}));
}

}  // namespace
}  // namespace etchsim::partitioner
