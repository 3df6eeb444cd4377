// Hand derivations for the hybrid linear-attention family (Qwen3.5 /
// Qwen3.6: gated DeltaNet mixed with full attention). Each expected count
// is computed here from the config.json fields quoted in its comment, not by
// calling the code under test; the totals were also checked against the
// transformers 5.25 reference classes built on the meta device (equal to
// the parameter, docs/models.md) and pinned to the publisher's headline.
#include "gtest/gtest.h"
#include "model/model_config.h"
#include "model/model_spec.h"
#include "model/model_test_util.h"

namespace etchsim::model {
namespace {

// Qwen3_5GatedDeltaNet: in_proj_qkv h x (2 Kd + Vd), in_proj_z h x Vd,
// in_proj_b and in_proj_a h x nv, conv1d (2 Kd + Vd) x kernel, dt_bias and
// A_log (nv each), gated norm (dv), out_proj Vd x h.
struct Gdn {
  int64_t h, nk, dk, nv, dv, kernel;
  int64_t conv() const { return 2 * nk * dk + nv * dv; }
  int64_t params() const {
    const int64_t vd = nv * dv;
    return h * conv() + h * vd + 2 * h * nv + conv() * kernel + 2 * nv + dv + vd * h;
  }
  // conv state (C x (kernel - 1) at bf16) + fp32 state (nv x dk x dv).
  int64_t state_bytes() const { return conv() * (kernel - 1) * 2 + nv * dk * dv * 4; }
};

// Qwen3_5Attention: q_proj h x 2 H d (query and output gate), k/v h x K d,
// o_proj H d x h, q_norm and k_norm (d each); no biases.
int64_t GatedAttention(int64_t h, int64_t heads, int64_t kv_heads, int64_t d) {
  return h * 2 * heads * d + 2 * h * kv_heads * d + heads * d * h + 2 * d;
}

TEST(ModelHybridTest, Qwen35_35B_A3B_MoeWithGatedDeltaNet) {
  // Qwen/Qwen3.5-35B-A3B text_config: hidden 2048, 40 layers (layer_types:
  // 3 linear_attention then 1 full_attention, x10), 16 heads, 2 KV heads,
  // head_dim 256; linear 16 key heads x 128, 32 value heads x 128, conv
  // kernel 4; 256 experts of 512, top 8, one shared expert of 512 with a
  // gate; vocab 248320, untied; mtp_num_hidden_layers 1; ssm fp32.
  const int64_t h = 2048, V = 248320;
  const Gdn g{h, 16, 128, 32, 128, 4};
  const int64_t attn = GatedAttention(h, 16, 2, 256);
  const int64_t norms = 2 * h;
  const int64_t expert = 3 * h * 512;
  const int64_t moe = 256 * h + 256 * expert + expert + h;  // router, experts, shared + gate
  const int64_t gdn_layer = g.params() + norms + moe;
  const int64_t full_layer = attn + norms + moe;
  const int64_t total = 30 * gdn_layer + 10 * full_layer + 2 * V * h + h;
  EXPECT_EQ(total, 34660610688);  // "35B"
  const ModelSpec m = Load("qwen3.5-35b-a3b");
  ASSERT_EQ(m.layers.size(), 40u);
  EXPECT_EQ(m.multimodal_wrapper, "Qwen3_5MoeForConditionalGeneration");
  EXPECT_EQ(m.layers[0].mixer, MixerKind::kGatedDeltaNet);
  EXPECT_EQ(m.layers[3].mixer, MixerKind::kAttention);
  EXPECT_EQ(m.layers[0].Params(), gdn_layer);
  EXPECT_EQ(m.layers[3].Params(), full_layer);
  EXPECT_EQ(m.TotalParams(), total);
  const int64_t active_moe = 256 * h + 8 * expert + expert + h;
  const int64_t active =
      30 * (g.params() + norms + active_moe) + 10 * (attn + norms + active_moe) + V * h + h + h;
  EXPECT_EQ(m.ActiveParamsPerToken(), active);
  EXPECT_EQ(active - h + V * h, 3454988928);  // "A3B" with the embedding table
  // KV only in the 10 full layers: 2 x 2 KV heads x 256 at bf16.
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 10 * 2 * 2 * 256 * 2);
  EXPECT_EQ(m.layers[0].KvBytesPerToken(KvDtype::kBf16), 0);
  EXPECT_EQ(g.state_bytes(), 2146304);
  EXPECT_EQ(m.StateBytesPerSequence(), 30 * g.state_bytes());  // 64,389,120
  // MTP: fc (2h x h), two pre-fc norms and a final norm, one full layer.
  EXPECT_EQ(m.MtpParams(), 2 * h * h + 3 * h + full_layer);
  EXPECT_EQ(m.MtpParams(), 844640768);
}

TEST(ModelHybridTest, Qwen35_27B_DenseWithGatedDeltaNet) {
  // Qwen/Qwen3.5-27B text_config: hidden 5120, 64 layers (no layer_types
  // needed: full attention every 4th by full_attention_interval), 24 heads,
  // 4 KV heads, head_dim 256, intermediate 17408; linear 16 key heads x
  // 128, 48 value heads x 128, kernel 4; vocab 248320, untied.
  const int64_t h = 5120, V = 248320;
  const Gdn g{h, 16, 128, 48, 128, 4};
  const int64_t mlp = 3 * h * 17408, norms = 2 * h;
  const int64_t gdn_layer = g.params() + norms + mlp;
  const int64_t full_layer = GatedAttention(h, 24, 4, 256) + norms + mlp;
  EXPECT_EQ(gdn_layer, 383273184);
  EXPECT_EQ(full_layer, 372255232);
  const int64_t total = 48 * gdn_layer + 16 * full_layer + 2 * V * h + h;
  EXPECT_EQ(total, 26895998464);  // "27B"
  const ModelSpec m = Load("qwen3.5-27b");
  EXPECT_EQ(m.TotalParams(), total);
  EXPECT_EQ(m.layers[62].mixer, MixerKind::kGatedDeltaNet);
  EXPECT_EQ(m.layers[63].mixer, MixerKind::kAttention);
  EXPECT_EQ(m.StateBytesPerSequence(), 48 * g.state_bytes());  // 153,944,064
  EXPECT_EQ(m.StateBytesPerSequence(), 153944064);
  EXPECT_EQ(m.KvBytesPerToken(KvDtype::kBf16), 16 * 2 * 4 * 256 * 2);
  // Decode work of a recurrent layer does not grow with the context.
  EXPECT_EQ(m.layers[0].DecodeFlops(10), m.layers[0].DecodeFlops(100000));
  EXPECT_GT(m.layers[3].DecodeFlops(100000), m.layers[3].DecodeFlops(10));
}

// One line naming the field for each bad hybrid input (issue 30).
TEST(ModelHybridTest, BadHybridFieldsAreNamed) {
  const std::string base = R"({"architectures": ["Qwen3_5ForCausalLM"], "hidden_size": 64,
    "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
    "intermediate_size": 128, "vocab_size": 100, "linear_num_key_heads": 2,
    "linear_key_head_dim": 16, "linear_num_value_heads": 4, "linear_value_head_dim": 16 EXTRA})";
  auto with = [&](const std::string& extra) {
    std::string s = base;
    s.replace(s.find("EXTRA"), 5, extra);
    return ParseModelConfig(s, "h.json");
  };
  ASSERT_TRUE(with("").ok()) << with("").status();
  for (const auto& [extra, want] : std::vector<std::pair<std::string, std::string>>{
           {R"(, "layer_types": ["full_attention"])",
            "h.json: \"layer_types\" must have one entry per layer (\"num_hidden_layers\" = 4), "
            "got 1"},
           {R"(, "layer_types": ["full_attention", "mamba", "x", "y"])",
            "h.json: \"layer_types\" entry 1 must be \"linear_attention\" or \"full_attention\", "
            "got \"mamba\""},
           {R"(, "linear_conv_kernel_dim": 0)", "h.json: \"linear_conv_kernel_dim\" must be > 0"},
           {R"(, "linear_num_value_heads": 3)",
            "h.json: \"linear_num_value_heads\" must be a multiple of \"linear_num_key_heads\" "
            "(2), got 3"},
           {R"(, "mamba_ssm_dtype": "int4")", "h.json: \"mamba_ssm_dtype\" must be"},
       }) {
    auto c = with(extra);
    ASSERT_FALSE(c.ok()) << extra;
    EXPECT_EQ(c.status().message().substr(0, want.size()), want) << extra;
  }
}

}  // namespace
}  // namespace etchsim::model
