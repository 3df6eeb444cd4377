// Bounds for a Scenario, from a --scenario file, flags or a StartRun RPC.
//
// Every number is finite and in a stated range; times fit the engine's
// clock (base::kMaxVirtualSeconds); counts that size memory (users,
// requests, arrivals, throughput windows) are capped before the run
// allocates anything from them. Errors read
//   scenario: workload.closed_loop.think_time_s must be a finite number in [0, 10000], got nan
#ifndef ETCHSIM_SIM_SCENARIO_VALIDATE_H_
#define ETCHSIM_SIM_SCENARIO_VALIDATE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "serving/limits.h"

namespace etchsim::sim {

// REQUIRES: ApplyDefaults(s) (or the fields it fills are set).
absl::Status ValidateScenario(const v1::Scenario& s);
// The KV policy block (kind, block size, preemption, swap bandwidth).
absl::Status ValidateKvPolicy(const v1::KvPolicy& k);
// The disaggregation block: ranges, and the options it does not combine with.
absl::Status ValidateDisaggregation(const v1::Scenario& s);
// The attention_ffn block: ranges, and the options it does not combine with.
absl::Status ValidateAttentionFfn(const v1::Scenario& s);

// One length distribution; `field` names it ("workload.input_len") or the
// flag it came from ("--input-len").
absl::Status ValidateLengthDist(const v1::LengthDist& d, absl::string_view field);

}  // namespace etchsim::sim

#endif  // ETCHSIM_SIM_SCENARIO_VALIDATE_H_
