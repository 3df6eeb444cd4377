// Hand derivations for the architectures whose layers differ from one
// another or carry extra parameters (Qwen3, DeepSeek-V2, Phi-3, Gemma 2/3,
// gpt-oss, Llama 4). Each expected count is computed in the test from the
// config.json fields quoted in its comment, not by calling the code under
// test, and pinned to the total the publisher states.
#include "gtest/gtest.h"
#include "model/model_config.h"
#include "model/model_spec.h"
#include "model/model_test_util.h"
#include "model/zoo.h"

namespace etchsim::model {
namespace {

ModelSpec FromJson(const std::string& json) {
  auto c = ParseModelConfig(json, "inline.json");
  EXPECT_TRUE(c.ok()) << c.status();
  auto m = BuildModelSpec(*c);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

// GQA projections without biases: q (h x H d), k and v (h x K d), o (H d x h).
int64_t GqaWeights(int64_t h, int64_t heads, int64_t kv_heads, int64_t d) {
  return h * heads * d + 2 * h * kv_heads * d + heads * d * h;
}

TEST(ModelFamiliesTest, Qwen3_32B_DenseWithQkNorms) {
  // Qwen/Qwen3-32B config.json: hidden 5120, 64 layers, 64 heads, 8 KV
  // heads, head_dim 128, intermediate 25600, vocab 151936, untied; per-head
  // q_norm and k_norm (128 each); no sliding window (use_sliding_window
  // false).
  const int64_t h = 5120, V = 151936;
  const int64_t attn = GqaWeights(h, 64, 8, 128) + 2 * 128;
  EXPECT_EQ(attn, 94372096);
  const int64_t layer = attn + 3 * h * 25600 + 2 * h;
  EXPECT_EQ(layer, 487598336);
  const int64_t total = 64 * layer + 2 * V * h + h;
  EXPECT_EQ(total, 32762123264);       // model card: "32.8B"
  EXPECT_EQ(64 * layer, 31206293504);  // model card: "Non-Embedding: 31.2B"
  const ModelSpec m = Load("qwen3-32b");
  EXPECT_EQ(m.architecture, "Qwen3ForCausalLM");
  EXPECT_EQ(m.layers[0].Params(), layer);
  EXPECT_EQ(m.TotalParams(), total);
  EXPECT_EQ(m.TotalParamsNonEmbedding(), 64 * layer + h);
  EXPECT_EQ(m.ActiveParamsPerToken(), total - V * h + h);  // dense: all but the table
  EXPECT_FALSE(m.has_windowed_layers());
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 64 * 2 * 8 * 128 * 2);  // 262,144
  EXPECT_EQ(m.KvBytes(1000, KvDtype::kBf16), 1000 * 262144);
}

TEST(ModelFamiliesTest, Qwen3SlidingWindowFromMaxWindowLayers) {
  // use_sliding_window: layers >= max_window_layers slide (Qwen3Config).
  const ModelSpec m = FromJson(R"({"architectures": ["Qwen3ForCausalLM"],
      "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
      "num_hidden_layers": 4, "num_key_value_heads": 2, "head_dim": 16,
      "vocab_size": 100, "use_sliding_window": true, "sliding_window": 8,
      "max_window_layers": 3})");
  EXPECT_EQ(m.layers[2].attention_span, AttentionSpan::kFull);
  EXPECT_EQ(m.layers[3].attention_span, AttentionSpan::kSliding);
  EXPECT_EQ(m.layers[3].attention_window, 8);
}

TEST(ModelFamiliesTest, DeepseekV2LiteMlaWithoutQLora) {
  // deepseek-ai/DeepSeek-V2-Lite config.json: hidden 2048, 27 layers, 16
  // heads, q_lora_rank null (plain q_proj), kv_lora_rank 512, nope 128,
  // rope 64, v 128; first_k_dense_replace 1 (intermediate 10944), then 64
  // routed experts (moe_intermediate 1408) top-6 + 2 shared, greedy router
  // (no bias); vocab 102400, untied.
  const ModelSpec m = FromJson(R"({"architectures": ["DeepseekV2ForCausalLM"],
      "first_k_dense_replace": 1, "hidden_size": 2048, "intermediate_size": 10944,
      "kv_lora_rank": 512, "max_position_embeddings": 163840,
      "moe_intermediate_size": 1408, "moe_layer_freq": 1, "n_routed_experts": 64,
      "n_shared_experts": 2, "num_attention_heads": 16, "num_experts_per_tok": 6,
      "num_hidden_layers": 27, "num_key_value_heads": 16, "q_lora_rank": null,
      "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "tie_word_embeddings": false,
      "topk_method": "greedy", "v_head_dim": 128, "vocab_size": 102400})");
  const int64_t h = 2048, H = 16;
  const int64_t attn = h * H * (128 + 64)       // q_proj
                       + h * (512 + 64) + 512   // kv_a_proj_with_mqa, kv_a_layernorm
                       + 512 * H * (128 + 128)  // kv_b_proj
                       + H * 128 * h;           // o_proj
  EXPECT_EQ(attn, 13763072);
  const int64_t expert = 3 * h * 1408;
  const int64_t dense = attn + 2 * h + 3 * h * 10944;
  const int64_t moe = attn + 2 * h + h * 64 + 64 * expert + 2 * expert;
  const int64_t total = dense + 26 * moe + 2 * 102400 * h + h;
  EXPECT_EQ(total, 15706484224);  // DeepSeek: "15.7B total"
  EXPECT_EQ(m.TotalParams(), total);
  EXPECT_EQ(m.layers[0].ffn_kind, FfnKind::kDense);
  EXPECT_EQ(m.layers[1].RouterParams(), h * 64);
  const int64_t active = dense + 26 * (attn + 2 * h + h * 64 + 8 * expert) + 102400 * h + h + h;
  EXPECT_EQ(active, 2451437056);  // DeepSeek: "2.4B activated"
  EXPECT_EQ(m.ActiveParamsPerToken(), active);
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 27 * (512 + 64) * 2);
}

TEST(ModelFamiliesTest, Phi3MiniSlidingEveryLayer) {
  // microsoft/Phi-3-mini-4k-instruct config.json: hidden 3072, 32 layers,
  // 32 heads = 32 KV heads, intermediate 8192, vocab 32064, untied,
  // sliding_window 2047 on every layer. Fused qkv_proj and gate_up_proj
  // hold the same parameters as Llama's separate matrices.
  const ModelSpec m = FromJson(R"({"architectures": ["Phi3ForCausalLM"],
      "hidden_size": 3072, "intermediate_size": 8192, "max_position_embeddings": 4096,
      "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
      "sliding_window": 2047, "tie_word_embeddings": false, "vocab_size": 32064})");
  const int64_t h = 3072;
  const int64_t layer = GqaWeights(h, 32, 32, 96) + 3 * h * 8192 + 2 * h;
  const int64_t total = 32 * layer + 2 * 32064 * h + h;
  EXPECT_EQ(total, 3821079552);  // Microsoft: "3.8B parameters"
  EXPECT_EQ(m.TotalParams(), total);
  for (const LayerSpec& l : m.layers) {
    EXPECT_EQ(l.attention_span, AttentionSpan::kSliding);
    EXPECT_EQ(l.attention_window, 2047);
  }
  // A 4,000-token sequence keeps 2,047 positions per layer.
  const int64_t per_position = 32 * 2 * 32 * 96 * 2;
  EXPECT_EQ(m.KvBytes(4000, KvDtype::kBf16), 2047 * per_position);
  EXPECT_EQ(m.KvBytes(100, KvDtype::kBf16), 100 * per_position);
}

TEST(ModelFamiliesTest, Gemma2_9B_AlternatingWindowsTiedFourNorms) {
  // google/gemma-2-9b config.json: hidden 3584, 42 layers, 16 heads, 8 KV
  // heads, head_dim 256, intermediate 14336, vocab 256000, sliding_window
  // 4096; Gemma2Config ties embeddings and alternates sliding (even layers)
  // and full (odd layers); four RMSNorms per layer.
  const ModelSpec m = FromJson(R"({"architectures": ["Gemma2ForCausalLM"],
      "head_dim": 256, "hidden_size": 3584, "intermediate_size": 14336,
      "max_position_embeddings": 8192, "num_attention_heads": 16, "num_hidden_layers": 42,
      "num_key_value_heads": 8, "query_pre_attn_scalar": 256, "sliding_window": 4096,
      "vocab_size": 256000})");
  const int64_t h = 3584;
  const int64_t layer = GqaWeights(h, 16, 8, 256) + 3 * h * 14336 + 4 * h;
  EXPECT_EQ(layer, 198195200);
  const int64_t total = 42 * layer + 256000 * h + h;  // one (tied) table
  EXPECT_EQ(total, 9241705984);                       // Google: "9.24B" (HF safetensors count)
  EXPECT_TRUE(m.tied_embeddings);
  EXPECT_EQ(m.TotalParams(), total);
  EXPECT_EQ(m.layers[0].attention_span, AttentionSpan::kSliding);
  EXPECT_EQ(m.layers[1].attention_span, AttentionSpan::kFull);
  // 8,192 tokens: 21 full layers hold 8,192 positions, 21 sliding 4,096.
  const int64_t per_layer = 2 * 8 * 256 * 2;
  EXPECT_EQ(m.KvBytes(8192, KvDtype::kBf16), 21 * 8192 * per_layer + 21 * 4096 * per_layer);
}

TEST(ModelFamiliesTest, Gemma3_27B_TextModelOfMultimodalCheckpoint) {
  // google/gemma-3-27b-it config.json, text_config: hidden 5376, 62 layers,
  // 32 heads, 16 KV heads, head_dim 128, intermediate 21504, sliding_window
  // 1024; vocab_size absent (Gemma3TextConfig default 262208), tied; q/k
  // norms (128 each) and four layer norms; sliding_window_pattern 6: layers
  // 5, 11, ..., 59 are full (10), the other 52 slide. The SigLIP vision
  // tower (vision_config) is not counted.
  const int64_t h = 5376, V = 262208;
  const int64_t attn = GqaWeights(h, 32, 16, 128) + 2 * 128;
  const int64_t layer = attn + 3 * h * 21504 + 4 * h;
  EXPECT_EQ(layer, 412898560);
  const int64_t total = 62 * layer + V * h + h;
  EXPECT_EQ(total, 27009346304);  // Google: "27B" (language model 27.0B)
  const ModelSpec m = Load("gemma-3-27b");
  EXPECT_EQ(m.architecture, "Gemma3ForCausalLM");
  EXPECT_EQ(m.multimodal_wrapper, "Gemma3ForConditionalGeneration");
  EXPECT_EQ(m.TotalParams(), total);
  EXPECT_EQ(m.ActiveParamsPerToken(), total);  // tied: the head reads the table
  int full = 0;
  for (const LayerSpec& l : m.layers) full += l.attention_span == AttentionSpan::kFull;
  EXPECT_EQ(full, 10);
  EXPECT_EQ(m.layers[5].attention_span, AttentionSpan::kFull);
  EXPECT_EQ(m.layers[4].attention_window, 1024);
  const int64_t per_layer = 2 * 16 * 128 * 2;  // 8,192 bytes per position
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 62 * per_layer);
  // At 32,768 tokens the 52 sliding layers keep 1,024 positions: 5.33x less
  // than if every layer kept all of them.
  EXPECT_EQ(m.KvBytes(32768, KvDtype::kBf16), (10 * 32768 + 52 * 1024) * per_layer);
  // Decode at 32,768: full layers attend 32,768, sliding 1,024.
  const int64_t core = 4 * 32 * 128;
  EXPECT_EQ(m.DecodeFlops(32768) - m.DecodeFlops(1),
            10 * (32768 - 1) * core + 52 * (1024 - 1) * core);
}

TEST(ModelFamiliesTest, GptOss120B_SinksBiasesAlternatingWindowsMxfp4) {
  // openai/gpt-oss-120b config.json: hidden 2880, 36 layers, 64 heads, 8 KV
  // heads, head_dim 64, attention_bias (q, k, v, o), one sink per head; 128
  // experts of intermediate 2880 with gate_up (2 x 2880) and down (2880)
  // biases, top-4, router with bias; vocab 201088, untied; layer_types
  // alternate sliding (128) and full; experts stored in MXFP4.
  const int64_t h = 2880, V = 201088, E = 128;
  const int64_t attn = GqaWeights(h, 64, 8, 64) + 64 * 64 + 2 * 8 * 64 + h + 64;
  EXPECT_EQ(attn, 26550144);
  const int64_t expert = 3 * h * 2880 + 2 * 2880 + h;
  EXPECT_EQ(expert, 24891840);
  const int64_t router = h * E + E;
  const int64_t layer = attn + 2 * h + router + E * expert;
  EXPECT_EQ(layer, 3213080192);
  const int64_t total = 36 * layer + 2 * V * h + h;
  EXPECT_EQ(total, 116829156672);  // OpenAI model card: "116.83B"
  const ModelSpec m = Load("gpt-oss-120b");
  EXPECT_EQ(m.layers[0].attention_sink_params, 64);
  EXPECT_EQ(m.layers[0].Params(), layer);
  EXPECT_EQ(m.TotalParams(), total);
  const int64_t active = 36 * (attn + 2 * h + router + 4 * expert) + V * h + h + h;
  EXPECT_EQ(active, 5132852352);  // OpenAI: "5.13B active" (embedding excluded)
  EXPECT_EQ(m.ActiveParamsPerToken(), active);
  EXPECT_EQ(m.layers[0].attention_span, AttentionSpan::kSliding);
  EXPECT_EQ(m.layers[0].attention_window, 128);
  EXPECT_EQ(m.layers[1].attention_span, AttentionSpan::kFull);
  const int64_t per_layer = 2 * 8 * 64 * 2;  // 2,048 bytes per position
  EXPECT_EQ(m.KvBytes(1, KvDtype::kBf16), 36 * per_layer);
  EXPECT_EQ(m.KvBytes(4096, KvDtype::kBf16), (18 * 4096 + 18 * 128) * per_layer);
  // Native checkpoint: expert matrices at 4.25 bits (e2m1 + E8M0 per 32),
  // everything else (expert biases included) bf16.
  EXPECT_EQ(m.native_expert_format, "mxfp4");
  const int64_t expert_weights = 36 * E * 3 * h * 2880;
  EXPECT_EQ(m.NativeWeightBytes(), expert_weights * 17 / 32 + 2 * (total - expert_weights));
  EXPECT_EQ(m.NativeWeightBytes(), 65248815744);  // 60.77 GiB; OpenAI: "60.8 GiB"
  // Prefill of 1,000 tokens: sliding layers pair each query with at most
  // 128 keys: 128 x 129 / 2 + 872 x 128.
  EXPECT_EQ(m.layers[0].PrefillPairs(1000), 128 * 129 / 2 + 872 * 128);
  EXPECT_EQ(m.layers[1].PrefillPairs(1000), 1000 * 1001 / 2);
}

TEST(ModelFamiliesTest, Llama4MaverickInterleavedMoeChunkedAttention) {
  // meta-llama/Llama-4-Maverick-17B-128E-Instruct config.json, text_config:
  // hidden 5120, 48 layers, 40 heads, 8 KV heads, head_dim 128;
  // interleave_moe_layer_step 2: layers 1, 3, ..., 47 MoE with 128 routed
  // experts (intermediate 8192) top-1 + one shared expert, router without
  // bias; the other 24 dense with intermediate_size_mlp 16384; vocab
  // 202048, untied; attention_chunk_size 8192 on RoPE layers (every layer
  // but 3, 7, ..., 47 by no_rope_layer_interval 4). Vision tower excluded.
  const int64_t h = 5120, V = 202048;
  const int64_t attn = GqaWeights(h, 40, 8, 128);
  const int64_t dense = attn + 2 * h + 3 * h * 16384;
  const int64_t expert = 3 * h * 8192;
  const int64_t moe = attn + 2 * h + h * 128 + 128 * expert + expert;
  EXPECT_EQ(dense, 314583040);
  EXPECT_EQ(moe, 16295536640);
  const int64_t total = 24 * dense + 24 * moe + 2 * V * h + h;
  EXPECT_EQ(total, 400711848960);  // Meta: "400B total"
  const ModelSpec m = Load("llama-4-maverick");
  EXPECT_EQ(m.multimodal_wrapper, "Llama4ForConditionalGeneration");
  EXPECT_EQ(m.layers[0].ffn_kind, FfnKind::kDense);
  EXPECT_EQ(m.layers[1].ffn_kind, FfnKind::kMoe);
  EXPECT_EQ(m.TotalParams(), total);
  const int64_t active = 24 * dense + 24 * (attn + 2 * h + h * 128 + 2 * expert) + V * h + h + h;
  EXPECT_EQ(m.ActiveParamsPerToken(), active);
  EXPECT_EQ(active, 16150210560);
  // Meta's "17B active" counts the whole embedding table:
  EXPECT_EQ(m.ActiveParamsWithEmbeddingTable(), active - h + V * h);
  EXPECT_EQ(m.ActiveParamsWithEmbeddingTable(), 17184691200);
  EXPECT_EQ(m.layers[0].attention_span, AttentionSpan::kChunked);
  EXPECT_EQ(m.layers[3].attention_span, AttentionSpan::kFull);
  EXPECT_EQ(m.layers[0].attention_window, 8192);
  // Position 8,193 starts a new chunk: it attends to itself only.
  EXPECT_EQ(m.layers[0].AttendedPositions(8193), 1);
  EXPECT_EQ(m.layers[0].AttendedPositions(8192), 8192);
  EXPECT_EQ(m.layers[0].PrefillPairs(10000), 8192 * 8193 / 2 + 1808 * 1809 / 2);
  const int64_t per_layer = 2 * 8 * 128 * 2;
  EXPECT_EQ(m.KvBytes(100000, KvDtype::kBf16), (12 * 100000 + 36 * 8192) * per_layer);
}

TEST(ModelFamiliesTest, PublishersConventionsForExistingModels) {
  // Mixtral 8x7B: Mistral's "12.9B active" counts the whole table.
  const ModelSpec mix = Load("mixtral-8x7b");
  EXPECT_EQ(mix.ActiveParamsWithEmbeddingTable(), 12879925248);
  // Qwen3-235B-A22B: "22B activated" is with the table too (22.19B).
  EXPECT_EQ(Load("qwen3-235b-a22b").ActiveParamsWithEmbeddingTable(), 22190763520);
  // DeepSeek R1: "37B activated" is etchsim's convention (36.6B).
  const ModelSpec r1 = Load("deepseek-r1");
  EXPECT_EQ(r1.ActiveParamsPerToken(), 36625625600);
  // Non-embedding drops the head (V h) and the row (h).
  EXPECT_EQ(r1.ActiveParamsNonEmbedding(), 36625625600 - 129280 * 7168 - 7168);
}

}  // namespace
}  // namespace etchsim::model
