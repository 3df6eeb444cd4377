// Builds a Scenario from defaults, an optional --scenario file and the
// flags given on the command line (which win).
#ifndef ETCHSIM_TOOLS_SCENARIO_FLAGS_H_
#define ETCHSIM_TOOLS_SCENARIO_FLAGS_H_

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "tools/cli.h"

namespace etchsim::tools {

absl::StatusOr<v1::Scenario> ScenarioFromFlags(const Invocation& inv);

}  // namespace etchsim::tools

#endif  // ETCHSIM_TOOLS_SCENARIO_FLAGS_H_
