// Service-level objectives on percentiles of the run report's latency
// distributions, parsed from "ttft_p99<=500ms,tpot_p99<=30ms" or named
// sets (the MLPerf Inference latency limits, docs/assumptions.md §7).
#ifndef ETCHSIM_PLAN_SLO_H_
#define ETCHSIM_PLAN_SLO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/report.pb.h"
#include "serving/host_lp.h"

namespace etchsim::plan {

struct SloTerm {
  // ttft | tpot | itl | e2e: report field <metric>_s, an upper bound in
  // seconds; tps_user: tokens/s per user (report field
  // tokens_per_s_per_user), a lower bound ("tps_user_p10>=50").
  std::string metric;
  std::string stat;    // mean, or pN for any percentile N in [1, 99.99] (p50, p95, p99.9)
  double limit_s = 0;  // seconds, or tok/s for tps_user
  bool at_least() const { return metric == "tps_user"; }
  std::string Describe() const;  // "tpot_p99<=30ms", "tps_user_p10>=50"
  // The percentile as a fraction (0.999 for p99.9); 0 for the mean.
  double Quantile() const;
};

struct Slo {
  std::string name;  // the named set, or the spec as given
  std::vector<SloTerm> terms;
};

// `spec` is a comma list of METRIC_STAT<=VALUE[s|ms|us] (or
// tps_user_STAT>=TOKENS_PER_S) or a named set
// ("mlperf-server", "mlperf-interactive") for `model`. Errors name the
// flag and the term.
absl::StatusOr<Slo> ParseSlo(const std::string& spec, const std::string& model);

// A run's samples of a metric (ttft, tpot, itl, e2e; picoseconds); null
// for another name.
using LatencySamples = const base::LogHistogram serving::HostResult::*;
LatencySamples SamplesOf(const std::string& metric);

// The term's statistic in seconds, from a run's latency histograms: any
// percentile. For the mean, p50, p90 and p99 it equals the report's figure
// (the report is summarised from the same histograms).
double Observed(const serving::HostResult& h, const SloTerm& t);
// From a report: only the statistics a report carries (mean, p50, p90,
// p99); NaN for any other percentile.
double Observed(const v1::Report& r, const SloTerm& t);

struct SloCheck {
  bool met = true;
  // The term furthest over (or closest to) its limit, and observed/limit.
  std::string binding;
  double ratio = 0;
};
SloCheck Check(const Slo& slo, const serving::HostResult& h);
// REQUIRES: every term's statistic is one a report carries.
SloCheck Check(const Slo& slo, const v1::Report& r);

}  // namespace etchsim::plan

#endif  // ETCHSIM_PLAN_SLO_H_
