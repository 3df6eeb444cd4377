#include "model/model_config_validate.h"

#include "absl/strings/str_cat.h"

namespace etchsim::model {
namespace {

struct Limit {
  absl::string_view field;
  int64_t max;
};
// Largest published values today, for scale: hidden 18,432 (Llama 3.1
// 405B: 16,384), 126 layers, 128 heads, 256 routed experts, 129,280-token
// vocabulary, head_dim 256, intermediate 53,248.
constexpr Limit kLimits[] = {
    {"hidden_size", int64_t{1} << 16},
    {"num_hidden_layers", 4096},
    {"num_attention_heads", 4096},
    {"num_key_value_heads", 4096},
    {"head_dim", 4096},
    {"intermediate_size", int64_t{1} << 20},
    {"moe_intermediate_size", int64_t{1} << 20},
    {"vocab_size", int64_t{1} << 24},
    {"max_position_embeddings", int64_t{1} << 27},
    {"num_local_experts", 65536},
    {"num_experts", 65536},
    {"n_routed_experts", 65536},
    {"num_experts_per_tok", 65536},
    {"n_shared_experts", 1024},
    {"first_k_dense_replace", 4096},
    {"moe_layer_freq", 4096},
    {"decoder_sparse_step", 4096},
    {"mlp_only_layers", 4096},
    {"q_lora_rank", 65536},
    {"kv_lora_rank", 65536},
    {"qk_nope_head_dim", 4096},
    {"qk_rope_head_dim", 4096},
    {"v_head_dim", 4096},
    {"num_nextn_predict_layers", 64},
    // Layer patterns (Gemma 3: 1,024-position windows every 6th layer full;
    // gpt-oss: 128; Llama 4: 8,192-position chunks).
    {"sliding_window", int64_t{1} << 27},
    {"attention_chunk_size", int64_t{1} << 27},
    {"sliding_window_pattern", 4096},
    {"max_window_layers", 4096},
    {"layer_types", 4096},
    {"no_rope_layers", 4096},
    {"no_rope_layer_interval", 4096},
    {"moe_layers", 4096},
    {"interleave_moe_layer_step", 4096},
    {"intermediate_size_mlp", int64_t{1} << 20},
    // Gated DeltaNet (Qwen3.5: 16 key heads, 64 value heads, dims 128,
    // kernel 4; full attention every 4th layer; one MTP layer).
    {"linear_num_key_heads", 4096},
    {"linear_num_value_heads", 4096},
    {"linear_key_head_dim", 4096},
    {"linear_value_head_dim", 4096},
    {"linear_conv_kernel_dim", 64},
    {"full_attention_interval", 4096},
    {"mtp_num_hidden_layers", 64},
    {"shared_expert_intermediate_size", int64_t{1} << 20},
};

}  // namespace

int64_t MaxConfigValue(absl::string_view field) {
  for (const Limit& l : kLimits) {
    if (l.field == field) return l.max;
  }
  return int64_t{1} << 20;  // any field added later still gets a ceiling
}

absl::Status ValidateModelConfig(const ModelConfig& c) {
  // Upper estimates in double: every term is a product of checked fields.
  const double h = static_cast<double>(c.hidden_size);
  const double heads = static_cast<double>(c.num_attention_heads);
  double attn = 0, kv_elems = 0;
  if (c.is_mla()) {
    const double qk = static_cast<double>(c.qk_nope_head_dim + c.qk_rope_head_dim);
    const double q_in = c.q_lora_rank > 0 ? static_cast<double>(c.q_lora_rank) : h;
    attn = static_cast<double>(c.q_lora_rank) * h + q_in * heads * qk +
           h * static_cast<double>(c.kv_lora_rank + c.qk_rope_head_dim) +
           static_cast<double>(c.kv_lora_rank) * heads *
               static_cast<double>(c.qk_nope_head_dim + c.v_head_dim) +
           heads * static_cast<double>(c.v_head_dim) * h;
    kv_elems = static_cast<double>(c.kv_lora_rank + c.qk_rope_head_dim);
  } else {
    const double hd = static_cast<double>(c.head_dim);
    attn = 2 * h * heads * hd + 2 * h * static_cast<double>(c.num_key_value_heads) * hd;
    kv_elems = 2 * static_cast<double>(c.num_key_value_heads) * hd;
  }
  const double experts = static_cast<double>(c.num_routed_experts + c.num_shared_experts);
  const double mlp = 3 * h *
                         (static_cast<double>(c.intermediate_size) +
                          static_cast<double>(c.moe_intermediate_size) * experts) +
                     h * static_cast<double>(c.num_routed_experts);
  const double layers = static_cast<double>(c.num_hidden_layers + c.num_nextn_predict_layers);
  // Gated DeltaNet projections (h (2 Kd + Vd) + h Vd + Vd h) and the conv,
  // counted on every layer as an upper bound; the shared expert's own width.
  const GatedDeltaNetConfig& g = c.gated_delta_net;
  const double kd = static_cast<double>(g.num_key_heads) * static_cast<double>(g.key_head_dim);
  const double vd = static_cast<double>(g.num_value_heads) * static_cast<double>(g.value_head_dim);
  const double gdn = h * (2 * kd + vd) + 2 * h * vd + (2 * kd + vd) * g.conv_kernel;
  const double shared = 3 * h * static_cast<double>(c.shared_expert_intermediate_size);
  const double params =
      layers * (attn + mlp + gdn + shared) + 2 * static_cast<double>(c.vocab_size) * h;
  if (params > kMaxModelParams) {
    return absl::InvalidArgumentError(
        absl::StrCat(c.source, ": the fields give about ", params, " parameters, more than the ",
                     kMaxModelParams,
                     " this simulator accepts (check \"num_hidden_layers\", "
                     "\"hidden_size\" and the expert counts)"));
  }
  // 4 bytes per element: the widest KV dtype.
  const double kv = 4 * kv_elems * layers;
  if (kv > kMaxKvBytesPerToken) {
    return absl::InvalidArgumentError(
        absl::StrCat(c.source, ": the attention fields give ", kv,
                     " KV-cache bytes per token, more than the ", kMaxKvBytesPerToken,
                     " this simulator accepts (check \"num_key_value_heads\" and \"head_dim\")"));
  }
  // The recurrent state a sequence holds, at 4 bytes per element: bounded
  // like the KV cache, so no count formed from it can overflow.
  const double state =
      static_cast<double>(c.num_hidden_layers) *
      ((2 * kd + vd) * static_cast<double>(g.conv_kernel) * 2 +
       static_cast<double>(g.num_value_heads) * static_cast<double>(g.key_head_dim) *
           static_cast<double>(g.value_head_dim) * 4);
  if (state > kMaxStateBytesPerSequence) {
    return absl::InvalidArgumentError(absl::StrCat(
        c.source, ": the linear-attention fields give ", state,
        " bytes of recurrent state per sequence, more than the ", kMaxStateBytesPerSequence,
        " this simulator accepts (check \"linear_num_value_heads\" and the head dims)"));
  }
  return absl::OkStatus();
}

}  // namespace etchsim::model
