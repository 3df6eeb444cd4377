#include "model/model_config.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "model/config_families.h"
#include "model/config_reader.h"
#include "model/model_config_validate.h"
#include "nlohmann/json.hpp"

namespace etchsim::model {
namespace {

using Json = nlohmann::json;

struct ArchEntry {
  Architecture arch;
  absl::string_view name;
  bool multimodal;  // the text model's fields sit under "text_config"
};
// The first entry of an architecture is its name in reports.
constexpr ArchEntry kArchitectures[] = {
    {Architecture::kLlama, "LlamaForCausalLM", false},
    {Architecture::kMistral, "MistralForCausalLM", false},
    {Architecture::kMixtral, "MixtralForCausalLM", false},
    {Architecture::kQwen2, "Qwen2ForCausalLM", false},
    {Architecture::kQwen3Moe, "Qwen3MoeForCausalLM", false},
    {Architecture::kDeepseekV3, "DeepseekV3ForCausalLM", false},
    {Architecture::kQwen3, "Qwen3ForCausalLM", false},
    {Architecture::kDeepseekV2, "DeepseekV2ForCausalLM", false},
    {Architecture::kPhi3, "Phi3ForCausalLM", false},
    {Architecture::kGemma2, "Gemma2ForCausalLM", false},
    {Architecture::kGemma3, "Gemma3ForCausalLM", false},
    {Architecture::kGemma3, "Gemma3ForConditionalGeneration", true},
    {Architecture::kGptOss, "GptOssForCausalLM", false},
    {Architecture::kLlama4, "Llama4ForCausalLM", false},
    {Architecture::kLlama4, "Llama4ForConditionalGeneration", true},
    {Architecture::kQwen35, "Qwen3_5ForConditionalGeneration", true},
    {Architecture::kQwen35, "Qwen3_5ForCausalLM", false},
    {Architecture::kQwen35Moe, "Qwen3_5MoeForConditionalGeneration", true},
    {Architecture::kQwen35Moe, "Qwen3_5MoeForCausalLM", false},
};

// Line and column (1-based) of a byte offset, for JSON syntax errors.
std::pair<int, int> LineColumn(absl::string_view text, size_t offset) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

std::string StemOf(const std::string& source) {
  std::string s = source;
  if (auto slash = s.find_last_of('/'); slash != std::string::npos) {
    s = s.substr(slash + 1);
  }
  if (s.size() > 5 && s.substr(s.size() - 5) == ".json") {
    s = s.substr(0, s.size() - 5);
  }
  return s;
}

}  // namespace

absl::string_view ArchitectureName(Architecture a) {
  for (const auto& e : kArchitectures) {
    if (e.arch == a) return e.name;
  }
  return "unknown";
}

std::string SupportedArchitectures() {
  std::vector<std::string> names;
  for (const auto& e : kArchitectures) names.emplace_back(e.name);
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text,
                                             const std::string& source) {
  Json root;
  // Lines are kept (a marker replaces a token on its line), so a parse
  // error's line is the file's.
  const std::string literal_text = ReadNonFiniteLiterals(json_text);
  try {
    root = Json::parse(literal_text.begin(), literal_text.end());
  } catch (const Json::out_of_range& e) {
    // nlohmann reports numbers past double's range (1e400) this way.
    std::string what = e.what();  // "[json.exception.out_of_range.406] number ..."
    if (auto close = what.find("] "); close != std::string::npos) what = what.substr(close + 2);
    return absl::InvalidArgumentError(absl::StrCat(source, ": invalid JSON: ", what));
  } catch (const Json::parse_error& e) {
    const auto [line, col] = LineColumn(literal_text, e.byte > 0 ? e.byte - 1 : 0);
    std::string what = e.what();
    // nlohmann's message is "[json.exception.parse_error.101] parse error at
    // line 1, column 2: <reason>"; keep only the reason.
    if (auto colon = what.find(": ", what.find("column")); colon != std::string::npos) {
      what = what.substr(colon + 2);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": invalid JSON at line ", line, ", column ", col, ": ", what));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": expected a JSON object at the top level, got ", JsonTypeName(root)));
  }
  // The name is printed in JSON reports: it must be valid UTF-8.
  if (!base::IsValidUtf8(source)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", absl::CHexEscape(source), "\": file name is not valid UTF-8"));
  }
  ModelConfig c;
  c.source = source;
  c.name = StemOf(source);

  // Architecture.
  auto arch_it = root.find("architectures");
  if (arch_it == root.end() || arch_it->is_null()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": missing required field \"architectures\""));
  }
  if (!arch_it->is_array() || arch_it->empty() || !(*arch_it)[0].is_string()) {
    return ConfigReader(root, source)
        .Error("architectures", "must be a non-empty array of strings");
  }
  const std::string arch_name = (*arch_it)[0].get<std::string>();
  const ArchEntry* entry = nullptr;
  for (const auto& e : kArchitectures) {
    if (e.name == arch_name) entry = &e;
  }
  if (entry == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": unsupported architecture \"", arch_name,
                     "\" in \"architectures\" (supported: ", SupportedArchitectures(), ")"));
  }
  c.architecture = entry->arch;
  const Json* text = &root;
  if (entry->multimodal) {
    auto t = root.find("text_config");
    if (t == root.end() || t->is_null()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": missing required field \"text_config\" (", arch_name,
                       " keeps its language model's fields there)"));
    }
    if (!t->is_object()) {
      return ConfigReader(root, source)
          .Error("text_config", absl::StrCat("must be an object, got ", JsonTypeName(*t)));
    }
    text = &*t;
    c.multimodal_wrapper = arch_name;
  }
  // The top level (tie_word_embeddings, quantization_config) and the text
  // model's fields (the same object for text-only checkpoints).
  const ConfigReader top(root, source);
  const ConfigReader r(*text, source, entry->multimodal ? "text_config." : "");
  const FamilyDefaults d = DefaultsOf(c.architecture);

  ASSIGN_OR_RETURN(c.hidden_size, r.Int("hidden_size", 1));
  ASSIGN_OR_RETURN(c.num_hidden_layers, r.Int("num_hidden_layers", 1));
  ASSIGN_OR_RETURN(c.num_attention_heads, r.Int("num_attention_heads", 1));
  if (d.vocab_size > 0) {
    ASSIGN_OR_RETURN(c.vocab_size, r.Int("vocab_size", 1, d.vocab_size));
  } else {
    ASSIGN_OR_RETURN(c.vocab_size, r.Int("vocab_size", 1));
  }
  // transformers: num_key_value_heads defaults to num_attention_heads.
  ASSIGN_OR_RETURN(c.num_key_value_heads, r.Int("num_key_value_heads", 1, c.num_attention_heads));
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return r.Error("num_key_value_heads",
                   absl::StrCat("must divide \"num_attention_heads\" (", c.num_attention_heads,
                                "), got ", c.num_key_value_heads));
  }
  ASSIGN_OR_RETURN(c.max_position_embeddings,
                   r.Int("max_position_embeddings", 1, d.max_position_embeddings));
  ASSIGN_OR_RETURN(c.tie_word_embeddings, top.Bool("tie_word_embeddings", d.tie_word_embeddings));

  const bool mla =
      c.architecture == Architecture::kDeepseekV3 || c.architecture == Architecture::kDeepseekV2;
  if (!mla) {
    if (d.head_dim > 0) {
      ASSIGN_OR_RETURN(c.head_dim, r.Int("head_dim", 1, d.head_dim));
    } else {
      if (!r.Has("head_dim") && c.hidden_size % c.num_attention_heads != 0) {
        return r.Error(
            "hidden_size",
            absl::StrCat("must be divisible by \"num_attention_heads\" (", c.num_attention_heads,
                         ") when \"head_dim\" is absent, got ", c.hidden_size));
      }
      ASSIGN_OR_RETURN(c.head_dim, r.Int("head_dim", 1, c.hidden_size / c.num_attention_heads));
    }
  }
  c.moe_layer.assign(c.num_hidden_layers, false);
  c.attention_span.assign(c.num_hidden_layers, AttentionSpan::kFull);
  c.mixer.assign(c.num_hidden_layers, MixerKind::kAttention);

  switch (c.architecture) {
    case Architecture::kLlama: {
      ASSIGN_OR_RETURN(c.attention_bias, r.Bool("attention_bias", false));
      ASSIGN_OR_RETURN(c.mlp_bias, r.Bool("mlp_bias", false));
      break;
    }
    case Architecture::kMistral:
    case Architecture::kMixtral:
      break;  // no biases, no options
    case Architecture::kQwen2:
      c.attention_bias = true;  // Qwen2 hard-codes bias on q, k and v
      break;
    case Architecture::kQwen3Moe: {
      ASSIGN_OR_RETURN(c.attention_bias, r.Bool("attention_bias", false));
      c.qk_norm = true;
      break;
    }
    case Architecture::kDeepseekV3:
    case Architecture::kDeepseekV2: {
      ASSIGN_OR_RETURN(c.attention_bias, r.Bool("attention_bias", false));
      break;
    }
    case Architecture::kQwen3:
    case Architecture::kPhi3:
    case Architecture::kGemma2:
    case Architecture::kGemma3:
    case Architecture::kGptOss:
    case Architecture::kLlama4:
    case Architecture::kQwen35:
    case Architecture::kQwen35Moe:
      RETURN_IF_ERROR(ParseFamilyFields(top, r, c));
      break;
  }

  if (c.architecture == Architecture::kMixtral) {
    ASSIGN_OR_RETURN(c.num_routed_experts, r.Int("num_local_experts", 1));
    ASSIGN_OR_RETURN(c.num_experts_per_tok, r.Int("num_experts_per_tok", 1));
    // Mixtral's experts are full-width MLPs.
    ASSIGN_OR_RETURN(c.moe_intermediate_size, r.Int("intermediate_size", 1));
    c.moe_layer.assign(c.num_hidden_layers, true);
  } else if (c.architecture == Architecture::kQwen3Moe ||
             c.architecture == Architecture::kQwen35Moe) {
    ASSIGN_OR_RETURN(c.num_routed_experts, r.Int("num_experts", 0));
    ASSIGN_OR_RETURN(c.num_experts_per_tok, r.Int("num_experts_per_tok", 1));
    ASSIGN_OR_RETURN(c.moe_intermediate_size, r.Int("moe_intermediate_size", 1));
    ASSIGN_OR_RETURN(int64_t step, r.Int("decoder_sparse_step", 1, int64_t{1}));
    ASSIGN_OR_RETURN(std::vector<int64_t> mlp_only, r.IntList("mlp_only_layers"));
    const std::set<int64_t> dense(mlp_only.begin(), mlp_only.end());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      // transformers' Qwen3MoeDecoderLayer rule.
      c.moe_layer[i] = !dense.contains(i) && c.num_routed_experts > 0 && (i + 1) % step == 0;
    }
  } else if (mla) {
    ASSIGN_OR_RETURN(c.num_routed_experts, r.Int("n_routed_experts", 0, int64_t{0}));
    if (c.num_routed_experts > 0) {
      ASSIGN_OR_RETURN(c.num_experts_per_tok, r.Int("num_experts_per_tok", 1));
      ASSIGN_OR_RETURN(c.moe_intermediate_size, r.Int("moe_intermediate_size", 1));
      ASSIGN_OR_RETURN(c.num_shared_experts, r.Int("n_shared_experts", 0, int64_t{0}));
      ASSIGN_OR_RETURN(int64_t first_dense, r.Int("first_k_dense_replace", 0, int64_t{0}));
      ASSIGN_OR_RETURN(int64_t freq, r.Int("moe_layer_freq", 1, int64_t{1}));
      ASSIGN_OR_RETURN(std::string topk_method, r.String("topk_method", "greedy"));
      c.router_bias = topk_method == "noaux_tc";
      for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        // transformers' DeepseekV3DecoderLayer (and V2) rule.
        c.moe_layer[i] = i >= first_dense && i % freq == 0;
      }
    }
    ASSIGN_OR_RETURN(c.q_lora_rank, r.Int("q_lora_rank", 0, int64_t{0}));
    ASSIGN_OR_RETURN(c.kv_lora_rank, r.Int("kv_lora_rank", 1));
    ASSIGN_OR_RETURN(c.qk_nope_head_dim, r.Int("qk_nope_head_dim", 1));
    ASSIGN_OR_RETURN(c.qk_rope_head_dim, r.Int("qk_rope_head_dim", 1));
    ASSIGN_OR_RETURN(c.v_head_dim, r.Int("v_head_dim", 1));
    ASSIGN_OR_RETURN(c.num_nextn_predict_layers, r.Int("num_nextn_predict_layers", 0, int64_t{0}));
    c.head_dim = c.qk_nope_head_dim + c.qk_rope_head_dim;
  }
  if (c.num_routed_experts > 0 && c.num_experts_per_tok > c.num_routed_experts) {
    return r.Error("num_experts_per_tok",
                   absl::StrCat("must be <= the number of routed experts (", c.num_routed_experts,
                                "), got ", c.num_experts_per_tok));
  }
  const bool any_dense =
      std::find(c.moe_layer.begin(), c.moe_layer.end(), false) != c.moe_layer.end();
  // Llama 4 reads its dense width (intermediate_size_mlp) in ParseFamilyFields.
  if (any_dense && c.architecture != Architecture::kMixtral &&
      c.architecture != Architecture::kLlama4) {
    ASSIGN_OR_RETURN(c.intermediate_size, r.Int("intermediate_size", 1));
  }
  RETURN_IF_ERROR(ValidateModelConfig(c));
  return c;
}

}  // namespace etchsim::model
