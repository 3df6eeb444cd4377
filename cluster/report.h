// The run report: what serving people measure, as JSON (stable key order,
// byte-identical for the same scenario and seed) or as readable tables.
#ifndef ETCHSIM_CLUSTER_REPORT_H_
#define ETCHSIM_CLUSTER_REPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "cluster/analytic.h"
#include "cluster/simulation.h"
#include "cost/tco.h"
#include "nlohmann/json.hpp"

namespace etchsim::cluster {

// Prices, amortisation and energy rates for a cluster of `devices` chips in
// `servers` servers: the scenario's cost block, falling back to the chip's
// list prices. Power and throughput are left for the caller.
cost::CostInputs CostInputsFor(const v1::Scenario& s, const v1::ChipSpec& chip, int devices,
                               int servers);
// Server overhead power: the scenario's override, else the chip's figure.
double ServerOverheadWatts(const v1::Scenario& s, const v1::ChipSpec& chip);

absl::StatusOr<nlohmann::ordered_json> ReportJson(const SimulationResult& r,
                                                  const AnalyticEstimate& a);
std::string ReportText(const nlohmann::ordered_json& report);

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_REPORT_H_
