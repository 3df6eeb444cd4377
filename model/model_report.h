// Renders a ModelSpec's accounting as JSON (for scripts) or a text table
// (for people). Both come from the same numbers.
#ifndef ETCHSIM_MODEL_MODEL_REPORT_H_
#define ETCHSIM_MODEL_MODEL_REPORT_H_

#include <cstdint>
#include <string>

#include "model/model_spec.h"
#include "nlohmann/json.hpp"

namespace etchsim::model {

struct AccountingOptions {
  KvDtype kv_dtype = KvDtype::kBf16;
  int64_t context_tokens = 1024;  // for decode FLOPs per token
  int64_t prompt_tokens = 1024;   // for prefill FLOPs
};

// Top level: total_params, active_params_per_token, kv_cache_bytes_per_token,
// num_layers (integers), components, weight_bytes per format, and a
// `layers` array with each layer's breakdown.
nlohmann::ordered_json ModelAccountingJson(const ModelSpec& m, const AccountingOptions& opt);

std::string ModelAccountingText(const ModelSpec& m, const AccountingOptions& opt);

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_MODEL_REPORT_H_
