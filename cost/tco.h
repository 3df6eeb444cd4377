// Cost of serving: hardware amortised over its life plus electricity, per
// million output tokens at the measured throughput.
#ifndef ETCHSIM_COST_TCO_H_
#define ETCHSIM_COST_TCO_H_

#include "absl/status/statusor.h"

namespace etchsim::cost {

struct CostInputs {
  int devices = 0;  // chips or GPUs
  int servers = 0;
  double device_price_usd = 0;
  double server_price_usd = 0;
  double amortization_years = 3;
  double electricity_usd_per_kwh = 0.10;
  double pue = 1.3;                // facility power / IT power
  double it_power_watts = 0;       // measured average: devices + servers
  double output_tokens_per_s = 0;  // measured
  // Capital cost of other hardware in the run (a disaggregated run's
  // prefill pool), amortised like the rest.
  double other_capex_usd = 0;
};

// Devices and servers at their prices (other_capex_usd not included).
inline double HardwareUsd(const CostInputs& ci) {
  return ci.devices * ci.device_price_usd + ci.servers * ci.server_price_usd;
}

struct CostBreakdown {
  double capex_usd = 0;
  double capex_usd_per_hour = 0;
  double energy_usd_per_hour = 0;
  double total_usd_per_hour = 0;
  // 0 when nothing was produced.
  double usd_per_million_tokens = 0;
};

// Hours in a year, 365.25 days.
inline constexpr double kHoursPerYear = 8766.0;

absl::StatusOr<CostBreakdown> ComputeCost(const CostInputs& in);

}  // namespace etchsim::cost

#endif  // ETCHSIM_COST_TCO_H_
