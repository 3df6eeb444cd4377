// The config.json fields of the architectures whose layers differ from one
// another (sliding-window and chunked attention, interleaved MoE) or carry
// extra parameters (sinks, expert biases, extra norms): Qwen3, Phi-3,
// Gemma 2/3, gpt-oss and Llama 4. Internal to model/; the rules follow each
// architecture's `transformers` config and modeling classes (cited in
// docs/models.md).
#ifndef ETCHSIM_MODEL_CONFIG_FAMILIES_H_
#define ETCHSIM_MODEL_CONFIG_FAMILIES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "model/config_reader.h"
#include "model/model_config.h"

namespace etchsim::model {

// Defaults of the architecture's transformers config class for fields that
// published configs omit. 0 = no default (the field is required, or derived).
struct FamilyDefaults {
  int64_t vocab_size = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 4096;
  bool tie_word_embeddings = false;
};
FamilyDefaults DefaultsOf(Architecture a);

// Reads the family's own fields into `c`: biases, norms, sinks, experts,
// which layers are MoE and each layer's attention span. `top` reads the top
// level (quantization_config), `text` the text model's fields.
// REQUIRES: the common fields of `c` are set, `c.moe_layer` and
// `c.attention_span` have num_hidden_layers entries.
absl::Status ParseFamilyFields(const ConfigReader& top, const ConfigReader& text, ModelConfig& c);

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_CONFIG_FAMILIES_H_
