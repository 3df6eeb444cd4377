// The model-lifetime bet: a hard-wired cluster pays a model's NRE (a few
// metal masks, structured-ASIC style, plus engineering), waits the
// model-to-silicon lead time while GPUs serve, and commits to its silicon
// for a minimum period; a GPU fleet rents by the hour. Which serves a
// demand more cheaply depends on how long the model stays in use, which
// is uncertain: a monthly replacement hazard gives an exponential lifetime,
// capped at the hardware's useful life. All times in months of
// kHoursPerYear / 12 hours.
#ifndef ETCHSIM_COST_BREAKEVEN_H_
#define ETCHSIM_COST_BREAKEVEN_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etchsim::cost {

inline constexpr double kHoursPerMonth = 8766.0 / 12.0;

// NRE of one model on hard-wired silicon: only the metal/via masks that
// carry the weights change (structured ASIC), a wafer run of engineering
// silicon with them (bring-up and qualification, not sold), and the
// engineering from a model to RTL. Production wafers are in the card
// price, not here.
//
// A model over several chips has that many distinct ROM dies (every chip
// holds other layers or experts; a package of k dies, k each), and every
// distinct die has its own changed masks. The engineering lot is shared
// by the model's dies, at least one wafer each.
struct NreTerms {
  int masks_changed = 0;  // per distinct die
  double usd_per_mask = 0;
  int wafer_run_wafers = 0;
  double usd_per_wafer = 0;
  double engineering_usd = 0;
  int distinct_dies = 1;  // distinct ROM dies of the model, >= 1
  double Masks() const { return static_cast<double>(masks_changed) * distinct_dies * usd_per_mask; }
  int64_t WaferRunWafers() const {
    return wafer_run_wafers == 0 ? 0 : std::max<int64_t>(wafer_run_wafers, distinct_dies);
  }
  double WaferRun() const { return static_cast<double>(WaferRunWafers()) * usd_per_wafer; }
  double Total() const { return Masks() + WaferRun() + engineering_usd; }
};

// One serving replica (the unit a fleet is made of) of one side.
struct ReplicaCost {
  double tokens_per_s = 0;            // output tokens/s one replica serves
  double committed_usd_per_hour = 0;  // hardware (amortised) paid whether used or not
  double running_usd_per_hour = 0;    // energy, hosting, or hourly rent: only while serving
};

struct BreakevenInputs {
  double demand_tokens_per_s = 0;
  ReplicaCost hardwired;
  ReplicaCost gpu;
  NreTerms nre;
  double lead_time_months = 0;   // model to silicon; GPUs serve meanwhile
  double commitment_months = 0;  // hard-wired silicon paid for at least this long
  double monthly_hazard = 0;     // P(model replaced in a month), in [0, 1)
  double horizon_months = 0;     // the longest a model can serve (hardware life)
  absl::Status Validate() const;
};

// Replicas needed for `demand` (at least one).
int64_t Replicas(const ReplicaCost& r, double demand_tokens_per_s);

// Total cost (USD) of serving the demand for a model that lives `months`.
double GpuCostUsd(const BreakevenInputs& in, double months);
double HardwiredCostUsd(const BreakevenInputs& in, double months);

struct Expected {
  double gpu_usd_per_million = 0;
  double hardwired_usd_per_million = 0;
  double expected_life_months = 0;
};
// E[cost] / E[tokens] over the lifetime distribution.
Expected ExpectedCost(const BreakevenInputs& in);

struct BreakevenResult {
  Expected expected;
  // Shortest model life at which hard-wired costs no more than GPUs
  // (nullopt: not within the horizon).
  std::optional<double> breakeven_life_months;
  // Highest monthly hazard at which hard-wired is still no dearer in
  // expectation (nullopt: not even at hazard 0).
  std::optional<double> breakeven_hazard;
  // Lowest demand (tokens/s) at which hard-wired is no dearer in
  // expectation, searched over [1, 1e9] (nullopt: none).
  std::optional<double> breakeven_demand_tokens_per_s;
};
absl::StatusOr<BreakevenResult> Breakeven(const BreakevenInputs& in);

struct CurvePoint {
  double x = 0;
  double gpu_usd_per_million = 0;
  double hardwired_usd_per_million = 0;
};
// $/M tokens against a known model life, months 0.5..horizon.
std::vector<CurvePoint> LifetimeCurve(const BreakevenInputs& in, int points);
// Expected $/M tokens against demand, log-spaced over [lo, hi].
std::vector<CurvePoint> DemandCurve(const BreakevenInputs& in, double lo, double hi, int points);

}  // namespace etchsim::cost

#endif  // ETCHSIM_COST_BREAKEVEN_H_
