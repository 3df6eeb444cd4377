// Exact contiguous partitioning under a capacity limit.
//
// Given the item sequence, a per-chip parameter capacity and a chip count
// N, find contiguous per-chip ranges that respect capacity and minimise the
// largest per-chip cost. For a threshold T, greedy left-to-right packing
// (take as much as fits under both capacity and T) uses the fewest chips
// possible, so "T is achievable with N chips" is monotone in T and checked
// exactly by the greedy; bisection over T then finds the optimum to
// floating-point precision. Divisible items (routed experts) are split at
// unit granularity. The result is then split further, never raising the
// maximum, until exactly N chips hold something.
#ifndef ETCHSIM_PARTITIONER_LINEAR_PARTITION_H_
#define ETCHSIM_PARTITIONER_LINEAR_PARTITION_H_

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/statusor.h"
#include "partitioner/units.h"

namespace etchsim::partitioner {

// Units [begin, end) of item `item` placed on one chip.
struct Piece {
  int item = 0;
  int64_t begin = 0;
  int64_t end = 0;
};
using Assignment = std::vector<std::vector<Piece>>;  // per chip, in order

struct ChipLoad {
  int64_t params = 0;
  double cost = 0.0;
};

// Loads of each chip of an assignment (tied-head correction applied).
std::vector<ChipLoad> Loads(const std::vector<Item>& items, const Assignment& a);

// Chips the greedy packing needs under capacity `cap_params` and threshold
// `max_cost`; -1 when some indivisible unit alone exceeds either. Fills
// `out` when given.
int GreedyPack(const std::vector<Item>& items, int64_t cap_params, double max_cost,
               Assignment* out);

// Smallest number of chips that holds the items at all.
inline int MinChips(const std::vector<Item>& items, int64_t cap_params) {
  return GreedyPack(items, cap_params, std::numeric_limits<double>::infinity(), nullptr);
}

// Total placeable units (the most chips a plan can use).
int64_t TotalUnits(const std::vector<Item>& items);

// The optimal assignment over exactly `num_chips` chips. FailedPrecondition
// when it cannot fit (callers turn that into a message with the minimum).
absl::StatusOr<Assignment> PartitionExactly(const std::vector<Item>& items, int64_t cap_params,
                                            int num_chips);

// Indivisible items in order (weights `w`) over exactly `n` contiguous
// groups: the largest group's weight minimised (bisection on the bound,
// greedy packing), then the heaviest groups of two or more items split at
// their middle until there are n. Returns each group's first item.
// REQUIRES: 1 <= n <= w.size(); every w >= 0.
std::vector<int> BalancedContiguousGroups(const std::vector<int64_t>& w, int n);

}  // namespace etchsim::partitioner

#endif  // ETCHSIM_PARTITIONER_LINEAR_PARTITION_H_
