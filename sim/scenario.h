// Scenario loading and validation.
//
// A scenario comes from defaults (the README's default job: DeepSeek R1 on
// 30 hc2 chips, one user, 1,024 input / 1,024 output tokens), then a
// --scenario text proto, then flags; Validate() checks every field and
// names the one that is wrong.
#ifndef ETCHSIM_SIM_SCENARIO_H_
#define ETCHSIM_SIM_SCENARIO_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "sim/scenario_validate.h"

namespace etchsim::sim {

// The default scenario.
v1::Scenario DefaultScenario();

// Parses a text-format Scenario; errors carry `source` and the position.
absl::StatusOr<v1::Scenario> ParseScenario(const std::string& text, const std::string& source);
absl::StatusOr<v1::Scenario> LoadScenarioFile(const std::string& path);

// Fills unset fields with defaults (every field DefaultScenario sets).
void ApplyDefaults(v1::Scenario& s);

// Declared in sim/scenario_validate.h (ValidateScenario).

// Length distribution from a flag value: "1024", "uniform:512:2048",
// "lognormal:1024:0.5" (median:sigma) or "lognormal:1024:0.5:8192" (cap).
absl::StatusOr<v1::LengthDist> ParseLengthDist(const std::string& spec, const std::string& flag);
std::string DescribeLengthDist(const v1::LengthDist& d);
// Largest value the distribution can produce (-1 = unbounded).
int64_t MaxOf(const v1::LengthDist& d);

}  // namespace etchsim::sim

#endif  // ETCHSIM_SIM_SCENARIO_H_
