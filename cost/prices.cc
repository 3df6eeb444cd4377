#include "cost/prices.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace etchsim::cost {

absl::StatusOr<double> GpuUsdPerHour(const std::string& gpu, const std::string& tier) {
  // Midpoints of the May 2026 on-demand ranges per GPU-hour (Mercatus
  // cloud GPU pricing guide): H100 SXM $3.50-5.00 hyperscaler, $2.50-3.50
  // specialty; H200 $4.50-7.00 and $3.50-4.50. B200: $4.50-6.00 on
  // specialised clouds (Lyceum Technologies, "NVIDIA B200 GPU Cloud
  // Pricing 2026", March 2026) and $8.00-14.24 at AWS for H200/B200
  // (packet.ai, "GPU Pricing Models Compared 2026", June 2026).
  static const auto* prices = new std::map<std::pair<std::string, std::string>, double>{
      {{"h100", "hyperscaler"}, 4.25},  {{"h100", "neocloud"}, 3.00},
      {{"h200", "hyperscaler"}, 5.75},  {{"h200", "neocloud"}, 4.00},
      {{"b200", "hyperscaler"}, 11.12}, {{"b200", "neocloud"}, 5.25},
  };
  if (tier != "hyperscaler" && tier != "neocloud") {
    return absl::InvalidArgumentError(
        absl::StrCat("--gpu-price must be hyperscaler, neocloud or own, got \"", tier, "\""));
  }
  auto it = prices->find({gpu, tier});
  if (it == prices->end()) {
    return absl::NotFoundError(
        absl::StrCat("no sourced ", tier, " hourly price for ", gpu,
                     "; give --gpu-usd-per-hour or --gpu-price=own (capex)"));
  }
  return it->second;
}

}  // namespace etchsim::cost
