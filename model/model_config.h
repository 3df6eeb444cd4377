// ModelConfig: the fields of a Hugging Face config.json that determine a
// model's parameters, KV cache and FLOPs, validated.
//
// Parsing is strict about what matters and lenient about the rest: unknown
// keys (dropout, token ids, rope scaling) are ignored, but every field the
// accounting uses must be present (or have the default the architecture's
// transformers config class gives it), have the right JSON type, and be in
// range. Errors name the file and the field:
//   deepseek-r1.json: "num_hidden_layers" must be > 0, got -3
#ifndef ETCHSIM_MODEL_MODEL_CONFIG_H_
#define ETCHSIM_MODEL_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace etchsim::model {

enum class Architecture {
  kLlama,       // LlamaForCausalLM
  kMistral,     // MistralForCausalLM
  kMixtral,     // MixtralForCausalLM
  kQwen2,       // Qwen2ForCausalLM
  kQwen3Moe,    // Qwen3MoeForCausalLM
  kDeepseekV3,  // DeepseekV3ForCausalLM
  kQwen3,       // Qwen3ForCausalLM
  kDeepseekV2,  // DeepseekV2ForCausalLM
  kPhi3,        // Phi3ForCausalLM
  kGemma2,      // Gemma2ForCausalLM
  kGemma3,      // Gemma3ForCausalLM, or the text model of
                // Gemma3ForConditionalGeneration
  kGptOss,      // GptOssForCausalLM
  kLlama4,      // the text model of Llama4ForConditionalGeneration
                // (or Llama4ForCausalLM)
  kQwen35,      // the text model of Qwen3_5ForConditionalGeneration
                // (Qwen3.5, Qwen3.6): gated DeltaNet mixed with attention
  kQwen35Moe,   // the same with MoE (Qwen3_5MoeForConditionalGeneration)
};

// What mixes positions in a layer: attention over a cache that grows with
// the context, or a linear-attention recurrence whose state has a fixed
// size per sequence.
enum class MixerKind {
  kAttention,
  kGatedDeltaNet,  // Qwen3.5's Qwen3_5GatedDeltaNet (delta rule, gated)
};

// A gated DeltaNet mixer's geometry (Qwen3_5TextConfig's linear_* fields).
struct GatedDeltaNetConfig {
  int64_t num_key_heads = 0;    // linear_num_key_heads
  int64_t key_head_dim = 0;     // linear_key_head_dim
  int64_t num_value_heads = 0;  // linear_num_value_heads
  int64_t value_head_dim = 0;   // linear_value_head_dim
  int64_t conv_kernel = 0;      // linear_conv_kernel_dim
  int64_t state_bytes = 4;      // per recurrent-state element (mamba_ssm_dtype)
};

// Which positions a layer's attention reads, and so what its KV cache keeps.
enum class AttentionSpan {
  kFull,     // every earlier position
  kSliding,  // the last `window` positions, itself included
  kChunked,  // positions of its own chunk of `window` (Llama 4)
};

// The HF class name, e.g. "DeepseekV3ForCausalLM".
absl::string_view ArchitectureName(Architecture a);
// All supported class names, comma separated, for error messages.
std::string SupportedArchitectures();

struct ModelConfig {
  std::string name;    // bundled name or file stem, e.g. "deepseek-r1"
  std::string source;  // the path, or "bundled:<name>"
  Architecture architecture = Architecture::kLlama;

  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;           // q/k/v head dimension (GQA)
  int64_t intermediate_size = 0;  // dense MLP width (0 if no dense layer)
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // bias on q/k/v/o (Llama) or q/k/v (Qwen2)
  bool mlp_bias = false;
  bool qk_norm = false;  // per-head RMSNorm on q and k (Qwen3)
  // RMSNorms per decoder layer: 2 (input, post-attention); Gemma 2/3 add
  // pre- and post-feedforward norms: 4.
  int64_t norms_per_layer = 2;
  bool attention_sinks = false;  // one learned sink logit per head (gpt-oss)
  bool expert_bias = false;      // biases on every expert matrix (gpt-oss)

  // Per layer (size num_hidden_layers): attention or a linear recurrence;
  // the recurrent layers' geometry.
  std::vector<MixerKind> mixer;
  GatedDeltaNetConfig gated_delta_net;
  bool attn_output_gate = false;  // q_proj also emits an output gate (Qwen3.5)

  // Per layer (size num_hidden_layers): what the attention reads, with
  // `attention_window` positions for sliding and chunked layers.
  std::vector<AttentionSpan> attention_span;
  int64_t attention_window = 0;  // sliding_window or attention_chunk_size

  // The checkpoint's own storage format of its routed experts ("mxfp4" for
  // gpt-oss, from quantization_config.quant_method); empty = bf16 weights.
  std::string native_expert_format;
  // Set for multimodal checkpoints (e.g. "Gemma3ForConditionalGeneration"):
  // only the text model (text_config) is counted; the vision tower is not.
  std::string multimodal_wrapper;

  // Mixture of experts. num_routed_experts == 0 means dense.
  int64_t num_routed_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t moe_intermediate_size = 0;
  int64_t num_shared_experts = 0;
  // Width of the shared expert when it is not moe_intermediate_size x
  // num_shared_experts (Qwen3.5's shared_expert_intermediate_size); 0 = that.
  int64_t shared_expert_intermediate_size = 0;
  bool shared_expert_gate = false;  // a sigmoid gate h -> 1 on the shared expert
  bool router_bias = false;         // DeepSeek's e_score_correction_bias, gpt-oss's router bias
  // Which layers are MoE (size num_hidden_layers).
  std::vector<bool> moe_layer;

  // Multi-head latent attention (DeepSeek V3/R1). kv_lora_rank > 0 = MLA.
  int64_t q_lora_rank = 0;  // 0 = q_proj without low-rank compression
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  int64_t num_nextn_predict_layers = 0;  // MTP modules (Qwen3.5: mtp_num_hidden_layers)

  bool is_mla() const { return kv_lora_rank > 0; }
  bool is_moe() const { return num_routed_experts > 0; }
};

// Parses config.json text. `source_name` is used in every error message
// (normally the file path).
absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text,
                                             const std::string& source_name);

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_MODEL_CONFIG_H_
