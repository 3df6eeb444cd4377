// Verification: the sharded execution against the reference, tensor by
// tensor, and what each weight format costs against BF16.
#ifndef ETCHSIM_FUNCTIONAL_VERIFY_H_
#define ETCHSIM_FUNCTIONAL_VERIFY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "functional/execute.h"

namespace etchsim::functional {

// The first recorded tensor (in the reference's order: step, layer, then
// attn, route, experts, ffn, out; logits last) that differs.
struct Mismatch {
  int step = 0;
  int layer = 0;
  int chip = -1;  // the sharded chip that produced it (-1: it produced none)
  std::string tensor;
  int index = -1;  // first differing element (-1: missing or extra tensor)
  int64_t expected = 0;
  int64_t got = 0;
  std::string what;  // one line for the report
};
std::optional<Mismatch> FirstMismatch(const std::vector<v1::FunctionalTrace>& reference,
                                      const std::vector<v1::FunctionalTrace>& sharded,
                                      int num_layers);

// Parses "drop-expert:LAYER:EXPERT", "skip-layer:LAYER", "stale-kv:LAYER"
// (or "" for none) against the model.
absl::StatusOr<v1::FunctionalFault> ParseFault(absl::string_view text, const Arch& arch);

// Per format: logits of the model quantized to it, teacher-forced on the
// BF16 model's greedy sequence, against the BF16 logits.
struct QuantRow {
  std::string format;
  double bits_per_param = 0;
  double rms_logit_error = 0;  // over every step and vocabulary entry
  double max_logit_error = 0;
  double relative_rms_error = 0;  // rms error / rms of the BF16 logits
  double top1_agreement = 0;      // fraction of steps with the same argmax
  int steps = 0;
};
absl::StatusOr<std::vector<QuantRow>> QuantizationReport(const Arch& arch,
                                                         const TensorFile& weights,
                                                         const DecodeOptions& o);

}  // namespace etchsim::functional

#endif  // ETCHSIM_FUNCTIONAL_VERIFY_H_
