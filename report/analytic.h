// The analytic fast path: single-user latency and peak throughput computed
// directly from the same chip, fabric and plan models the event engine
// uses, without simulating queues. At low load the engine must agree with
// it (tested within 1%); at high load the engine adds the queueing.
#ifndef ETCHSIM_REPORT_ANALYTIC_H_
#define ETCHSIM_REPORT_ANALYTIC_H_

#include <cstdint>
#include <string>

#include "sim/simulation.h"

namespace etchsim::report {

struct AnalyticEstimate {
  int64_t input_len = 0;  // lengths used (means of the distributions)
  int64_t output_len = 0;
  double single_user_ttft_s = 0;
  double single_user_tpot_s = 0;  // mean over the decode steps
  double single_user_tokens_per_s = 0;
  double single_user_e2e_s = 0;
  int64_t max_concurrent_requests = 0;  // KV-cache bound
  double peak_output_tokens_per_s = 0;
  std::string bottleneck;  // what limits the peak
};

AnalyticEstimate Analyze(const sim::Simulation& sim);
// The mean of a length distribution (a lognormal's untruncated mean); 1
// for an unset one. The analytic estimate's lengths are this, rounded.
double MeanLength(const v1::LengthDist& d);

// Time for one decode step of a lone request whose item starts with
// `context` cached positions: from entering the first stage to entering it
// again (or, for the last step, to leaving the last stage).
double DecodeLoopSeconds(const sim::Simulation& sim, int64_t context);

}  // namespace etchsim::report

#endif  // ETCHSIM_REPORT_ANALYTIC_H_
