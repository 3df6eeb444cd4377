// ModelSpec: a model as a list of layers and weight matrices, with exact
// parameter, KV-cache and FLOP accounting.
//
// Every count is an integer derived from config.json fields by the formulas
// in docs/models.md; the tests re-derive them by hand. Conventions a caller
// may rely on:
//  * A matmul costs 2 FLOPs per weight per token (multiply + add). Biases,
//    norms, activations, rope and softmax are not counted as FLOPs.
//  * Active parameters per token = everything a token's computation reads:
//    attention, norms, the dense MLP or router + top-k routed + shared
//    experts, the final norm, the LM head, and ONE row of the embedding
//    table (a lookup reads hidden_size values, not the table). This matches
//    DeepSeek's 36.6B for V3/R1; publishers that quote "active" with the
//    whole embedding table (Mixtral's 12.9B) differ by vocab x hidden.
//  * Multi-token-prediction modules are kept apart (ModelSpec::mtp) and are
//    not in the main totals, as in DeepSeek's own 671B.
#ifndef ETCHSIM_MODEL_MODEL_SPEC_H_
#define ETCHSIM_MODEL_MODEL_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model_config.h"

namespace etchsim::model {

// Largest context for which FLOP counts are computed (they are exact int64
// up to here for every bundled model; 2^20 = 1,048,576 tokens).
inline constexpr int64_t kMaxContextTokens = int64_t{1} << 20;

enum class KvDtype { kBf16, kFp16, kFp8 };
absl::StatusOr<KvDtype> ParseKvDtype(absl::string_view name);
int KvDtypeBytes(KvDtype d);
absl::string_view KvDtypeName(KvDtype d);

// One weight matrix applied once per token. `step` orders matrices on a
// layer's critical path: matrices with the same step can run in parallel,
// step s+1 needs the output of step s. The attention core (scores and
// weighted sum over the KV cache) sits between steps attention_core_after
// and attention_core_after + 1 of its layer.
struct Matmul {
  std::string name;
  int64_t in_features = 0;
  int64_t out_features = 0;
  bool bias = false;
  int step = 0;

  int64_t weights() const { return in_features * out_features; }
  int64_t params() const { return weights() + (bias ? out_features : 0); }
};

// Sums over a list of matrices: weights (in x out) and parameters (with
// biases).
int64_t SumWeights(const std::vector<Matmul>& ms);
int64_t SumParams(const std::vector<Matmul>& ms);

// Bytes of the activations `tokens` tokens carry from one chip to the next:
// hidden_size elements each at `bytes_per_element` (the chip's activation
// format), rounded to whole bytes; no message header.
int64_t ActivationBytes(int64_t tokens, int64_t hidden_size, double bytes_per_element);

enum class AttentionKind { kGqa, kMla };
enum class FfnKind { kDense, kMoe };

struct LayerSpec {
  int index = 0;
  // Attention (with a KV cache) or a linear recurrence (a fixed state per
  // sequence: no KV, no attention core; its projections are `attention`).
  MixerKind mixer = MixerKind::kAttention;
  AttentionKind attention_kind = AttentionKind::kGqa;
  FfnKind ffn_kind = FfnKind::kDense;

  // Attention geometry (for KV bytes and attention FLOPs).
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;    // GQA q/k/v head dim; MLA q/k head dim (nope+rope)
  int64_t v_head_dim = 0;  // value head dim
  int64_t kv_lora_rank = 0;
  int64_t qk_rope_head_dim = 0;

  // Which positions the attention reads: every earlier one, or at most
  // `attention_window` (sliding window, or Llama 4's chunk).
  AttentionSpan attention_span = AttentionSpan::kFull;
  int64_t attention_window = 0;  // 0 for kFull

  std::vector<Matmul> attention;      // projections (MLA: kv_b split in 2)
  int attention_core_after = 0;       // step after which the core runs
  int64_t attention_norm_params = 0;  // q/k norms, q_a/kv_a layernorms
  int64_t attention_sink_params = 0;  // one sink logit per head (gpt-oss)
  // A recurrent mixer's parameters beside its projections: the depthwise
  // conv1d, dt_bias, A_log and the gated norm.
  int64_t mixer_params = 0;
  // A recurrent mixer's state per sequence, in bytes: the conv state
  // (conv_dim x (kernel - 1) at bf16, as vLLM and SGLang allocate it) and
  // the recurrent state (value heads x key dim x value dim at its dtype).
  int64_t state_bytes = 0;
  // Multiply-accumulates a decode token spends on that state: the delta
  // rule reads S k, updates S and reads S q (3 per state element) and the
  // depthwise conv (conv_dim x kernel). Independent of the context.
  int64_t state_macs_per_token = 0;
  bool is_recurrent() const { return mixer != MixerKind::kAttention; }
  int64_t layer_norm_params = 0;  // input + post-attention (+ Gemma's pre/post-FFN) norms

  std::vector<Matmul> dense_mlp;  // gate, up, down; empty for MoE layers

  std::optional<Matmul> router;
  int64_t router_bias_params = 0;
  int64_t num_routed_experts = 0;
  int64_t experts_per_token = 0;
  std::vector<Matmul> expert;  // ONE routed expert's matrices
  int64_t num_shared_experts = 0;
  std::vector<Matmul> shared_expert;  // all shared experts as one MLP

  int num_steps() const;  // matmul steps on the critical path

  int64_t AttentionParams() const;  // projections + attention norms + sinks
  int64_t DenseMlpParams() const;
  int64_t RouterParams() const;  // gate + bias
  int64_t ExpertParams() const;  // one routed expert
  int64_t RoutedExpertParams() const { return ExpertParams() * num_routed_experts; }
  int64_t SharedExpertParams() const;
  int64_t Params() const;
  int64_t ActiveParams() const;
  int64_t ActiveMatmulWeights() const;  // weights multiplied per token

  // Cached values per position in this layer (MLA: latent + rope key).
  int64_t KvElementsPerToken() const;
  int64_t KvBytesPerToken(KvDtype dtype) const {
    return KvElementsPerToken() * KvDtypeBytes(dtype);
  }
  // Positions the KV cache must hold for a sequence of `length` tokens:
  // `length`, or at most the window (a chunked layer's current chunk is at
  // most one window; a reservation for the whole sequence needs that much).
  int64_t CachedPositions(int64_t length) const;
  int64_t KvBytes(int64_t length, KvDtype dtype) const {
    return CachedPositions(length) * KvBytesPerToken(dtype);
  }
  // Positions the token at 1-based position `context` attends to: all of
  // them, the last `window` (sliding), or those of its own chunk.
  int64_t AttendedPositions(int64_t context) const;
  // Sum of AttendedPositions(i) for i = 1..length: the (query, key) pairs of
  // causal prefill of `length` tokens.
  int64_t PrefillPairs(int64_t length) const;
  // Attention-core FLOPs for one query against one cached position.
  // decode: MLA in absorbed form (scores in the latent space); prefill: MLA
  // in the naive form (keys/values expanded per head). GQA is the same both.
  int64_t AttentionFlopsPerPosition(bool decode) const;
  // Multiply-accumulates of the attention core per cached position (decode).
  int64_t AttentionMacsPerPosition() const { return AttentionFlopsPerPosition(true) / 2; }
  // One decode token at position `context` (its own included), attending
  // to AttendedPositions(context) of them.
  int64_t DecodeFlops(int64_t context) const;
};

struct MtpSpec {
  LayerSpec layer;           // the extra transformer layer
  int64_t extra_params = 0;  // eh_proj + enorm + hnorm + shared_head.norm
  int64_t Params() const { return layer.Params() + extra_params; }
};

struct ModelSpec {
  std::string name;
  std::string source;
  std::string architecture;
  int64_t hidden_size = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  bool tied_embeddings = false;
  // Non-empty for multimodal checkpoints: the wrapper class whose text model
  // this is (the vision tower is not counted).
  std::string multimodal_wrapper;
  // The checkpoint's native format of routed-expert weights ("mxfp4" for
  // gpt-oss; the rest of the checkpoint is bf16). Empty: all bf16.
  std::string native_expert_format;

  int64_t embedding_params = 0;   // vocab x hidden
  int64_t lm_head_params = 0;     // vocab x hidden, 0 when tied
  int64_t final_norm_params = 0;  // hidden
  std::vector<LayerSpec> layers;
  std::vector<MtpSpec> mtp;  // excluded from all totals below

  bool is_moe() const;
  bool is_mla() const;
  // The LM head matrix as applied per token (the embedding when tied).
  Matmul LmHead() const;

  int64_t TotalParams() const;
  // Active parameters per token in etchsim's convention ("reads", see the
  // file comment): DeepSeek's "37B activated" (36.6B) and OpenAI's 5.13B
  // for gpt-oss-120b are stated in it.
  int64_t ActiveParamsPerToken() const;
  // The same, counting the whole embedding table as active (Mistral's
  // "12.9B active" for Mixtral, Qwen's "22B activated", Meta's "17B active"
  // for Llama 4). Equal to ActiveParamsPerToken() when tied.
  int64_t ActiveParamsWithEmbeddingTable() const;
  // Without any embedding or LM-head matrix (Kaplan's N; Qwen's
  // "non-embedding" column counts total parameters this way).
  int64_t ActiveParamsNonEmbedding() const;
  int64_t TotalParamsNonEmbedding() const;
  int64_t MtpParams() const;
  // Fixed recurrent state per sequence over every layer (0 without
  // recurrent layers): what a sequence holds whatever its length.
  int64_t StateBytesPerSequence() const;
  bool has_recurrent_layers() const;
  // KV bytes per token summed over every layer: the marginal cost of one
  // more cached position while the sequence is shorter than every window.
  int64_t KvBytesPerToken(KvDtype dtype) const;
  // KV bytes a sequence of `length` tokens holds, windowed layers capped at
  // their window. Equals length x KvBytesPerToken when no layer is windowed.
  int64_t KvBytes(int64_t length, KvDtype dtype) const;
  // True when some layer keeps at most a window of positions.
  bool has_windowed_layers() const;
  // Bytes of the checkpoint in its native formats (routed experts in
  // native_expert_format, everything else bf16). REQUIRES:
  // !native_expert_format.empty().
  int64_t NativeWeightBytes() const;
  // FLOPs to decode one token at context `context` (positions attended,
  // including the new one): every active matmul incl. the LM head, plus the
  // attention core over `context` positions in every layer.
  int64_t DecodeFlops(int64_t context) const;
  // FLOPs to prefill a prompt of `length` tokens: all matmuls for every
  // token, causal attention (token i attends to i positions: length*(length+1)/2
  // position pairs per layer), and the LM head once (for the last position,
  // which is what serving engines compute).
  int64_t PrefillFlops(int64_t length) const;
};

absl::StatusOr<ModelSpec> BuildModelSpec(const ModelConfig& config);

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_MODEL_SPEC_H_
