// Published price points that cost models default to, each sourced in
// docs/assumptions.md §6. Every one is overridable by a flag.
#ifndef ETCHSIM_COST_PRICES_H_
#define ETCHSIM_COST_PRICES_H_

#include <string>

#include "absl/status/statusor.h"

namespace etchsim::cost {

// Rent of one GPU for an hour, on demand: tier "hyperscaler" (AWS, GCP,
// Azure) or "neocloud" (specialty GPU clouds). NotFound for a GPU or tier
// without a sourced price (pass the price explicitly then).
absl::StatusOr<double> GpuUsdPerHour(const std::string& gpu, const std::string& tier);

// Colocation hosting per kW of IT load per month (CBRE, North America,
// 250-500 kW requirement, H2 2024).
inline constexpr double kHostingUsdPerKwMonth = 184.06;

// A 7 nm-class (TSMC N6) photomask, per mask.
inline constexpr double kUsdPerMaskN6 = 150000;
// Masks that change from one model to the next on a Taalas-style ROM
// chip: the two upper via masks that encode the weights.
inline constexpr int kMasksChangedPerModel = 2;
// The wafer run of a new model: one lot (25 wafers, a FOUP) of engineering
// silicon for bring-up and qualification, not sold; a 7 nm-class wafer's
// foundry price (CSET, "AI Chips: What They Are and Why They Matter",
// 2020, Appendix: $9,346 at 7 nm).
inline constexpr int kWaferRunWafers = 25;
inline constexpr double kUsdPerWaferN6 = 9346;
// Model to silicon, and the minimum silicon commitment, in months.
inline constexpr double kLeadTimeMonths = 2;
inline constexpr double kCommitmentMonths = 12;

}  // namespace etchsim::cost

#endif  // ETCHSIM_COST_PRICES_H_
