// Evaluating one sweep point at either fidelity, with the expensive inputs
// (model, chip, plan, per-stage chip models) built once per distinct input.
//
// The analytic fast path does not depend on the offered load (users, rate),
// the seed, the run length, the SLO or the cost block, so points that differ
// only in those share one sim::Simulation build and one
// report::AnalyticEstimate; only the cost columns are recomputed.
#ifndef ETCHSIM_SWEEP_EVALUATE_H_
#define ETCHSIM_SWEEP_EVALUATE_H_

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "proto/etchsim/v1/sweep.pb.h"

namespace etchsim::sweep {

enum class Mode { kAnalytic, kEvent };
absl::StatusOr<Mode> ParseMode(const std::string& s);  // "analytic" | "event"
const char* ModeName(Mode m);

struct PointResult {
  bool feasible = true;
  std::string reason;                // when infeasible
  std::vector<v1::SweepCell> cells;  // one per column of the mode
};

// Thread-safe: one Evaluator serves every worker of a sweep.
class Evaluator {
 public:
  // The result columns of a mode (after the axes), fixed for every row.
  static const std::vector<std::string>& Columns(Mode m);

  // A point the partitioner cannot place, or whose requests cannot fit,
  // is infeasible (a row with its reason), not an error; errors are
  // internal failures only.
  absl::StatusOr<PointResult> Evaluate(const v1::Scenario& s, Mode m);

  // Distinct builds made so far (for benchmarks and tests of the cache).
  int64_t builds() const;

 private:
  struct Analytic;  // cached per analytic key
  std::shared_ptr<const Analytic> AnalyticFor(const v1::Scenario& s);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Analytic>> analytic_;
  int64_t builds_ = 0;
};

// The key of everything the analytic estimate depends on: the scenario
// with the load, seed, run length, SLO and cost fields cleared.
std::string AnalyticKey(const v1::Scenario& s);

}  // namespace etchsim::sweep

#endif  // ETCHSIM_SWEEP_EVALUATE_H_
