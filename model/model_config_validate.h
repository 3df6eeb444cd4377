// Bounds for config.json: the edge check that lets model accounting use
// plain int64 arithmetic.
//
// Two layers: MaxConfigValue gives each integer field a ceiling the parser
// applies as it reads (so nothing is sized from an unchecked count), and
// ValidateModelConfig checks the totals that products of in-range fields can
// still blow up (parameters, KV bytes per token) before a ModelSpec is built.
// Ceilings sit 4-64x above the largest published models so every real
// config passes; see docs/assumptions.md.
#ifndef ETCHSIM_MODEL_MODEL_CONFIG_VALIDATE_H_
#define ETCHSIM_MODEL_MODEL_CONFIG_VALIDATE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "model/model_config.h"

namespace etchsim::model {

// Total parameters (1e14 = 150x DeepSeek R1) and KV bytes per token: int64
// byte and FLOP counts derived from them cannot overflow.
inline constexpr double kMaxModelParams = 1e14;
inline constexpr double kMaxKvBytesPerToken = double{int64_t{1} << 30};
// Recurrent state one sequence may hold (Qwen3.5-397B: 192 MB; 64 GiB
// leaves room for any such model while keeping counts of sequences x
// state far inside int64).
inline constexpr double kMaxStateBytesPerSequence = double{int64_t{1} << 36};

// Largest accepted value of integer field `field` of config.json.
int64_t MaxConfigValue(absl::string_view field);

// Cross-field totals. REQUIRES: `c` came from ParseModelConfig (every field
// already within MaxConfigValue).
absl::Status ValidateModelConfig(const ModelConfig& c);

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_MODEL_CONFIG_VALIDATE_H_
