#include "partitioner/linear_partition.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace etchsim::partitioner {
namespace {

int64_t ItemParams(const Item& it, int64_t units, bool on_first_chip) {
  if (on_first_chip && it.params_on_first_chip >= 0) return it.params_on_first_chip;
  return it.unit_params * units;
}

// Tolerance for comparing costs that are sums of doubles.
bool Le(double a, double b) { return a <= b + 1e-9 * std::max(1.0, std::fabs(b)); }

}  // namespace

std::vector<ChipLoad> Loads(const std::vector<Item>& items, const Assignment& a) {
  std::vector<ChipLoad> loads(a.size());
  for (size_t c = 0; c < a.size(); ++c) {
    for (const Piece& p : a[c]) {
      const Item& it = items[p.item];
      loads[c].params += ItemParams(it, p.end - p.begin, c == 0);
      loads[c].cost += it.unit_cost * static_cast<double>(p.end - p.begin);
    }
  }
  return loads;
}

int GreedyPack(const std::vector<Item>& items, int64_t cap, double max_cost, Assignment* out) {
  if (out) out->assign(1, {});
  int chips = 1;
  int64_t params = 0;
  double cost = 0.0;
  bool chip_empty = true;
  auto new_chip = [&] {
    ++chips;
    params = 0;
    cost = 0.0;
    chip_empty = true;
    if (out) out->emplace_back();
  };
  for (int i = 0; i < static_cast<int>(items.size()); ++i) {
    const Item& it = items[i];
    if (!it.divisible()) {
      int64_t p = ItemParams(it, 1, chips == 1);
      const double c = it.unit_cost;
      if (!chip_empty && (params + p > cap || !Le(cost + c, max_cost))) {
        new_chip();
        p = ItemParams(it, 1, false);
      }
      if (p > cap || !Le(c, max_cost)) return -1;
      params += p;
      cost += c;
      chip_empty = false;
      if (out) out->back().push_back({i, 0, 1});
      continue;
    }
    int64_t next = 0;
    while (next < it.count) {
      // Units of this block that still fit on the current chip.
      int64_t fit = it.count - next;
      if (it.unit_params > 0) fit = std::min(fit, (cap - params) / it.unit_params);
      if (it.unit_cost > 0.0) {
        const double room = max_cost - cost;
        const double by_cost = std::floor(room / it.unit_cost + 1e-9);
        if (by_cost < static_cast<double>(fit)) {
          fit = std::max<int64_t>(0, static_cast<int64_t>(by_cost));
        }
      }
      if (fit <= 0) {
        if (chip_empty) return -1;  // one unit alone is too big
        new_chip();
        continue;
      }
      params += fit * it.unit_params;
      cost += static_cast<double>(fit) * it.unit_cost;
      chip_empty = false;
      if (out) out->back().push_back({i, next, next + fit});
      next += fit;
    }
  }
  return chips;
}

int64_t TotalUnits(const std::vector<Item>& items) {
  int64_t n = 0;
  for (const Item& it : items) n += it.count;
  return n;
}

namespace {

// Splits the heaviest splittable chip in two at its most balanced cut.
// Returns false if no chip holds two or more units.
bool SplitOnce(const std::vector<Item>& items, Assignment& a) {
  const std::vector<ChipLoad> loads = Loads(items, a);
  int best = -1;
  for (int c = 0; c < static_cast<int>(a.size()); ++c) {
    int64_t units = 0;
    for (const Piece& p : a[c]) units += p.end - p.begin;
    if (units < 2) continue;
    if (best < 0 || loads[c].cost > loads[best].cost) best = c;
  }
  if (best < 0) return false;
  // Expand the chip into single units (experts as runs) and find the cut
  // whose prefix cost is closest to half.
  std::vector<Piece>& chip = a[best];
  const double half = loads[best].cost / 2.0;
  double prefix = 0.0;
  size_t cut_piece = 0;
  int64_t cut_unit = 0;
  double best_gap = std::numeric_limits<double>::infinity();
  int64_t seen = 0, total = 0;
  for (const Piece& p : chip) total += p.end - p.begin;
  for (size_t k = 0; k < chip.size(); ++k) {
    const Item& it = items[chip[k].item];
    for (int64_t u = chip[k].begin; u < chip[k].end; ++u) {
      prefix += it.unit_cost;
      ++seen;
      if (seen == total) break;  // a cut must leave the right side non-empty
      const double gap = std::fabs(prefix - half);
      if (gap < best_gap) {
        best_gap = gap;
        cut_piece = k;
        cut_unit = u + 1;
      }
    }
  }
  std::vector<Piece> left(chip.begin(), chip.begin() + cut_piece);
  std::vector<Piece> right;
  const Piece& p = chip[cut_piece];
  if (cut_unit > p.begin) left.push_back({p.item, p.begin, cut_unit});
  if (cut_unit < p.end) right.push_back({p.item, cut_unit, p.end});
  right.insert(right.end(), chip.begin() + cut_piece + 1, chip.end());
  if (left.empty() || right.empty()) return false;
  a[best] = std::move(left);
  a.insert(a.begin() + best + 1, std::move(right));
  return true;
}

}  // namespace

absl::StatusOr<Assignment> PartitionExactly(const std::vector<Item>& items, int64_t cap,
                                            int num_chips) {
  const int min_chips = MinChips(items, cap);
  if (min_chips < 0) {
    return absl::FailedPreconditionError("an indivisible unit exceeds the chip");
  }
  if (num_chips < min_chips) {
    return absl::FailedPreconditionError(absl::StrCat("needs at least ", min_chips, " chips"));
  }
  if (num_chips > TotalUnits(items)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "has only ", TotalUnits(items), " placeable units, fewer than ", num_chips, " chips"));
  }
  double lo = 0.0, hi = 0.0;
  for (const Item& it : items) {
    lo = std::max(lo, it.unit_cost);
    hi += it.cost();
  }
  for (int iter = 0; iter < 200 && hi - lo > 1e-12 * std::max(1.0, hi); ++iter) {
    const double mid = lo + (hi - lo) / 2;
    const int n = GreedyPack(items, cap, mid, nullptr);
    if (n > 0 && n <= num_chips) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  Assignment a;
  const int used = GreedyPack(items, cap, hi, &a);
  if (used < 0 || used > num_chips) {
    return absl::InternalError("partition search did not converge");
  }
  while (static_cast<int>(a.size()) < num_chips) {
    if (!SplitOnce(items, a)) {
      return absl::InternalError("could not split to the requested chip count");
    }
  }
  // Splitting only shrinks chips, except that a tied LM head leaving the
  // embedding's chip needs its own copy of the table: re-check capacity.
  for (const ChipLoad& l : Loads(items, a)) {
    if (l.params > cap) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot use ", num_chips,
                       " chips: the tied LM head needs its own copy of the embedding "
                       "table once it leaves the first chip, and that copy does not fit"));
    }
  }
  return a;
}

std::vector<int> BalancedContiguousGroups(const std::vector<int64_t>& w, int n) {
  const int items = static_cast<int>(w.size());
  int64_t total = 0;
  for (int64_t x : w) total += x;
  // Contiguous groups minimising the largest (binary search on the
  // bound, packing greedily), then the largest groups split until there
  // are n.
  auto pack = [&](int64_t bound) {
    std::vector<int> starts;
    int64_t used = 0;
    for (int l = 0; l < items; ++l) {
      if (starts.empty() || used + w[l] > bound) {
        starts.push_back(l);
        used = 0;
      }
      used += w[l];
    }
    return starts;
  };
  int64_t lo = *std::max_element(w.begin(), w.end()), hi = total;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (static_cast<int>(pack(mid).size()) <= n) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  std::vector<int> first = pack(lo);
  while (static_cast<int>(first.size()) < n) {
    // Split the group with the most parameters that has two items.
    int best = -1;
    int64_t most = -1;
    for (size_t g = 0; g < first.size(); ++g) {
      const int end = g + 1 < first.size() ? first[g + 1] : items;
      if (end - first[g] < 2) continue;
      int64_t p = 0;
      for (int l = first[g]; l < end; ++l) p += w[l];
      if (p > most) {
        most = p;
        best = static_cast<int>(g);
      }
    }
    const int end = best + 1 < static_cast<int>(first.size()) ? first[best + 1] : items;
    first.insert(first.begin() + best + 1, (first[best] + end) / 2);
  }
  return first;
}

}  // namespace etchsim::partitioner
