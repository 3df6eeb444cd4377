// The run report: a typed v1::Report built once from a run's result, and
// its two renderings: JSON (keys in the message's field order, byte-
// identical for the same scenario and seed) and readable tables.
#ifndef ETCHSIM_REPORT_REPORT_H_
#define ETCHSIM_REPORT_REPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "cost/tco.h"
#include "nlohmann/json.hpp"
#include "proto/etchsim/v1/report.pb.h"
#include "report/analytic.h"
#include "sim/simulation.h"

namespace etchsim::report {

// The hardware of a run, every pool counted: prices from `priced`'s cost
// block (its overrides describe the decode pool; a prefill pool is at its
// chip's figures, as capex in other_capex_usd) and the IT power of a second
// in which every device is busy a fraction `busy` of the time (0: idle).
// Throughput is left for the caller.
cost::CostInputs HardwareCostInputs(const sim::SimulationResult& r, const v1::Scenario& priced,
                                    double busy);

// Fails only if the cost inputs are invalid (cost::ComputeCost).
absl::StatusOr<v1::Report> BuildReport(const sim::SimulationResult& r, const AnalyticEstimate& a);

nlohmann::ordered_json ReportJson(const v1::Report& report);
// ReportJson pretty-printed with a trailing newline: the bytes golden tests
// and --out files hold.
std::string ReportJsonText(const v1::Report& report);
std::string ReportText(const v1::Report& report);

}  // namespace etchsim::report

#endif  // ETCHSIM_REPORT_REPORT_H_
