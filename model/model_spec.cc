#include "model/model_spec.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/bounds.h"
#include "model/weight_format.h"

namespace etchsim::model {

int64_t SumParams(const std::vector<Matmul>& ms) {
  int64_t s = 0;
  for (const Matmul& m : ms) s += m.params();
  return s;
}

int64_t SumWeights(const std::vector<Matmul>& ms) {
  int64_t s = 0;
  for (const Matmul& m : ms) s += m.weights();
  return s;
}

int64_t ActivationBytes(int64_t tokens, int64_t hidden_size, double bytes_per_element) {
  return std::llround(tokens * hidden_size * bytes_per_element);
}

namespace {

int MaxStep(const std::vector<Matmul>& ms) {
  int s = -1;
  for (const Matmul& m : ms) s = std::max(s, m.step);
  return s;
}

// Appends the attention block to `layer`; returns the next free step.
int BuildGqaAttention(const ModelConfig& c, LayerSpec& l) {
  const int64_t h = c.hidden_size;
  const int64_t q_out = c.num_attention_heads * c.head_dim;
  const int64_t kv_out = c.num_key_value_heads * c.head_dim;
  // Qwen3.5's attn_output_gate: q_proj emits the query and a sigmoid gate
  // on the attention output (h -> 2 x heads x head_dim).
  const int64_t q_proj_out = c.attn_output_gate ? 2 * q_out : q_out;
  const bool qkv_bias = c.attention_bias;
  // Qwen2 puts bias on q/k/v only; Llama's and Qwen3's attention_bias also
  // covers o_proj.
  const bool o_bias = c.attention_bias && c.architecture != Architecture::kQwen2;
  l.attention_kind = AttentionKind::kGqa;
  l.num_heads = c.num_attention_heads;
  l.num_kv_heads = c.num_key_value_heads;
  l.head_dim = c.head_dim;
  l.v_head_dim = c.head_dim;
  l.attention = {
      {"q_proj", h, q_proj_out, qkv_bias, 0},
      {"k_proj", h, kv_out, qkv_bias, 0},
      {"v_proj", h, kv_out, qkv_bias, 0},
      {"o_proj", q_out, h, o_bias, 1},
  };
  l.attention_core_after = 0;
  l.attention_norm_params = c.qk_norm ? 2 * c.head_dim : 0;
  l.attention_sink_params = c.attention_sinks ? c.num_attention_heads : 0;
  return 2;
}

// Qwen3_5GatedDeltaNet: in_proj_qkv h -> C (C = 2 Kd + Vd, the conv
// channels), in_proj_z h -> Vd (output gate), in_proj_b and in_proj_a
// h -> value heads, the depthwise conv1d [C, 1, kernel] without bias,
// dt_bias and A_log per value head, a gated RMSNorm of value_head_dim, and
// out_proj Vd -> h. Returns the next free step.
int BuildGatedDeltaNet(const ModelConfig& c, LayerSpec& l) {
  const GatedDeltaNetConfig& g = c.gated_delta_net;
  const int64_t h = c.hidden_size;
  const int64_t kd = g.num_key_heads * g.key_head_dim;
  const int64_t vd = g.num_value_heads * g.value_head_dim;
  const int64_t conv = 2 * kd + vd;
  l.mixer = MixerKind::kGatedDeltaNet;
  l.attention_kind = AttentionKind::kGqa;
  l.num_heads = l.num_kv_heads = l.head_dim = l.v_head_dim = 0;  // no KV cache
  l.attention = {
      {"in_proj_qkv", h, conv, false, 0},
      {"in_proj_z", h, vd, false, 0},
      {"in_proj_b", h, g.num_value_heads, false, 0},
      {"in_proj_a", h, g.num_value_heads, false, 0},
      {"out_proj", vd, h, false, 1},
  };
  l.attention_core_after = 0;  // the recurrence runs between the two steps
  l.mixer_params = conv * g.conv_kernel + 2 * g.num_value_heads + g.value_head_dim;
  const int64_t state_elements = g.num_value_heads * g.key_head_dim * g.value_head_dim;
  l.state_bytes = conv * (g.conv_kernel - 1) * 2 + state_elements * g.state_bytes;
  l.state_macs_per_token = 3 * state_elements + conv * g.conv_kernel;
  return 2;
}

int BuildMlaAttention(const ModelConfig& c, LayerSpec& l) {
  const int64_t h = c.hidden_size;
  const int64_t heads = c.num_attention_heads;
  const int64_t qk_head = c.qk_nope_head_dim + c.qk_rope_head_dim;
  l.attention_kind = AttentionKind::kMla;
  l.num_heads = heads;
  l.num_kv_heads = 1;  // one shared latent per token
  l.head_dim = qk_head;
  l.v_head_dim = c.v_head_dim;
  l.kv_lora_rank = c.kv_lora_rank;
  l.qk_rope_head_dim = c.qk_rope_head_dim;
  int q_ready;  // step that produces the query
  if (c.q_lora_rank > 0) {
    l.attention.push_back({"q_a_proj", h, c.q_lora_rank, c.attention_bias, 0});
    l.attention.push_back({"q_b_proj", c.q_lora_rank, heads * qk_head, false, 1});
    l.attention_norm_params += c.q_lora_rank;  // q_a_layernorm
    q_ready = 1;
  } else {
    l.attention.push_back({"q_proj", h, heads * qk_head, false, 0});
    q_ready = 0;
  }
  l.attention.push_back(
      {"kv_a_proj_with_mqa", h, c.kv_lora_rank + c.qk_rope_head_dim, c.attention_bias, 0});
  l.attention_norm_params += c.kv_lora_rank;  // kv_a_layernorm
  // kv_b_proj (kv_lora_rank -> heads*(nope+v)) is one matrix in the
  // checkpoint; decode uses its key half on the query (absorption, before
  // the attention core) and its value half on the output (after), so it is
  // listed as the two halves it is applied as. Their sum is the matrix.
  const int absorb = q_ready + 1;
  l.attention.push_back({"kv_b_proj.k", c.kv_lora_rank, heads * c.qk_nope_head_dim, false, absorb});
  l.attention_core_after = absorb;
  l.attention.push_back({"kv_b_proj.v", c.kv_lora_rank, heads * c.v_head_dim, false, absorb + 1});
  l.attention.push_back({"o_proj", heads * c.v_head_dim, h, c.attention_bias, absorb + 2});
  return absorb + 3;
}

void BuildFfn(const ModelConfig& c, bool moe, int step, LayerSpec& l) {
  const int64_t h = c.hidden_size;
  if (!moe) {
    l.ffn_kind = FfnKind::kDense;
    const int64_t i = c.intermediate_size;
    l.dense_mlp = {{"gate_proj", h, i, c.mlp_bias, step},
                   {"up_proj", h, i, c.mlp_bias, step},
                   {"down_proj", i, h, c.mlp_bias, step + 1}};
    return;
  }
  l.ffn_kind = FfnKind::kMoe;
  l.num_routed_experts = c.num_routed_experts;
  l.experts_per_token = c.num_experts_per_tok;
  l.router = Matmul{"router", h, c.num_routed_experts, false, step};
  l.router_bias_params = c.router_bias ? c.num_routed_experts : 0;
  const int64_t e = c.moe_intermediate_size;
  // gpt-oss: gate_up_proj_bias (2e) and down_proj_bias (h) per expert.
  const bool eb = c.expert_bias;
  l.expert = {{"gate_proj", h, e, eb, step + 1},
              {"up_proj", h, e, eb, step + 1},
              {"down_proj", e, h, eb, step + 2}};
  if (c.num_shared_experts > 0) {
    // DeepseekV3MoE builds one MLP of width moe_intermediate_size *
    // n_shared_experts for all shared experts; Llama 4 has one; Qwen3.5
    // gives its one shared expert its own width and a gate h -> 1.
    const int64_t s = c.shared_expert_intermediate_size > 0 ? c.shared_expert_intermediate_size
                                                            : e * c.num_shared_experts;
    l.num_shared_experts = c.num_shared_experts;
    l.shared_expert = {{"shared.gate_proj", h, s, false, step + 1},
                       {"shared.up_proj", h, s, false, step + 1},
                       {"shared.down_proj", s, h, false, step + 2}};
    if (c.shared_expert_gate) l.shared_expert.push_back({"shared.gate", h, 1, false, step + 1});
  }
}

LayerSpec BuildLayer(const ModelConfig& c, int index, bool moe) {
  LayerSpec l;
  l.index = index;
  const bool recurrent =
      index < static_cast<int>(c.mixer.size()) && c.mixer[index] == MixerKind::kGatedDeltaNet;
  const int ffn_step = recurrent    ? BuildGatedDeltaNet(c, l)
                       : c.is_mla() ? BuildMlaAttention(c, l)
                                    : BuildGqaAttention(c, l);
  l.layer_norm_params = c.norms_per_layer * c.hidden_size;
  if (index < static_cast<int>(c.attention_span.size())) {
    l.attention_span = c.attention_span[index];
    if (l.attention_span != AttentionSpan::kFull) l.attention_window = c.attention_window;
  }
  BuildFfn(c, moe, ffn_step, l);
  return l;
}

}  // namespace

absl::StatusOr<KvDtype> ParseKvDtype(absl::string_view name) {
  if (name == "bf16") return KvDtype::kBf16;
  if (name == "fp16") return KvDtype::kFp16;
  if (name == "fp8") return KvDtype::kFp8;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown KV dtype \"", base::Excerpt(name), "\" (known: bf16, fp16, fp8)"));
}

int KvDtypeBytes(KvDtype d) { return d == KvDtype::kFp8 ? 1 : 2; }

absl::string_view KvDtypeName(KvDtype d) {
  switch (d) {
    case KvDtype::kBf16:
      return "bf16";
    case KvDtype::kFp16:
      return "fp16";
    case KvDtype::kFp8:
      return "fp8";
  }
  return "?";
}

int LayerSpec::num_steps() const {
  int s = MaxStep(attention);
  s = std::max(s, MaxStep(dense_mlp));
  s = std::max(s, MaxStep(expert));
  if (router) s = std::max(s, router->step);
  return s + 1;
}

int64_t LayerSpec::AttentionParams() const {
  return SumParams(attention) + attention_norm_params + attention_sink_params + mixer_params;
}
int64_t LayerSpec::DenseMlpParams() const { return SumParams(dense_mlp); }
int64_t LayerSpec::RouterParams() const {
  return router ? router->params() + router_bias_params : 0;
}
int64_t LayerSpec::ExpertParams() const { return SumParams(expert); }
int64_t LayerSpec::SharedExpertParams() const { return SumParams(shared_expert); }

int64_t LayerSpec::Params() const {
  return AttentionParams() + layer_norm_params + DenseMlpParams() + RouterParams() +
         RoutedExpertParams() + SharedExpertParams();
}

int64_t LayerSpec::ActiveParams() const {
  return AttentionParams() + layer_norm_params + DenseMlpParams() + RouterParams() +
         experts_per_token * ExpertParams() + SharedExpertParams();
}

int64_t LayerSpec::ActiveMatmulWeights() const {
  int64_t w = SumWeights(attention) + SumWeights(dense_mlp) + SumWeights(shared_expert) +
              experts_per_token * SumWeights(expert);
  if (router) w += router->weights();
  return w;
}

int64_t LayerSpec::KvElementsPerToken() const {
  if (attention_kind == AttentionKind::kMla) return kv_lora_rank + qk_rope_head_dim;
  return 2 * num_kv_heads * head_dim;
}

int64_t LayerSpec::CachedPositions(int64_t length) const {
  if (attention_span == AttentionSpan::kFull) return length;
  return std::min(length, attention_window);
}

int64_t LayerSpec::AttendedPositions(int64_t context) const {
  switch (attention_span) {
    case AttentionSpan::kFull:
      return context;
    case AttentionSpan::kSliding:
      return std::min(context, attention_window);
    case AttentionSpan::kChunked:
      return context <= 0 ? 0 : (context - 1) % attention_window + 1;
  }
  return context;
}

int64_t LayerSpec::PrefillPairs(int64_t length) const {
  const int64_t w = attention_window;
  switch (attention_span) {
    case AttentionSpan::kFull:
      break;
    case AttentionSpan::kSliding:
      // 1 + 2 + ... + w, then w for every later position.
      if (length > w) return w * (w + 1) / 2 + (length - w) * w;
      break;
    case AttentionSpan::kChunked: {
      // Each whole chunk is a causal triangle of w, then the partial one.
      const int64_t r = length % w;
      return (length / w) * (w * (w + 1) / 2) + r * (r + 1) / 2;
    }
  }
  return length * (length + 1) / 2;
}

int64_t LayerSpec::AttentionFlopsPerPosition(bool decode) const {
  if (attention_kind == AttentionKind::kGqa) {
    return 2 * num_heads * head_dim + 2 * num_heads * v_head_dim;
  }
  if (decode) {
    return 2 * num_heads * (kv_lora_rank + qk_rope_head_dim) + 2 * num_heads * kv_lora_rank;
  }
  return 2 * num_heads * head_dim + 2 * num_heads * v_head_dim;
}

int64_t LayerSpec::DecodeFlops(int64_t context) const {
  return 2 * ActiveMatmulWeights() + AttendedPositions(context) * AttentionFlopsPerPosition(true) +
         2 * state_macs_per_token;
}

bool ModelSpec::is_moe() const {
  return std::any_of(layers.begin(), layers.end(),
                     [](const LayerSpec& l) { return l.ffn_kind == FfnKind::kMoe; });
}

int64_t ModelSpec::StateBytesPerSequence() const {
  int64_t b = 0;
  for (const LayerSpec& l : layers) b += l.state_bytes;
  return b;
}

bool ModelSpec::has_recurrent_layers() const {
  return std::any_of(layers.begin(), layers.end(),
                     [](const LayerSpec& l) { return l.is_recurrent(); });
}

bool ModelSpec::is_mla() const {
  return !layers.empty() && layers[0].attention_kind == AttentionKind::kMla;
}

Matmul ModelSpec::LmHead() const { return Matmul{"lm_head", hidden_size, vocab_size, false, 0}; }

int64_t ModelSpec::TotalParams() const {
  int64_t t = embedding_params + lm_head_params + final_norm_params;
  for (const LayerSpec& l : layers) t += l.Params();
  return t;
}

int64_t ModelSpec::ActiveParamsPerToken() const {
  int64_t t = final_norm_params + LmHead().weights();
  if (!tied_embeddings) t += hidden_size;  // one row of the separate table
  for (const LayerSpec& l : layers) t += l.ActiveParams();
  return t;
}

int64_t ModelSpec::ActiveParamsWithEmbeddingTable() const {
  if (tied_embeddings) return ActiveParamsPerToken();
  return ActiveParamsPerToken() - hidden_size + embedding_params;
}

int64_t ModelSpec::ActiveParamsNonEmbedding() const {
  return ActiveParamsPerToken() - LmHead().weights() - (tied_embeddings ? 0 : hidden_size);
}

int64_t ModelSpec::TotalParamsNonEmbedding() const {
  return TotalParams() - embedding_params - lm_head_params;
}

int64_t ModelSpec::MtpParams() const {
  int64_t t = 0;
  for (const MtpSpec& m : mtp) t += m.Params();
  return t;
}

int64_t ModelSpec::KvBytesPerToken(KvDtype dtype) const {
  int64_t t = 0;
  for (const LayerSpec& l : layers) t += l.KvBytesPerToken(dtype);
  return t;
}

int64_t ModelSpec::KvBytes(int64_t length, KvDtype dtype) const {
  int64_t t = 0;
  for (const LayerSpec& l : layers) t += l.KvBytes(length, dtype);
  return t;
}

bool ModelSpec::has_windowed_layers() const {
  return std::any_of(layers.begin(), layers.end(),
                     [](const LayerSpec& l) { return l.attention_span != AttentionSpan::kFull; });
}

int64_t ModelSpec::NativeWeightBytes() const {
  // Only mxfp4 is accepted by the parser (gpt-oss); its layout is the `fp4`
  // weight format (e2m1 + an E8M0 scale per 32 = 4.25 bits). Expert biases
  // stay bf16, as in the checkpoint.
  auto fp4 = FindWeightFormat("fp4");
  int64_t expert_weights = 0;
  for (const LayerSpec& l : layers) expert_weights += l.num_routed_experts * SumWeights(l.expert);
  return fp4->BytesFor(expert_weights) + 2 * (TotalParams() - expert_weights);
}

int64_t ModelSpec::DecodeFlops(int64_t context) const {
  int64_t f = 2 * LmHead().weights();
  for (const LayerSpec& l : layers) f += l.DecodeFlops(context);
  return f;
}

int64_t ModelSpec::PrefillFlops(int64_t length) const {
  int64_t f = 2 * LmHead().weights();
  for (const LayerSpec& l : layers) {
    // A recurrent layer's state work per token as in decode (the chunked
    // prefill kernels reorder it, not remove it).
    f += length * 2 * (l.ActiveMatmulWeights() + l.state_macs_per_token) +
         l.PrefillPairs(length) * l.AttentionFlopsPerPosition(false);
  }
  return f;
}

absl::StatusOr<ModelSpec> BuildModelSpec(const ModelConfig& c) {
  ModelSpec m;
  m.name = c.name;
  m.source = c.source;
  m.architecture = std::string(ArchitectureName(c.architecture));
  m.hidden_size = c.hidden_size;
  m.vocab_size = c.vocab_size;
  m.max_position_embeddings = c.max_position_embeddings;
  m.tied_embeddings = c.tie_word_embeddings;
  m.multimodal_wrapper = c.multimodal_wrapper;
  m.native_expert_format = c.native_expert_format;
  m.embedding_params = c.vocab_size * c.hidden_size;
  m.lm_head_params = c.tie_word_embeddings ? 0 : c.vocab_size * c.hidden_size;
  m.final_norm_params = c.hidden_size;
  for (int i = 0; i < c.num_hidden_layers; ++i) {
    m.layers.push_back(BuildLayer(c, i, c.moe_layer[i]));
  }
  for (int k = 0; k < c.num_nextn_predict_layers; ++k) {
    // DeepSeek's MTP module: embedding and output head shared with the main
    // model; its own enorm, hnorm, eh_proj (2h -> h), a full decoder layer
    // (MoE, as its index is past first_k_dense_replace) and
    // shared_head.norm.
    MtpSpec mtp;
    const int index = static_cast<int>(c.num_hidden_layers) + k;
    mtp.layer = BuildLayer(c, index, c.is_moe());
    mtp.extra_params = 2 * c.hidden_size * c.hidden_size + 3 * c.hidden_size;
    m.mtp.push_back(std::move(mtp));
  }
  return m;
}

}  // namespace etchsim::model
