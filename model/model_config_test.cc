#include "model/model_config.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/config_reader.h"

namespace etchsim::model {
namespace {

// A minimal valid Llama config; each bad-input case edits it.
std::string Llama(const std::string& replace_from = "", const std::string& replace_to = "") {
  std::string s = R"({
  "architectures": ["LlamaForCausalLM"],
  "hidden_size": 64,
  "intermediate_size": 128,
  "num_attention_heads": 4,
  "num_hidden_layers": 2,
  "num_key_value_heads": 2,
  "vocab_size": 100
})";
  if (!replace_from.empty()) {
    const size_t at = s.find(replace_from);
    EXPECT_NE(at, std::string::npos) << replace_from;
    s.replace(at, replace_from.size(), replace_to);
  }
  return s;
}

// Minimal Gemma 3 and Llama 4 configs with `extra` fields spliced in.
std::string Gemma3(const std::string& extra) {
  return R"({"architectures": ["Gemma3ForCausalLM"], )" + extra + R"(
  "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
  "num_hidden_layers": 2, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 100})";
}
std::string Llama4(const std::string& extra) {
  return R"({"architectures": ["Llama4ForConditionalGeneration"], "text_config": {)" + extra +
         R"( "hidden_size": 64, "intermediate_size": 32, "intermediate_size_mlp": 128,
  "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
  "vocab_size": 100, "num_local_experts": 4}})";
}

struct BadCase {
  std::string name;
  std::string json;
  std::string message;  // the whole expected error text
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInputTest, OneClearLineNamingFileAndField) {
  const BadCase& c = GetParam();
  auto r = ParseModelConfig(c.json, "cfg/bad.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), c.message);
  EXPECT_EQ(std::string(r.status().message()).find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    ModelConfig, BadInputTest,
    ::testing::Values(
        BadCase{"InvalidJson", "{\"hidden_size\": 64,\n  oops}",
                "cfg/bad.json: invalid JSON at line 2, column 3: syntax error "
                "while parsing object key - invalid literal; last read: "
                "'64,<U+000A>  o'; expected string literal"},
        BadCase{"EmptyFile", "",
                "cfg/bad.json: invalid JSON at line 1, column 1: syntax error "
                "while parsing value - unexpected end of input; expected '[', "
                "'{', or a literal"},
        BadCase{"NotAnObject", "[1, 2]",
                "cfg/bad.json: expected a JSON object at the top level, got an "
                "array"},
        BadCase{"NoArchitectures", Llama("\"architectures\": [\"LlamaForCausalLM\"],", ""),
                "cfg/bad.json: missing required field \"architectures\""},
        BadCase{"ArchitecturesNotArray", Llama("[\"LlamaForCausalLM\"]", "\"LlamaForCausalLM\""),
                "cfg/bad.json: \"architectures\" must be a non-empty array of "
                "strings"},
        BadCase{
            "UnknownArchitecture", Llama("LlamaForCausalLM", "GPT2LMHeadModel"),
            "cfg/bad.json: unsupported architecture \"GPT2LMHeadModel\" in "
            "\"architectures\" (supported: LlamaForCausalLM, "
            "MistralForCausalLM, MixtralForCausalLM, Qwen2ForCausalLM, "
            "Qwen3MoeForCausalLM, DeepseekV3ForCausalLM, Qwen3ForCausalLM, "
            "DeepseekV2ForCausalLM, Phi3ForCausalLM, Gemma2ForCausalLM, "
            "Gemma3ForCausalLM, Gemma3ForConditionalGeneration, GptOssForCausalLM, "
            "Llama4ForCausalLM, Llama4ForConditionalGeneration, Qwen3_5ForConditionalGeneration, "
            "Qwen3_5ForCausalLM, Qwen3_5MoeForConditionalGeneration, Qwen3_5MoeForCausalLM)"},
        BadCase{"MissingField", Llama("\"hidden_size\": 64,", ""),
                "cfg/bad.json: missing required field \"hidden_size\""},
        BadCase{"NegativeLayers", Llama("\"num_hidden_layers\": 2", "\"num_hidden_layers\": -3"),
                "cfg/bad.json: \"num_hidden_layers\" must be > 0, got -3"},
        BadCase{"ZeroHeads", Llama("\"num_attention_heads\": 4", "\"num_attention_heads\": 0"),
                "cfg/bad.json: \"num_attention_heads\" must be > 0, got 0"},
        BadCase{"WrongType", Llama("\"vocab_size\": 100", "\"vocab_size\": \"100\""),
                "cfg/bad.json: \"vocab_size\" must be an integer, got a string"},
        BadCase{"Fractional", Llama("\"hidden_size\": 64", "\"hidden_size\": 64.5"),
                "cfg/bad.json: \"hidden_size\" must be an integer, got 64.5"},
        BadCase{"KvHeadsDoNotDivide",
                Llama("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"),
                "cfg/bad.json: \"num_key_value_heads\" must divide "
                "\"num_attention_heads\" (4), got 3"},
        BadCase{"BoolWrongType",
                Llama("\"vocab_size\": 100",
                      "\"vocab_size\": 100, "
                      "\"tie_word_embeddings\": 1"),
                "cfg/bad.json: \"tie_word_embeddings\" must be true or false, "
                "got a number"},
        BadCase{"TooManyExpertsPerToken",
                R"({"architectures": ["MixtralForCausalLM"], "hidden_size": 64,
                   "intermediate_size": 128, "num_attention_heads": 4,
                   "num_hidden_layers": 2, "vocab_size": 100,
                   "num_local_experts": 4, "num_experts_per_tok": 5})",
                "cfg/bad.json: \"num_experts_per_tok\" must be <= the number of "
                "routed experts (4), got 5"},
        BadCase{"MlaMissingRank",
                R"({"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 64,
                   "intermediate_size": 128, "num_attention_heads": 4,
                   "num_hidden_layers": 2, "vocab_size": 100,
                   "qk_nope_head_dim": 16, "qk_rope_head_dim": 8,
                   "v_head_dim": 16})",
                "cfg/bad.json: missing required field \"kv_lora_rank\""},
        BadCase{"HiddenNotDivisible", Llama("\"hidden_size\": 64", "\"hidden_size\": 66"),
                "cfg/bad.json: \"hidden_size\" must be divisible by "
                "\"num_attention_heads\" (4) when \"head_dim\" is absent, got 66"},
        BadCase{"LayerTypesWrongLength", Gemma3("\"layer_types\": [\"full_attention\"],"),
                "cfg/bad.json: \"layer_types\" must have one entry per layer "
                "(\"num_hidden_layers\" = 2), got 1"},
        BadCase{"LayerTypesUnknownEntry",
                Gemma3("\"layer_types\": [\"full_attention\", \"local\"],"),
                "cfg/bad.json: \"layer_types\" entry 1 must be \"full_attention\", "
                "\"sliding_attention\" or \"chunked_attention\", got \"local\""},
        BadCase{"SlidingWindowZero", Gemma3("\"sliding_window\": 0,"),
                "cfg/bad.json: \"sliding_window\" must be > 0, got 0"},
        BadCase{"SlidingWindowHuge", Gemma3("\"sliding_window\": 1e12,"),
                "cfg/bad.json: \"sliding_window\" must be > 0 and <= 134217728, got "
                "1000000000000.0"},
        BadCase{"MultimodalWithoutTextConfig",
                R"({"architectures": ["Llama4ForConditionalGeneration"], "hidden_size": 64})",
                "cfg/bad.json: missing required field \"text_config\" "
                "(Llama4ForConditionalGeneration keeps its language model's fields there)"},
        BadCase{"TextConfigNotObject",
                R"({"architectures": ["Gemma3ForConditionalGeneration"], "text_config": 3})",
                "cfg/bad.json: \"text_config\" must be an object, got a number"},
        BadCase{"TextConfigFieldNamedWithPath",
                R"({"architectures": ["Gemma3ForConditionalGeneration"],
                   "text_config": {"hidden_size": -1}})",
                "cfg/bad.json: \"text_config.hidden_size\" must be > 0, got -1"},
        BadCase{"UnknownQuantMethod",
                R"({"architectures": ["GptOssForCausalLM"], "hidden_size": 64,
                   "intermediate_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
                   "vocab_size": 100, "num_local_experts": 4, "num_experts_per_tok": 2,
                   "quantization_config": {"quant_method": "gptq"}})",
                "cfg/bad.json: \"quantization_config.quant_method\" must be \"mxfp4\" (the "
                "one layout gpt-oss ships), got \"gptq\""},
        BadCase{"NoRopeLayersNotBinary",
                Llama4("\"attention_chunk_size\": 8, \"no_rope_layers\": [1, 2],"),
                "cfg/bad.json: \"text_config.no_rope_layers\" must hold 0 or 1, got 2"},
        BadCase{"MoeLayersOutOfRange", Llama4("\"moe_layers\": [5],"),
                "cfg/bad.json: \"text_config.moe_layers\" must hold layer indices < 2, got 5"},
        BadCase{"ChunkSizeZero", Llama4("\"attention_chunk_size\": 0,"),
                "cfg/bad.json: \"text_config.attention_chunk_size\" must be > 0, got 0"}),
    [](const auto& info) { return info.param.name; });

TEST(ModelConfigTest, DefaultsFollowTransformers) {
  auto c = ParseModelConfig(Llama("\"num_key_value_heads\": 2,", ""), "x.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->num_key_value_heads, 4);  // defaults to num_attention_heads
  EXPECT_EQ(c->head_dim, 16);
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_EQ(c->name, "x");
}

TEST(ModelConfigTest, IntegralFloatsAndNullsAreAccepted) {
  auto c = ParseModelConfig(
      Llama("\"hidden_size\": 64", "\"hidden_size\": 64.0, \"head_dim\": null"), "x.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->hidden_size, 64);
  EXPECT_EQ(c->head_dim, 16);
}

// Python's json writes inf and nan as bare Infinity / NaN (Nemotron-H's
// "time_step_limit": [0.0, Infinity]); Hugging Face reads them. Where no
// size is read they are accepted; where a size is read they are named.
TEST(ModelConfigTest, NonFiniteLiteralsAreReadAsPythonWritesThem) {
  auto c = ParseModelConfig(
      Llama("\"vocab_size\": 100",
            "\"vocab_size\": 100, \"time_step_limit\": [0.0, Infinity], \"x\": -Infinity, "
            "\"y\": NaN, \"note\": \"NaN and Infinity in a string stay text\""),
      "x.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vocab_size, 100);
  for (const char* lit : {"Infinity", "-Infinity", "NaN"}) {
    auto bad = ParseModelConfig(
        Llama("\"hidden_size\": 64", absl::StrCat("\"hidden_size\": ", lit)), "x.json");
    ASSERT_FALSE(bad.ok()) << lit;
    EXPECT_EQ(bad.status().message(),
              absl::StrCat("x.json: \"hidden_size\" must be an integer, got ", lit));
  }
  // A word that only starts like a literal is still invalid JSON.
  EXPECT_FALSE(
      ParseModelConfig(Llama("\"hidden_size\": 64", "\"hidden_size\": NaNx"), "x.json").ok());
  EXPECT_EQ(ReadNonFiniteLiterals(R"({"a": "Infinity", "b": [NaN]})"),
            "{\"a\": \"Infinity\", \"b\": [\"\\u0001NaN\"]}");
}

TEST(ModelConfigTest, Qwen3SparseStepAndMlpOnlyLayers) {
  auto c = ParseModelConfig(
      R"({"architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 64,
          "intermediate_size": 128, "num_attention_heads": 4,
          "num_hidden_layers": 6, "vocab_size": 100, "num_experts": 8,
          "num_experts_per_tok": 2, "moe_intermediate_size": 32,
          "decoder_sparse_step": 2, "mlp_only_layers": [3]})",
      "q.json");
  ASSERT_TRUE(c.ok()) << c.status();
  // (i+1) % 2 == 0 and i not in [3]: layers 1 and 5.
  EXPECT_EQ(c->moe_layer, (std::vector<bool>{false, true, false, false, false, true}));
  EXPECT_EQ(c->intermediate_size, 128);
}

TEST(ModelConfigTest, DeepseekDenseFirstLayersAndFrequency) {
  auto c = ParseModelConfig(
      R"({"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 64,
          "intermediate_size": 128, "num_attention_heads": 4,
          "num_hidden_layers": 6, "vocab_size": 100, "kv_lora_rank": 16,
          "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
          "n_routed_experts": 8, "num_experts_per_tok": 2,
          "moe_intermediate_size": 32, "first_k_dense_replace": 2,
          "moe_layer_freq": 2})",
      "d.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->moe_layer, (std::vector<bool>{false, false, true, false, true, false}));
  EXPECT_EQ(c->q_lora_rank, 0);  // absent = plain q_proj
  EXPECT_FALSE(c->router_bias);  // topk_method defaults to greedy
  EXPECT_EQ(c->head_dim, 24);
}

}  // namespace
}  // namespace etchsim::model
