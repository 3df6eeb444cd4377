// The run report: what serving people measure, as JSON (stable key order,
// byte-identical for the same scenario and seed) or as readable tables.
#ifndef ETCHSIM_CLUSTER_REPORT_H_
#define ETCHSIM_CLUSTER_REPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "cluster/analytic.h"
#include "cluster/simulation.h"
#include "nlohmann/json.hpp"

namespace etchsim::cluster {

absl::StatusOr<nlohmann::ordered_json> ReportJson(const SimulationResult& r,
                                                  const AnalyticEstimate& a);
std::string ReportText(const nlohmann::ordered_json& report);

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_REPORT_H_
