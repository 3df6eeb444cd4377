// Builds a Scenario from defaults, an optional --scenario file and the
// flags given on the command line (which win).
#ifndef ETCHSIM_TOOLS_SCENARIO_FLAGS_H_
#define ETCHSIM_TOOLS_SCENARIO_FLAGS_H_

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "tools/cli.h"

namespace etchsim::tools {

// Flags given, validated: a range error names the flag ("--warmup must be
// a finite number in [0, 900000], got inf").
absl::StatusOr<v1::Scenario> ScenarioFromFlags(const Invocation& inv);

// String flags that name something (--model, --chip, --topology, ...) are
// non-empty and valid UTF-8 when given: an empty one would silently mean
// the default.
absl::Status CheckNamedFlags(const Invocation& inv);

// A second pool from its flag's text: --prefill-pool CHIP[:CHIPS[:TP]]
// into `d`, --attention-pool CHIP[:N] into `a`; errors name the flag.
absl::Status ParsePrefillPool(absl::string_view spec, v1::Disaggregation& d);
absl::Status ParseAttentionPool(absl::string_view spec, v1::AttentionFfn& a);

}  // namespace etchsim::tools

#endif  // ETCHSIM_TOOLS_SCENARIO_FLAGS_H_
