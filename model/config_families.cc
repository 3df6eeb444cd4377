#include "model/config_families.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace etchsim::model {
namespace {

// A per-layer list (`layer_types`, `no_rope_layers`) has one entry per
// layer; `n` is the list's length.
absl::Status CheckOnePerLayer(const ConfigReader& r, absl::string_view field, size_t n,
                              const ModelConfig& c) {
  if (static_cast<int64_t>(n) == c.num_hidden_layers) return absl::OkStatus();
  return r.Error(field, absl::StrCat("must have one entry per layer (\"num_hidden_layers\" = ",
                                     c.num_hidden_layers, "), got ", n));
}

// `layer_types` as written by transformers >= 4.54 ("full_attention",
// "sliding_attention", "chunked_attention"). Absent: `*given` is false and
// the family's own rule applies.
absl::Status ReadLayerTypes(const ConfigReader& r, ModelConfig& c, bool* given) {
  ASSIGN_OR_RETURN(std::vector<std::string> types, r.StringList("layer_types"));
  *given = !types.empty();
  if (types.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(CheckOnePerLayer(r, "layer_types", types.size(), c));
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] == "full_attention") {
      c.attention_span[i] = AttentionSpan::kFull;
    } else if (types[i] == "sliding_attention") {
      c.attention_span[i] = AttentionSpan::kSliding;
    } else if (types[i] == "chunked_attention") {
      c.attention_span[i] = AttentionSpan::kChunked;
    } else {
      return r.Error("layer_types",
                     absl::StrCat("entry ", i,
                                  " must be \"full_attention\", \"sliding_attention\""
                                  " or \"chunked_attention\", got \"",
                                  types[i], "\""));
    }
  }
  return absl::OkStatus();
}

bool AnyOf(const ModelConfig& c, AttentionSpan s) {
  for (AttentionSpan x : c.attention_span) {
    if (x == s) return true;
  }
  return false;
}

// Sliding layers need a window: `sliding_window` (default `fallback`, 0 =
// required). A span list without sliding layers reads nothing.
absl::Status ReadSlidingWindow(const ConfigReader& r, int64_t fallback, ModelConfig& c) {
  if (!AnyOf(c, AttentionSpan::kSliding)) return absl::OkStatus();
  if (fallback > 0) {
    ASSIGN_OR_RETURN(c.attention_window, r.Int("sliding_window", 1, fallback));
  } else {
    ASSIGN_OR_RETURN(c.attention_window, r.Int("sliding_window", 1));
  }
  return absl::OkStatus();
}

absl::Status ParseQwen3(const ConfigReader& r, ModelConfig& c) {
  ASSIGN_OR_RETURN(c.attention_bias, r.Bool("attention_bias", false));
  c.qk_norm = true;
  bool given = false;
  RETURN_IF_ERROR(ReadLayerTypes(r, c, &given));
  if (!given) {
    // Qwen3Config: sliding_window only when use_sliding_window, on layers
    // from max_window_layers on.
    ASSIGN_OR_RETURN(bool use, r.Bool("use_sliding_window", false));
    if (use && r.Has("sliding_window")) {
      ASSIGN_OR_RETURN(int64_t from, r.Int("max_window_layers", 0, int64_t{28}));
      for (int64_t i = from; i < c.num_hidden_layers; ++i) {
        c.attention_span[i] = AttentionSpan::kSliding;
      }
    }
  }
  return ReadSlidingWindow(r, 0, c);
}

absl::Status ParsePhi3(const ConfigReader& r, ModelConfig& c) {
  // Phi3Attention applies config.sliding_window, when set, to every layer
  // (Phi-3-mini-4k: 2047).
  if (r.Has("sliding_window")) {
    c.attention_span.assign(c.num_hidden_layers, AttentionSpan::kSliding);
  }
  return ReadSlidingWindow(r, 0, c);
}

absl::Status ParseGemma(const ConfigReader& r, ModelConfig& c, bool gemma3) {
  ASSIGN_OR_RETURN(c.attention_bias, r.Bool("attention_bias", false));
  c.norms_per_layer = 4;  // input, post-attention, pre- and post-feedforward
  c.qk_norm = gemma3;     // Gemma 3 adds q_norm and k_norm (head_dim each)
  bool given = false;
  RETURN_IF_ERROR(ReadLayerTypes(r, c, &given));
  if (!given) {
    // Gemma2Config: layers alternate sliding, full. Gemma3TextConfig: every
    // sliding_window_pattern-th layer is full, the rest slide.
    int64_t pattern = 2;
    if (gemma3) {
      ASSIGN_OR_RETURN(pattern, r.Int("sliding_window_pattern", 1, int64_t{6}));
    }
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      c.attention_span[i] = (i + 1) % pattern != 0 ? AttentionSpan::kSliding : AttentionSpan::kFull;
    }
  }
  return ReadSlidingWindow(r, 4096, c);
}

absl::Status ParseGptOss(const ConfigReader& top, const ConfigReader& r, ModelConfig& c) {
  ASSIGN_OR_RETURN(c.attention_bias, r.Bool("attention_bias", true));
  c.attention_sinks = true;  // GptOssAttention.sinks: one logit per head
  c.router_bias = true;      // GptOssTopKRouter.bias
  c.expert_bias = true;      // gate_up_proj_bias, down_proj_bias
  ASSIGN_OR_RETURN(c.num_routed_experts, r.Int("num_local_experts", 1));
  ASSIGN_OR_RETURN(c.num_experts_per_tok, r.Int("num_experts_per_tok", 1));
  // GptOssExperts: every expert is intermediate_size wide; every layer MoE.
  ASSIGN_OR_RETURN(c.moe_intermediate_size, r.Int("intermediate_size", 1));
  c.moe_layer.assign(c.num_hidden_layers, true);
  bool given = false;
  RETURN_IF_ERROR(ReadLayerTypes(r, c, &given));
  if (!given) {
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      c.attention_span[i] = (i + 1) % 2 != 0 ? AttentionSpan::kSliding : AttentionSpan::kFull;
    }
  }
  RETURN_IF_ERROR(ReadSlidingWindow(r, 128, c));
  ASSIGN_OR_RETURN(const nlohmann::json* q, top.Object("quantization_config"));
  if (q != nullptr) {
    const ConfigReader qr = top.Nested(*q, "quantization_config");
    ASSIGN_OR_RETURN(std::string method, qr.String("quant_method", ""));
    if (method != "mxfp4") {
      return qr.Error(
          "quant_method",
          absl::StrCat("must be \"mxfp4\" (the one layout gpt-oss ships), got \"", method, "\""));
    }
    c.native_expert_format = "mxfp4";
  }
  return absl::OkStatus();
}

absl::Status ParseLlama4(const ConfigReader& r, ModelConfig& c) {
  ASSIGN_OR_RETURN(c.attention_bias, r.Bool("attention_bias", false));
  ASSIGN_OR_RETURN(c.num_routed_experts, r.Int("num_local_experts", 1));
  ASSIGN_OR_RETURN(c.num_experts_per_tok, r.Int("num_experts_per_tok", 1, int64_t{1}));
  // Llama4TextMoe: routed experts and the one shared expert are
  // intermediate_size wide; dense layers use intermediate_size_mlp.
  ASSIGN_OR_RETURN(c.moe_intermediate_size, r.Int("intermediate_size", 1));
  c.num_shared_experts = 1;
  ASSIGN_OR_RETURN(std::vector<int64_t> moe_layers, r.IntList("moe_layers"));
  if (r.Has("moe_layers")) {
    for (int64_t i : moe_layers) {
      if (i >= c.num_hidden_layers) {
        return r.Error("moe_layers", absl::StrCat("must hold layer indices < ", c.num_hidden_layers,
                                                  ", got ", i));
      }
      c.moe_layer[i] = true;
    }
  } else {
    ASSIGN_OR_RETURN(int64_t step, r.Int("interleave_moe_layer_step", 1, int64_t{1}));
    for (int64_t i = step - 1; i < c.num_hidden_layers; i += step) c.moe_layer[i] = true;
  }
  bool any_dense = false;
  for (bool m : c.moe_layer) any_dense = any_dense || !m;
  if (any_dense) {
    ASSIGN_OR_RETURN(c.intermediate_size, r.Int("intermediate_size_mlp", 1));
  }

  bool given = false;
  RETURN_IF_ERROR(ReadLayerTypes(r, c, &given));
  if (!given && r.Has("attention_chunk_size")) {
    // Llama4TextConfig: RoPE layers (no_rope_layers[i] == 1) use chunked
    // attention; by default every no_rope_layer_interval-th layer is a
    // global NoPE layer.
    ASSIGN_OR_RETURN(std::vector<int64_t> rope, r.IntList("no_rope_layers"));
    if (rope.empty()) {
      ASSIGN_OR_RETURN(int64_t every, r.Int("no_rope_layer_interval", 1, int64_t{4}));
      for (int64_t i = 0; i < c.num_hidden_layers; ++i) rope.push_back((i + 1) % every != 0);
    } else {
      RETURN_IF_ERROR(CheckOnePerLayer(r, "no_rope_layers", rope.size(), c));
    }
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      if (rope[i] > 1) {
        return r.Error("no_rope_layers", absl::StrCat("must hold 0 or 1, got ", rope[i]));
      }
      if (rope[i] == 1) c.attention_span[i] = AttentionSpan::kChunked;
    }
  }
  if (AnyOf(c, AttentionSpan::kSliding)) {
    return r.Error("layer_types", "must not hold \"sliding_attention\" for Llama 4");
  }
  if (AnyOf(c, AttentionSpan::kChunked)) {
    ASSIGN_OR_RETURN(c.attention_window, r.Int("attention_chunk_size", 1));
  }
  return absl::OkStatus();
}

// Qwen3.5 / Qwen3.6 (transformers models/qwen3_5{,_moe}): three gated
// DeltaNet layers to one full-attention layer by `layer_types`, or when it
// is absent full attention where (i + 1) % full_attention_interval == 0
// (Qwen3_5TextConfig.__post_init__). Attention with q/k norms and an
// output gate folded into q_proj; MoE with one gated shared expert of its
// own width; one MTP layer (mtp_num_hidden_layers). docs/models.md.
absl::Status ParseQwen35(const ConfigReader& r, ModelConfig& c) {
  ASSIGN_OR_RETURN(c.attention_bias, r.Bool("attention_bias", false));
  c.qk_norm = true;
  ASSIGN_OR_RETURN(c.attn_output_gate, r.Bool("attn_output_gate", true));
  ASSIGN_OR_RETURN(std::vector<std::string> types, r.StringList("layer_types"));
  if (types.empty()) {
    ASSIGN_OR_RETURN(int64_t every, r.Int("full_attention_interval", 1, int64_t{4}));
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      c.mixer[i] = (i + 1) % every == 0 ? MixerKind::kAttention : MixerKind::kGatedDeltaNet;
    }
  } else {
    RETURN_IF_ERROR(CheckOnePerLayer(r, "layer_types", types.size(), c));
    for (size_t i = 0; i < types.size(); ++i) {
      if (types[i] == "linear_attention") {
        c.mixer[i] = MixerKind::kGatedDeltaNet;
      } else if (types[i] != "full_attention") {
        return r.Error(
            "layer_types",
            absl::StrCat("entry ", i, " must be \"linear_attention\" or \"full_attention\", got \"",
                         types[i], "\""));
      }
    }
  }
  GatedDeltaNetConfig& g = c.gated_delta_net;
  ASSIGN_OR_RETURN(g.num_key_heads, r.Int("linear_num_key_heads", 1));
  ASSIGN_OR_RETURN(g.key_head_dim, r.Int("linear_key_head_dim", 1));
  ASSIGN_OR_RETURN(g.num_value_heads, r.Int("linear_num_value_heads", 1));
  ASSIGN_OR_RETURN(g.value_head_dim, r.Int("linear_value_head_dim", 1));
  ASSIGN_OR_RETURN(g.conv_kernel, r.Int("linear_conv_kernel_dim", 1, int64_t{4}));
  if (g.num_value_heads % g.num_key_heads != 0) {
    return r.Error("linear_num_value_heads",
                   absl::StrCat("must be a multiple of \"linear_num_key_heads\" (", g.num_key_heads,
                                "), got ", g.num_value_heads));
  }
  // The recurrent state's dtype: vLLM and SGLang cache it in
  // mamba_ssm_dtype (float32 in every published config).
  ASSIGN_OR_RETURN(std::string ssm, r.String("mamba_ssm_dtype", "float32"));
  if (ssm == "float32") {
    g.state_bytes = 4;
  } else if (ssm == "bfloat16" || ssm == "float16") {
    g.state_bytes = 2;
  } else {
    return r.Error(
        "mamba_ssm_dtype",
        absl::StrCat("must be \"float32\", \"bfloat16\" or \"float16\", got \"", ssm, "\""));
  }
  ASSIGN_OR_RETURN(c.num_nextn_predict_layers, r.Int("mtp_num_hidden_layers", 0, int64_t{0}));
  if (c.architecture == Architecture::kQwen35Moe) {
    c.num_shared_experts = 1;
    c.shared_expert_gate = true;
    ASSIGN_OR_RETURN(c.shared_expert_intermediate_size,
                     r.Int("shared_expert_intermediate_size", 1));
  }
  return absl::OkStatus();
}

}  // namespace

FamilyDefaults DefaultsOf(Architecture a) {
  // Values of the transformers config classes' signatures.
  switch (a) {
    case Architecture::kQwen3:
      return {0, 128, 32768, false};
    case Architecture::kPhi3:
      return {0, 0, 4096, false};
    case Architecture::kGemma2:
      return {0, 256, 8192, true};
    case Architecture::kGemma3:
      // Gemma 3's published text_config omits vocab_size.
      return {262208, 256, 131072, true};
    case Architecture::kGptOss:
      return {0, 64, 131072, false};
    case Architecture::kLlama4:
      return {0, 128, 131072, false};
    case Architecture::kQwen35:
    case Architecture::kQwen35Moe:
      return {0, 256, 32768, false};
    default:
      return {};
  }
}

absl::Status ParseFamilyFields(const ConfigReader& top, const ConfigReader& text, ModelConfig& c) {
  switch (c.architecture) {
    case Architecture::kQwen3:
      return ParseQwen3(text, c);
    case Architecture::kPhi3:
      return ParsePhi3(text, c);
    case Architecture::kGemma2:
      return ParseGemma(text, c, /*gemma3=*/false);
    case Architecture::kGemma3:
      return ParseGemma(text, c, /*gemma3=*/true);
    case Architecture::kGptOss:
      return ParseGptOss(top, text, c);
    case Architecture::kLlama4:
      return ParseLlama4(text, c);
    case Architecture::kQwen35:
    case Architecture::kQwen35Moe:
      return ParseQwen35(text, c);
    default:
      return absl::OkStatus();
  }
}

}  // namespace etchsim::model
