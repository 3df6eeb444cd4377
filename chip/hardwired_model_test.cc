#include "chip/hardwired_model.h"

#include <algorithm>

#include "chip/chip_spec.h"
#include "gtest/gtest.h"
#include "model/zoo.h"
#include "partitioner/partitioner.h"

namespace etchsim::chip {
namespace {

struct Fixture {
  v1::ChipSpec spec;
  model::ModelSpec m;
  v1::Plan plan;
};

Fixture Make(const std::string& chip, const std::string& model, int chips,
             const std::string& strategy = "auto") {
  Fixture f;
  f.spec = *LoadChipSpec(chip);
  f.m = *model::LoadModel(model);
  auto cap = *CapacityOf(f.spec);
  f.plan = *partitioner::Partition(f.m, cap, strategy, {.num_chips = chips});
  return f;
}

TEST(HardwiredModelTest, Llama8bOnOneHc1ByHand) {
  Fixture f = Make("hc1", "llama-3.1-8b", 1);
  auto hw = HardwiredChipModel::Create(f.spec, f.m, f.plan.chips(0), model::KvDtype::kFp8);
  ASSERT_TRUE(hw.ok()) << hw.status();
  const double s = f.spec.hardwired().pe_scan_cycles();
  // Every Llama-8B matrix spans whole 65,536-weight banks (e.g. q_proj:
  // 4096 x 4096 = 256 banks; lm_head 4096 x 128256 = 8016 banks), so each
  // matmul step costs 24 + s cycles.
  ASSERT_EQ(hw->segments().size(), 1u);
  const chip::Segment& seg = hw->segments()[0];
  // embedding 16 + 32 layers x (4 steps + 64 vector) + head step + 64.
  EXPECT_DOUBLE_EQ(seg.fixed_cycles, 16 + 32 * (4 * (24 + s) + 64) + (24 + s) + 64);
  EXPECT_EQ(seg.attention_layers, 32);
  // Attention over P positions: 32 + max(P x 2048 B / 16384, P x 8192 MACs /
  // 65536) = 32 + P/8 cycles (fp8 KV: 2 x 8 heads x 128 = 2048 B).
  EXPECT_DOUBLE_EQ(hw->AttentionCycles(1536), 32 + 1536 / 8.0);
  const int64_t c = 1535;  // a decode step attending 1536 positions
  const double cycles = seg.fixed_cycles + 32 * (32 + 1536 / 8.0);
  EXPECT_EQ(hw->SegmentLatency(0, c, 1), SimTime::FromNanos(cycles));  // 1 GHz
  // The shared attention engine is the bottleneck unit: 32 x 224 cycles.
  EXPECT_EQ(hw->Occupancy(c, 1), SimTime::FromNanos(32 * (32 + 1536 / 8.0)));
  // A prefill chunk of 4 tokens after 100 positions: attention sums over
  // 101..104 positions; each later token adds one interval.
  const double chunk_attn = 4 * 32 + (4 * 100 + 10) / 8.0;
  const double interval = std::max(s, 32 * chunk_attn / 4);
  EXPECT_EQ(hw->SegmentLatency(0, 100, 4),
            SimTime::FromNanos(seg.fixed_cycles + 32 * (32 + 101 / 8.0) + 3 * interval));
  EXPECT_EQ(hw->Occupancy(100, 4), SimTime::FromNanos(std::max(4 * s, 32 * chunk_attn)));
}

TEST(HardwiredModelTest, SmallMatricesUseFractionalBanks) {
  Fixture f = Make("hc1", "llama-3.1-8b", 1);
  auto hw = *HardwiredChipModel::Create(f.spec, f.m, f.plan.chips(0), model::KvDtype::kFp8);
  const double s = f.spec.hardwired().pe_scan_cycles();
  EXPECT_DOUBLE_EQ(hw.StepCycles(100), 24 + s * 100 / 65536.0);
  // 65,537 weights need two PEs of 32,768.5 each.
  EXPECT_DOUBLE_EQ(hw.StepCycles(65537), 24 + s * (65537 / 2.0) / 65536.0);
}

TEST(HardwiredModelTest, ExpertSpreadSplitsIntoSegments) {
  Fixture f = Make("hc2", "deepseek-r1", 28, "expert-spread");
  int dispatches = 0, expert_only = 0;
  for (const auto& shard : f.plan.chips()) {
    auto hw = HardwiredChipModel::Create(f.spec, f.m, shard, model::KvDtype::kFp8);
    ASSERT_TRUE(hw.ok()) << hw.status();
    for (const auto& seg : hw->segments()) dispatches += seg.dispatch_layer >= 0;
    for (const auto& sl : shard.layers()) expert_only += !sl.core();
    EXPECT_LE(hw->MinReaction(), hw->SegmentLatency(0, 0, 1));
  }
  // Every layer whose experts spill over has exactly one dispatch point at
  // its home, and the spill-over appears as an experts-only slice.
  EXPECT_EQ(dispatches, expert_only);
  EXPECT_GT(dispatches, 0);
}

TEST(HardwiredModelTest, RejectsBadTiming) {
  v1::ChipSpec spec = *LoadChipSpec("hc1");
  spec.mutable_hardwired()->set_clock_ghz(0);
  EXPECT_EQ(ValidateHardwiredTiming(spec, "x").message(),
            "x: hardwired.clock_ghz must be a finite number in [0.001, 100], got 0");
}

// A hybrid model on hard-wired chips: only the full-attention layers pay
// for context; each gated DeltaNet layer reads and writes its state
// through the KV port every token, a fixed cost.
TEST(HardwiredModelTest, RecurrentLayersCostTheirStateNotTheirContext) {
  Fixture f = Make("hc2", "qwen3.5-35b-a3b", 2);
  auto hw = HardwiredChipModel::Create(f.spec, f.m, f.plan.chips(0), model::KvDtype::kBf16);
  ASSERT_TRUE(hw.ok()) << hw.status();
  int recurrent = 0, attention = 0;
  for (const v1::LayerSlice& sl : f.plan.chips(0).layers()) {
    if (!sl.core()) continue;
    (f.m.layers[sl.layer()].is_recurrent() ? recurrent : attention)++;
  }
  ASSERT_GT(recurrent, 0);
  int seg_attention = 0;
  double state = 0;
  for (const Segment& seg : hw->segments()) {
    seg_attention += seg.attention_layers;
    state += seg.state_cycles;
  }
  EXPECT_EQ(seg_attention, attention);
  const auto& h = f.spec.hardwired();
  // Per layer: fixed + max(2 x 2,146,304 B / port, MACs / engine).
  const model::LayerSpec& gdn = f.m.layers[0];
  const double one =
      h.attention_fixed_cycles() +
      std::max(2.0 * gdn.state_bytes / h.kv_read_bytes_per_cycle(),
               static_cast<double>(gdn.state_macs_per_token) / h.attention_macs_per_cycle());
  EXPECT_DOUBLE_EQ(state, recurrent * one);
  // Longer context: the difference is the attention layers' alone.
  const SimTime short_ctx = hw->SegmentLatency(0, 100, 1);
  const SimTime long_ctx = hw->SegmentLatency(0, 100000, 1);
  const Segment& s0 = hw->segments()[0];
  EXPECT_NEAR((long_ctx - short_ctx).ToSeconds() * 1e9 / hw->cycle_ns(),
              s0.attention_layers * (hw->AttentionCycles(100001) - hw->AttentionCycles(101)), 2.0);
  // A 64-token chunk: the first token's path, then 63 intervals, each the
  // longer of a PE scan and the engine's share (attention plus state): the
  // state work overlaps later tokens' scans rather than adding to them
  // (it was added on top, ~2-3% of a hybrid model's TTFT).
  const double scan = h.pe_scan_cycles() / h.tokens_per_pass();
  const double fixed = h.attention_fixed_cycles();
  // Tokens i = 1..64 attend i positions: 2,080 in all (linear in positions).
  const double chunk_attention = 64 * fixed + hw->AttentionCycles(2080) - fixed;
  const double interval =
      std::max(scan, s0.attention_layers * chunk_attention / 64 + s0.state_cycles);
  const double extra = (hw->SegmentLatency(0, 0, 64) - hw->SegmentLatency(0, 0, 1)).ToSeconds() *
                       1e9 / hw->cycle_ns();
  EXPECT_NEAR(extra, 63 * interval, 2.0);
}

}  // namespace
}  // namespace etchsim::chip
