// Service-level objectives on percentiles of the run report's latency
// distributions, parsed from "ttft_p99<=500ms,tpot_p99<=30ms" or named
// sets (the MLPerf Inference latency limits, docs/assumptions.md §7).
#ifndef ETCHSIM_PLAN_SLO_H_
#define ETCHSIM_PLAN_SLO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/report.pb.h"

namespace etchsim::plan {

struct SloTerm {
  std::string metric;  // ttft | tpot | itl | e2e: report field <metric>_s
  std::string stat;    // mean | p50 | p90 | p99
  double limit_s = 0;
  std::string Describe() const;  // "tpot_p99<=30ms"
};

struct Slo {
  std::string name;  // the named set, or the spec as given
  std::vector<SloTerm> terms;
};

// `spec` is a comma list of METRIC_STAT<=VALUE[s|ms|us] or a named set
// ("mlperf-server", "mlperf-interactive") for `model`. Errors name the
// flag and the term.
absl::StatusOr<Slo> ParseSlo(const std::string& spec, const std::string& model);

// The report's value of the term's statistic, in seconds.
double Observed(const v1::Report& r, const SloTerm& t);

struct SloCheck {
  bool met = true;
  // The term furthest over (or closest to) its limit, and observed/limit.
  std::string binding;
  double ratio = 0;
};
SloCheck Check(const Slo& slo, const v1::Report& r);

}  // namespace etchsim::plan

#endif  // ETCHSIM_PLAN_SLO_H_
