// Every bundled model's counts, derived by hand from its config.json fields
// in the test (not by calling the code under test), compared exactly. Where
// a publisher states a total, the hand derivation is also pinned to it.
#include "model/model_spec.h"

#include "gtest/gtest.h"
#include "model/model_test_util.h"
#include "model/zoo.h"

namespace etchsim::model {
namespace {

// Hand formulas for a GQA decoder layer with a dense SwiGLU MLP.
struct Gqa {
  int64_t h, heads, kv_heads, d, inter, vocab, layers;
  bool qkv_bias = false, qk_norm = false, tied = false;
  int64_t attn() const {
    return h * heads * d + 2 * h * kv_heads * d + heads * d * h +
           (qkv_bias ? heads * d + 2 * kv_heads * d : 0) + (qk_norm ? 2 * d : 0);
  }
  int64_t mlp() const { return 3 * h * inter; }
  int64_t norms() const { return 2 * h; }
  int64_t embeddings() const { return (tied ? 1 : 2) * vocab * h; }
};

TEST(ModelSpecTest, Llama31_8B) {
  // h=4096, 32 layers, 32 heads, 8 KV heads, head_dim 4096/32=128,
  // intermediate 14336, vocab 128256, untied.
  const Gqa g{4096, 32, 8, 128, 14336, 128256, 32};
  EXPECT_EQ(g.attn(), 4096 * 4096 + 2 * 4096 * 1024 + 4096 * 4096);  // 41,943,040
  const int64_t layer = g.attn() + g.mlp() + g.norms();
  EXPECT_EQ(layer, 218112000);
  const int64_t total = 32 * layer + g.embeddings() + 4096;
  EXPECT_EQ(total, 8030261248);  // Meta's published 8.03B
  const ModelSpec m = Load("llama-3.1-8b");
  EXPECT_EQ(m.layers.size(), 32u);
  EXPECT_EQ(m.layers[0].Params(), layer);
  EXPECT_EQ(m.TotalParams(), total);
  // Active: everything except the embedding table, plus one row of it.
  EXPECT_EQ(m.ActiveParamsPerToken(), total - 128256 * 4096 + 4096);
  // KV (bf16): layers x (K and V) x kv_heads x head_dim x 2 bytes.
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 32 * 2 * 8 * 128 * 2);  // 131,072
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kFp8), 32 * 2 * 8 * 128);
  // Decode FLOPs at context C: 2 x (layer weights without norms + LM head)
  // + per layer 4 x heads x head_dim x C (QK^T and AV).
  const int64_t weights = 32 * (g.attn() + g.mlp()) + 128256 * 4096;
  EXPECT_EQ(m.DecodeFlops(1024), 2 * weights + 32 * 4 * 32 * 128 * int64_t{1024});
  EXPECT_EQ(m.DecodeFlops(1024), 15546187776);
  // Prefill of P tokens: P x 2 x layer weights + causal attention pairs
  // P(P+1)/2 x 4 x heads x d per layer + the LM head once.
  const int64_t p = 1000;
  EXPECT_EQ(m.PrefillFlops(p), p * 2 * 32 * (g.attn() + g.mlp()) +
                                   32 * (p * (p + 1) / 2) * 4 * 32 * 128 + 2 * 128256 * 4096);
  EXPECT_EQ(m.MtpParams(), 0);
  EXPECT_EQ(m.layers[0].num_steps(), 4);  // qkv, o, gate|up, down
}

TEST(ModelSpecTest, Llama31_70B) {
  const Gqa g{8192, 64, 8, 128, 28672, 128256, 80};
  const int64_t layer = g.attn() + g.mlp() + g.norms();
  EXPECT_EQ(layer, 855654400);
  const int64_t total = 80 * layer + g.embeddings() + 8192;
  EXPECT_EQ(total, 70553706496);  // 70.55B
  const ModelSpec m = Load("llama-3.1-70b");
  EXPECT_EQ(m.TotalParams(), total);
  EXPECT_EQ(m.ActiveParamsPerToken(), total - 128256 * 8192 + 8192);
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 80 * 2 * 8 * 128 * 2);
}

TEST(ModelSpecTest, Llama31_405B) {
  const Gqa g{16384, 128, 8, 128, 53248, 128256, 126};
  const int64_t layer = g.attn() + g.mlp() + g.norms();
  EXPECT_EQ(layer, 3187703808);
  const int64_t total = 126 * layer + g.embeddings() + 16384;
  EXPECT_EQ(total, 405853388800);  // 405.85B
  const ModelSpec m = Load("llama-3.1-405b");
  EXPECT_EQ(m.TotalParams(), total);
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 126 * 2 * 8 * 128 * 2);
  EXPECT_EQ(m.DecodeFlops(1),
            2 * (126 * (g.attn() + g.mlp()) + 128256 * 16384) + 126 * 4 * 128 * 128);
}

TEST(ModelSpecTest, Mistral7Bv03) {
  const Gqa g{4096, 32, 8, 128, 14336, 32768, 32};
  const int64_t total = 32 * (g.attn() + g.mlp() + g.norms()) + g.embeddings() + 4096;
  EXPECT_EQ(total, 7248023552);  // 7.25B
  EXPECT_EQ(Load("mistral-7b-v0.3").TotalParams(), total);
}

TEST(ModelSpecTest, Qwen25_7B_HasQkvBias) {
  // Qwen2 puts biases on q, k and v (not o): 3584 + 2 x 4 x 128 extra.
  Gqa g{3584, 28, 4, 128, 18944, 152064, 28};
  g.qkv_bias = true;
  EXPECT_EQ(g.attn(), 3584 * 3584 + 3584 + 2 * (3584 * 512 + 512) + 3584 * 3584);
  const int64_t total = 28 * (g.attn() + g.mlp() + g.norms()) + g.embeddings() + 3584;
  EXPECT_EQ(total, 7615616512);  // Qwen's published 7.61B
  const ModelSpec m = Load("qwen2.5-7b");
  EXPECT_EQ(m.TotalParams(), total);
  // Biases are parameters but not matmul FLOPs.
  EXPECT_EQ(m.layers[0].ActiveMatmulWeights(), 3584 * 3584 * 2 + 2 * 3584 * 512 + 3 * 3584 * 18944);
}

TEST(ModelSpecTest, Qwen25_05B_TiedEmbeddingsCountedOnce) {
  Gqa g{896, 14, 2, 64, 4864, 151936, 24};
  g.qkv_bias = true;
  g.tied = true;
  const int64_t total = 24 * (g.attn() + g.mlp() + g.norms()) + g.embeddings() + 896;
  EXPECT_EQ(total, 494032768);  // Qwen's published 0.49B (494,032,768)
  const ModelSpec m = Load("qwen2.5-0.5b");
  EXPECT_TRUE(m.tied_embeddings);
  EXPECT_EQ(m.lm_head_params, 0);
  EXPECT_EQ(m.TotalParams(), total);
  // Tied: the head reads the whole (shared) table; no separate row.
  EXPECT_EQ(m.ActiveParamsPerToken(), total);
  // The head still costs FLOPs.
  EXPECT_EQ(m.DecodeFlops(1) - 24 * m.layers[0].DecodeFlops(1), 2 * 151936 * 896);
}

TEST(ModelSpecTest, Mixtral8x7B) {
  // 8 experts of 3 x 4096 x 14336, top-2, router 4096 x 8, no shared.
  const Gqa g{4096, 32, 8, 128, 14336, 32000, 32};
  const int64_t expert = 3 * 4096 * 14336;
  const int64_t router = 4096 * 8;
  const int64_t layer = g.attn() + g.norms() + router + 8 * expert;
  EXPECT_EQ(layer, 1451270144);
  const int64_t total = 32 * layer + g.embeddings() + 4096;
  EXPECT_EQ(total, 46702792704);  // 46.7B
  const ModelSpec m = Load("mixtral-8x7b");
  EXPECT_EQ(m.TotalParams(), total);
  const int64_t active_layer = g.attn() + g.norms() + router + 2 * expert;
  EXPECT_EQ(m.layers[5].ActiveParams(), active_layer);
  EXPECT_EQ(m.ActiveParamsPerToken(), 32 * active_layer + 32000 * 4096 + 4096 + 4096);
  // With the whole embedding table (and the final norm), as Mistral quotes
  // "12.9B active":
  EXPECT_EQ(m.ActiveParamsPerToken() - 4096 + 32000 * 4096, 12879925248);
  EXPECT_EQ(m.layers[0].num_steps(), 5);  // qkv, o, router, gate|up, down
}

TEST(ModelSpecTest, Qwen3_235B_A22B) {
  // head_dim 128 given explicitly (64 heads x 128 = 8192 != hidden 4096);
  // per-head q/k RMSNorm; 128 experts of 3 x 4096 x 1536, top-8; no dense.
  Gqa g{4096, 64, 4, 128, 0, 151936, 94};
  g.qk_norm = true;
  EXPECT_EQ(g.attn(), 4096 * 8192 + 2 * 4096 * 512 + 8192 * 4096 + 2 * 128);
  const int64_t expert = 3 * 4096 * 1536;
  const int64_t router = 4096 * 128;
  const int64_t layer = g.attn() + g.norms() + router + 128 * expert;
  EXPECT_EQ(layer, 2487755008);
  const int64_t total = 94 * layer + g.embeddings() + 4096;
  EXPECT_EQ(total, 235093634560);  // 235B
  const ModelSpec m = Load("qwen3-235b-a22b");
  EXPECT_EQ(m.TotalParams(), total);
  const int64_t active =
      94 * (g.attn() + g.norms() + router + 8 * expert) + 151936 * 4096 + 4096 + 4096;
  EXPECT_EQ(m.ActiveParamsPerToken(), active);
  // "A22B": with the whole embedding table it is 22.19B.
  EXPECT_EQ(active - 4096 + 151936 * 4096, 22190763520);
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 94 * 2 * 4 * 128 * 2);
}

TEST(ModelSpecTest, DeepSeekR1) {
  // MLA: h=7168, 128 heads, q_lora 1536, kv_lora 512, nope 128, rope 64,
  // v 128. First 3 layers dense (intermediate 18432), then 58 MoE layers of
  // 256 routed experts (3 x 7168 x 2048) top-8 + 1 shared, sigmoid router
  // with e_score_correction_bias (noaux_tc). Vocab 129280, untied.
  const int64_t h = 7168, H = 128;
  const int64_t attn = h * 1536 + 1536          // q_a_proj, q_a_layernorm
                       + 1536 * H * (128 + 64)  // q_b_proj
                       + h * (512 + 64) + 512   // kv_a_proj_with_mqa, kv_a_layernorm
                       + 512 * H * (128 + 128)  // kv_b_proj
                       + H * 128 * h;           // o_proj
  EXPECT_EQ(attn, 187107328);
  const int64_t norms = 2 * h;
  const int64_t dense_layer = attn + norms + 3 * h * 18432;
  const int64_t expert = 3 * h * 2048;
  const int64_t router = 256 * h + 256;
  const int64_t moe_layer = attn + norms + router + 257 * expert;
  EXPECT_EQ(dense_layer, 583483392);
  EXPECT_EQ(moe_layer, 11507286272);
  const int64_t total = 3 * dense_layer + 58 * moe_layer + 2 * 129280 * h + h;
  EXPECT_EQ(total, 671026419200);  // DeepSeek's 671B
  const ModelSpec m = Load("deepseek-r1");
  EXPECT_EQ(m.layers.size(), 61u);
  EXPECT_EQ(m.layers[2].ffn_kind, FfnKind::kDense);
  EXPECT_EQ(m.layers[3].ffn_kind, FfnKind::kMoe);
  EXPECT_EQ(m.layers[0].Params(), dense_layer);
  EXPECT_EQ(m.layers[60].Params(), moe_layer);
  EXPECT_EQ(m.layers[3].RouterParams(), router);
  EXPECT_EQ(m.layers[3].SharedExpertParams(), expert);
  EXPECT_EQ(m.TotalParams(), total);
  // Active: 8 routed + 1 shared expert; head included, one embedding row.
  const int64_t active =
      3 * dense_layer + 58 * (attn + norms + router + 9 * expert) + 129280 * h + h + h;
  EXPECT_EQ(m.ActiveParamsPerToken(), active);
  EXPECT_EQ(active, 36625625600);  // DeepSeek: "36.6B incl. 0.9B head"
  // MTP kept apart: a MoE layer + eh_proj (2h x h) + enorm, hnorm,
  // shared_head.norm; embedding and head shared with the main model.
  EXPECT_EQ(m.MtpParams(), moe_layer + 2 * h * h + 3 * h);
  EXPECT_EQ(m.MtpParams(), 11610068224);  // DeepSeek: "11.5B unique"
  // KV: compressed latent (512) + rope key (64) per layer.
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 61 * (512 + 64) * 2);  // 70,272
  // Decode attention core (absorbed): 2H(512+64) for scores + 2H x 512 for
  // the weighted sum, per cached position.
  EXPECT_EQ(m.layers[0].AttentionFlopsPerPosition(true), 2 * H * 576 + 2 * H * 512);
  // Prefill (naive form): 2H(128+64) + 2H x 128.
  EXPECT_EQ(m.layers[0].AttentionFlopsPerPosition(false), 2 * H * 192 + 2 * H * 128);
  const int64_t weights = 3 * (dense_layer - norms - 1536 - 512) +
                          58 * (moe_layer - norms - 1536 - 512 - 256 - 248 * expert) + 129280 * h;
  EXPECT_EQ(m.DecodeFlops(4096), 2 * weights + 61 * int64_t{4096} * (2 * H * 576 + 2 * H * 512));
  // Critical path: q_a|kv_a, q_b, kv_b.k, [core], kv_b.v, o, then the FFN.
  EXPECT_EQ(m.layers[0].attention_core_after, 2);
  EXPECT_EQ(m.layers[0].num_steps(), 7);  // 5 attention + gate|up + down
  EXPECT_EQ(m.layers[3].num_steps(), 8);  // + router
}

TEST(ModelSpecTest, EveryBundledModelIsCovered) {
  // Adding a bundled config without a hand-derived test above fails here.
  // The models added with the layer-pattern families are derived in
  // model_families_test.cc, the hybrid linear-attention ones in
  // model_hybrid_test.cc.
  const std::vector<std::string> expected = {
      "deepseek-r1",  "gemma-3-27b",      "gpt-oss-120b",    "llama-3.1-405b", "llama-3.1-70b",
      "llama-3.1-8b", "llama-4-maverick", "mistral-7b-v0.3", "mixtral-8x7b",   "qwen2.5-0.5b",
      "qwen2.5-7b",   "qwen3-235b-a22b",  "qwen3-32b",       "qwen3.5-27b",    "qwen3.5-35b-a3b"};
  EXPECT_EQ(BundledModelNames(), expected);
}

}  // namespace
}  // namespace etchsim::model
