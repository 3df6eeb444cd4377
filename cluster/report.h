// The run report: a typed v1::Report built once from a run's result, and
// its two renderings: JSON (keys in the message's field order, byte-
// identical for the same scenario and seed) and readable tables.
#ifndef ETCHSIM_CLUSTER_REPORT_H_
#define ETCHSIM_CLUSTER_REPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "cluster/analytic.h"
#include "cluster/simulation.h"
#include "cost/tco.h"
#include "nlohmann/json.hpp"
#include "proto/etchsim/v1/report.pb.h"

namespace etchsim::cluster {

// The hardware of a run, every pool counted: prices from `priced`'s cost
// block (its overrides describe the decode pool; a prefill pool is at its
// chip's figures, as capex in other_capex_usd) and the IT power of a second
// in which every device is busy a fraction `busy` of the time (0: idle).
// Throughput is left for the caller.
cost::CostInputs HardwareCostInputs(const SimulationResult& r, const v1::Scenario& priced,
                                    double busy);

// Fails only if the cost inputs are invalid (cost::ComputeCost).
absl::StatusOr<v1::Report> BuildReport(const SimulationResult& r, const AnalyticEstimate& a);

nlohmann::ordered_json ReportJson(const v1::Report& report);
// ReportJson pretty-printed with a trailing newline: the bytes golden tests
// and --out files hold.
std::string ReportJsonText(const v1::Report& report);
std::string ReportText(const v1::Report& report);

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_REPORT_H_
