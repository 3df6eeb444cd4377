#include "cost/tco.h"

#include "absl/strings/str_cat.h"

namespace etchsim::cost {

absl::StatusOr<CostBreakdown> ComputeCost(const CostInputs& in) {
  if (!(in.amortization_years > 0)) {
    return absl::InvalidArgumentError("cost: amortization_years must be > 0");
  }
  if (in.pue < 1) return absl::InvalidArgumentError("cost: pue must be >= 1");
  CostBreakdown c;
  c.capex_usd = HardwareUsd(in) + in.other_capex_usd;
  c.capex_usd_per_hour = c.capex_usd / (in.amortization_years * kHoursPerYear);
  c.energy_usd_per_hour = in.it_power_watts * in.pue / 1000.0 * in.electricity_usd_per_kwh;
  c.total_usd_per_hour = c.capex_usd_per_hour + c.energy_usd_per_hour;
  const double tokens_per_hour = in.output_tokens_per_s * 3600.0;
  c.usd_per_million_tokens = tokens_per_hour > 0 ? c.total_usd_per_hour / tokens_per_hour * 1e6 : 0;
  return c;
}

}  // namespace etchsim::cost
