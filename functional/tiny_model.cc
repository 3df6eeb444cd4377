#include "functional/tiny_model.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/bounds.h"
#include "base/rng.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace etchsim::functional {
namespace {

using Json = nlohmann::json;

// Sizes chosen so each family runs a token in about a millisecond on one
// core while keeping the ratios of the real model (GQA 4:1, MLA ranks
// below hidden, experts narrower than the dense MLP).
const char* const kTinyConfigs[][2] = {
    {"tiny-llama", R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 128,
      "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 2,
      "intermediate_size": 256, "vocab_size": 512, "max_position_embeddings": 256,
      "rope_theta": 10000.0, "rms_norm_eps": 1e-05, "tie_word_embeddings": false})"},
    {"tiny-mixtral", R"({"architectures": ["MixtralForCausalLM"], "hidden_size": 128,
      "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 2,
      "intermediate_size": 128, "num_local_experts": 8, "num_experts_per_tok": 2,
      "vocab_size": 512, "max_position_embeddings": 256, "rope_theta": 1000000.0,
      "rms_norm_eps": 1e-05, "tie_word_embeddings": false})"},
    {"tiny-qwen3-moe", R"({"architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 128,
      "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 2,
      "head_dim": 16, "intermediate_size": 256, "moe_intermediate_size": 64,
      "num_experts": 16, "num_experts_per_tok": 4, "decoder_sparse_step": 1,
      "mlp_only_layers": [], "norm_topk_prob": true, "vocab_size": 512,
      "max_position_embeddings": 256, "rope_theta": 1000000.0, "rms_norm_eps": 1e-06,
      "tie_word_embeddings": false})"},
    {"tiny-r1", R"({"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 128,
      "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 4,
      "intermediate_size": 256, "moe_intermediate_size": 64, "n_routed_experts": 16,
      "n_shared_experts": 1, "num_experts_per_tok": 4, "first_k_dense_replace": 1,
      "moe_layer_freq": 1, "n_group": 1, "topk_group": 1, "topk_method": "noaux_tc",
      "scoring_func": "sigmoid", "norm_topk_prob": true, "routed_scaling_factor": 2.5,
      "q_lora_rank": 64, "kv_lora_rank": 32, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8,
      "v_head_dim": 16, "num_nextn_predict_layers": 0, "vocab_size": 512,
      "max_position_embeddings": 256, "rope_theta": 10000.0, "rms_norm_eps": 1e-06,
      "tie_word_embeddings": false})"},
};

// Ceilings for functional mode: a tiny model must run here in seconds.
constexpr int64_t kMaxHidden = 1024;
constexpr int64_t kMaxLayers = 16;
constexpr int64_t kMaxVocab = 8192;
constexpr int64_t kMaxExperts = 64;
constexpr int64_t kMaxParams = int64_t{64} << 20;

uint64_t NameHash(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string L(int layer, absl::string_view rest) {
  return absl::StrCat("model.layers.", layer, ".", rest);
}

void AddMlp(std::vector<TensorSpec>& out, const std::string& prefix, int64_t h, int64_t inter,
            bool mixtral) {
  out.push_back({absl::StrCat(prefix, mixtral ? "w1" : "gate_proj", ".weight"), {inter, h}});
  out.push_back({absl::StrCat(prefix, mixtral ? "w3" : "up_proj", ".weight"), {inter, h}});
  out.push_back({absl::StrCat(prefix, mixtral ? "w2" : "down_proj", ".weight"), {h, inter}});
}

// Tensors of layer `l`: its core (attention, norms, dense MLP or router and
// shared experts) when `core`, and routed experts [eb, ee).
void LayerTensors(const Arch& a, int l, bool core, int64_t eb, int64_t ee,
                  std::vector<TensorSpec>& out) {
  const model::ModelConfig& c = a.config;
  const int64_t h = c.hidden_size;
  const bool mixtral = c.architecture == model::Architecture::kMixtral;
  const std::string moe = mixtral ? "block_sparse_moe." : "mlp.";
  if (core) {
    out.push_back({L(l, "input_layernorm.weight"), {h}});
    out.push_back({L(l, "post_attention_layernorm.weight"), {h}});
    const int64_t nh = c.num_attention_heads;
    if (c.is_mla()) {
      const int64_t qd = c.qk_nope_head_dim + c.qk_rope_head_dim;
      if (c.q_lora_rank > 0) {
        out.push_back({L(l, "self_attn.q_a_proj.weight"), {c.q_lora_rank, h}});
        out.push_back({L(l, "self_attn.q_a_layernorm.weight"), {c.q_lora_rank}});
        out.push_back({L(l, "self_attn.q_b_proj.weight"), {nh * qd, c.q_lora_rank}});
      } else {
        out.push_back({L(l, "self_attn.q_proj.weight"), {nh * qd, h}});
      }
      out.push_back(
          {L(l, "self_attn.kv_a_proj_with_mqa.weight"), {c.kv_lora_rank + c.qk_rope_head_dim, h}});
      out.push_back({L(l, "self_attn.kv_a_layernorm.weight"), {c.kv_lora_rank}});
      out.push_back({L(l, "self_attn.kv_b_proj.weight"),
                     {nh * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank}});
      out.push_back({L(l, "self_attn.o_proj.weight"), {h, nh * c.v_head_dim}});
    } else {
      const int64_t hd = c.head_dim, nkv = c.num_key_value_heads;
      out.push_back({L(l, "self_attn.q_proj.weight"), {nh * hd, h}});
      out.push_back({L(l, "self_attn.k_proj.weight"), {nkv * hd, h}});
      out.push_back({L(l, "self_attn.v_proj.weight"), {nkv * hd, h}});
      out.push_back({L(l, "self_attn.o_proj.weight"), {h, nh * hd}});
      if (c.qk_norm) {
        out.push_back({L(l, "self_attn.q_norm.weight"), {hd}});
        out.push_back({L(l, "self_attn.k_norm.weight"), {hd}});
      }
    }
    if (!c.moe_layer[l]) {
      AddMlp(out, L(l, "mlp."), h, c.intermediate_size, false);
    } else {
      out.push_back({L(l, moe + "gate.weight"), {c.num_routed_experts, h}});
      if (c.router_bias) {
        out.push_back({L(l, moe + "gate.e_score_correction_bias"), {c.num_routed_experts}});
      }
      if (c.num_shared_experts > 0) {
        AddMlp(out, L(l, moe + "shared_experts."), h,
               c.moe_intermediate_size * c.num_shared_experts, false);
      }
    }
  }
  if (c.moe_layer[l]) {
    for (int64_t e = eb; e < ee; ++e) {
      AddMlp(out, L(l, absl::StrCat(moe, "experts.", e, ".")), h, c.moe_intermediate_size, mixtral);
    }
  }
}

void HeadTensors(const Arch& a, bool embedding, bool head, std::vector<TensorSpec>& out) {
  const int64_t v = a.config.vocab_size, h = a.config.hidden_size;
  if (embedding || (head && a.config.tie_word_embeddings)) {
    out.push_back({"model.embed_tokens.weight", {v, h}});
  }
  if (head) {
    out.push_back({"model.norm.weight", {h}});
    if (!a.config.tie_word_embeddings) out.push_back({"lm_head.weight", {v, h}});
  }
}

}  // namespace

std::vector<std::string> TinyModelNames() {
  std::vector<std::string> out;
  for (const auto& c : kTinyConfigs) out.push_back(c[0]);
  return out;
}

absl::StatusOr<std::string> TinyModelConfig(absl::string_view name) {
  for (const auto& c : kTinyConfigs) {
    if (name == c[0]) return std::string(c[1]);
  }
  return absl::NotFoundError(absl::StrCat("unknown tiny model \"", base::Excerpt(name),
                                          "\" (known: ", absl::StrJoin(TinyModelNames(), ", "),
                                          ")"));
}

absl::StatusOr<Arch> ParseArch(absl::string_view config_json, const std::string& source) {
  Arch a;
  ASSIGN_OR_RETURN(a.config, model::ParseModelConfig(config_json, source));
  const model::ModelConfig& c = a.config;
  RETURN_IF_ERROR(base::CheckIntRange(source, "hidden_size", c.hidden_size, 1, kMaxHidden));
  RETURN_IF_ERROR(
      base::CheckIntRange(source, "num_hidden_layers", c.num_hidden_layers, 1, kMaxLayers));
  RETURN_IF_ERROR(base::CheckIntRange(source, "vocab_size", c.vocab_size, 2, kMaxVocab));
  RETURN_IF_ERROR(
      base::CheckIntRange(source, "num_routed_experts", c.num_routed_experts, 0, kMaxExperts));
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source,
                     ": \"num_attention_heads\" must be a multiple of "
                     "\"num_key_value_heads\" for functional mode"));
  }
  if ((c.is_mla() ? c.qk_rope_head_dim : c.head_dim) % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the rotary dimension must be even for functional mode"));
  }
  const Json j = Json::parse(config_json, nullptr, false);  // parsed once above already
  auto num = [&](const char* key, double def, double lo, double hi) -> absl::StatusOr<double> {
    if (!j.contains(key)) return def;
    if (!j[key].is_number()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": \"", key, "\" must be a number"));
    }
    const double v = j[key].get<double>();
    RETURN_IF_ERROR(base::CheckRange(source, absl::StrCat("\"", key, "\""), v, lo, hi));
    return v;
  };
  ASSIGN_OR_RETURN(a.rope_theta, num("rope_theta", 10000.0, 1.0, 1e9));
  ASSIGN_OR_RETURN(a.rms_norm_eps, num("rms_norm_eps", 1e-6, 1e-12, 1.0));
  ASSIGN_OR_RETURN(a.routed_scaling_factor,
                   num("routed_scaling_factor", a.deepseek() ? 2.5 : 1.0, 1e-3, 1e3));
  const bool mixtral = c.architecture == model::Architecture::kMixtral;
  // transformers' defaults: Mixtral always renormalises, DeepseekV3Config
  // defaults to true, Qwen3MoeConfig to false.
  a.norm_topk_prob = mixtral || (j.contains("norm_topk_prob") && j["norm_topk_prob"].is_boolean()
                                     ? j["norm_topk_prob"].get<bool>()
                                     : a.deepseek());
  if (a.deepseek() && j.contains("n_group") && j["n_group"].is_number() &&
      j["n_group"].get<double>() != 1.0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source,
                     ": \"n_group\" must be 1 for functional mode (group-limited "
                     "routing is not implemented)"));
  }
  int64_t params = 0;
  for (const TensorSpec& t : ModelTensors(a)) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    params += n;
  }
  if (params > kMaxParams) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", params,
                                                   " parameters; functional mode takes at most ",
                                                   kMaxParams, " (tiny models)"));
  }
  return a;
}

std::vector<TensorSpec> ModelTensors(const Arch& a) { return ShardTensors(a, WholeModelShard(a)); }

std::vector<TensorSpec> ShardTensors(const Arch& a, const v1::ChipShard& shard) {
  std::vector<TensorSpec> out;
  HeadTensors(a, shard.embedding(), false, out);
  for (const v1::LayerSlice& s : shard.layers()) {
    LayerTensors(a, s.layer(), s.core(), s.expert_begin(), s.expert_end(), out);
  }
  if (shard.lm_head()) HeadTensors(a, false, true, out);
  // A tied embedding may be listed twice (embedding and head on one chip).
  std::vector<TensorSpec> unique;
  for (TensorSpec& t : out) {
    bool seen = false;
    for (const TensorSpec& u : unique) seen |= u.name == t.name;
    if (!seen) unique.push_back(std::move(t));
  }
  return unique;
}

v1::ChipShard WholeModelShard(const Arch& a) {
  v1::ChipShard s;
  s.set_embedding(true);
  s.set_lm_head(true);
  for (int l = 0; l < a.num_layers(); ++l) {
    v1::LayerSlice* sl = s.add_layers();
    sl->set_layer(l);
    sl->set_core(true);
    const int e = a.config.moe_layer[l] ? static_cast<int>(a.config.num_routed_experts) : 0;
    sl->set_expert_end(e);
    sl->set_num_routed_experts(e);
  }
  return s;
}

TensorFile GenerateWeights(const Arch& a, const std::string& config_json, uint64_t seed) {
  TensorFile f;
  f.metadata["config"] = config_json;
  f.metadata["seed"] = absl::StrCat(seed);
  f.metadata["format"] = "pt";
  for (const TensorSpec& t : ModelTensors(a)) {
    base::Rng rng(seed, NameHash(t.name));
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    const bool vec = t.shape.size() == 1;
    const bool bias = t.name.find("correction_bias") != std::string::npos;
    // Matrices ~ N(0, 1/in) keep activations near unit scale through the
    // residual stream; norm gains ~ 1 + N(0, 0.05^2).
    const double sd = vec ? (bias ? 0.02 : 0.05) : 1.0 / std::sqrt(static_cast<double>(t.shape[1]));
    const double mean = vec && !bias ? 1.0 : 0.0;
    const bool embed = t.name == "model.embed_tokens.weight";
    for (float& x : v) x = static_cast<float>(mean + (embed ? 1.0 : sd) * rng.Normal());
    f.tensors[t.name] = Bf16Tensor(v, t.shape);
  }
  return f;
}

absl::Status CheckTensor(const TensorSpec& s, const Tensor& t, absl::string_view source) {
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": tensor \"", s.name, "\" ", what));
  };
  if (t.shape != s.shape) {
    return bad(absl::StrCat("has shape [", absl::StrJoin(t.shape, ", "), "], the config needs [",
                            absl::StrJoin(s.shape, ", "), "]"));
  }
  if (t.dtype != "BF16" && t.dtype != "F16" && t.dtype != "F32") {
    return bad(absl::StrCat("is ", t.dtype, "; expected BF16, F16 or F32"));
  }
  for (float x : t.ToFloat()) {
    if (!std::isfinite(x) || std::fabs(x) > kMaxWeightMagnitude) {
      return bad(absl::StrCat("holds ", x, "; values must be finite and in [-", kMaxWeightMagnitude,
                              ", ", kMaxWeightMagnitude, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTensorSet(const std::vector<TensorSpec>& specs, const TensorFile& file,
                            absl::string_view source, absl::string_view whose) {
  for (const auto& [name, t] : file.tensors) {
    bool known = false;
    for (const TensorSpec& s : specs) known |= s.name == name;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": tensor \"", name, "\" is not part of ", whose));
    }
  }
  for (const TensorSpec& s : specs) {
    auto it = file.tensors.find(s.name);
    if (it == file.tensors.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": tensor \"", s.name, "\" is missing"));
    }
    RETURN_IF_ERROR(CheckTensor(s, it->second, source));
  }
  return absl::OkStatus();
}

absl::Status ValidateWeights(const Arch& a, const TensorFile& file, absl::string_view source) {
  return CheckTensorSet(ModelTensors(a), file, source, "this model");
}

absl::StatusOr<TensorFile> SelectShard(const Arch& a, const TensorFile& full,
                                       const v1::ChipShard& shard) {
  TensorFile out;
  for (const TensorSpec& t : ShardTensors(a, shard)) {
    auto it = full.tensors.find(t.name);
    if (it == full.tensors.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("weights: tensor \"", t.name, "\" is missing"));
    }
    out.tensors[t.name] = it->second;
  }
  return out;
}

}  // namespace etchsim::functional
