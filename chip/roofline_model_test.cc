#include "chip/roofline_model.h"

#include <cmath>

#include "chip/chip_spec.h"
#include "gtest/gtest.h"
#include "model/zoo.h"
#include "partitioner/partitioner.h"

namespace etchsim::chip {
namespace {

TEST(RooflineModelTest, Llama8bDecodeOnOneH100ByHand) {
  const v1::ChipSpec spec = *LoadChipSpec("h100");
  const model::ModelSpec m = *model::LoadModel("llama-3.1-8b");
  auto cap = *CapacityOf(spec);
  const v1::Plan plan = *partitioner::Partition(m, cap, "pipeline", {.num_chips = 1});
  auto rf = RooflineStageModel::Create(spec, m, plan.chips(0), 1, model::KvDtype::kFp8);
  ASSERT_TRUE(rf.ok()) << rf.status();
  // Batch of one decode token attending 1000 positions: read every weight
  // once (fp8 with 128x128 block scales: 4097/512 bits), the KV of 1000
  // positions x 32 layers x 2048 B; memory-bound.
  const double weights =
      32.0 * (4096.0 * 4096 * 2 + 2 * 4096 * 1024 + 3 * 4096 * 14336) + 128256.0 * 4096;
  const double bytes = weights * (4097.0 / 512 / 8) + 1000.0 * 32 * 2048;
  const double t_mem = bytes / (3.35e12 * 0.85);
  const double flops = 2 * weights + 32 * 1000.0 * 4 * 32 * 128;
  const double t_compute = flops / (1978.9e12 * 0.6);
  ASSERT_GT(t_mem, t_compute);
  const v1::RooflineSpec& r = spec.roofline();
  const double expected =
      t_mem +
      (r.step_overhead_ns() + 32 * (r.layer_overhead_ns() + r.dense_layer_overhead_ns())) * 1e-9;
  EXPECT_NEAR(rf->StepTime({BatchItem{999, 1}}).ToSeconds(), expected, 1e-12);
}

TEST(RooflineModelTest, MoeBatchTouchesExpectedDistinctExperts) {
  const v1::ChipSpec spec = *LoadChipSpec("h200");
  const model::ModelSpec m = *model::LoadModel("mixtral-8x7b");
  auto cap = *CapacityOf(spec);
  const v1::Plan plan = *partitioner::Partition(m, cap, "pipeline", {.num_chips = 1});
  auto rf = *RooflineStageModel::Create(spec, m, plan.chips(0), 1, model::KvDtype::kFp8);
  // A larger batch reads more experts but never more than all of them: the
  // step time grows sub-linearly and saturates.
  const SimTime t1 = rf.StepTime({BatchItem{10, 1}});
  std::vector<BatchItem> b64(64, BatchItem{10, 1});
  const SimTime t64 = rf.StepTime(b64);
  EXPECT_GT(t64, t1);
  EXPECT_LT(t64.picos(), 64 * t1.picos() / 8);
  // With 8 experts and top-2, one token reads 2 of 8 experts; 64 tokens
  // read 8 x (1 - (6/8)^64) ~ all 8.
}

// Compute-bound decode (bandwidth made huge): every decode token pays its
// matmuls, its attention and the LM head.
TEST(RooflineModelTest, ComputeBoundDecodeCountsEveryTokensLogits) {
  v1::ChipSpec spec = *LoadChipSpec("h100");
  spec.mutable_roofline()->set_memory_bandwidth_bytes_per_s(1e30);
  const model::ModelSpec m = *model::LoadModel("llama-3.1-8b");
  auto cap = *CapacityOf(spec);
  const v1::Plan plan = *partitioner::Partition(m, cap, "pipeline", {.num_chips = 1});
  auto rf = *RooflineStageModel::Create(spec, m, plan.chips(0), 1, model::KvDtype::kFp8);
  const double layer_weights = 32.0 * (4096.0 * 4096 * 2 + 2 * 4096 * 1024 + 3 * 4096 * 14336);
  const double head = 128256.0 * 4096;
  // 64 decode tokens, no cached context: each attends one position.
  const double flops = 2 * layer_weights * 64 + 32 * 64.0 * 4 * 32 * 128 + 2 * head * 64;
  const v1::RooflineSpec& r = spec.roofline();
  const double expected =
      flops / (1978.9e12 * 0.6) +
      (r.step_overhead_ns() + 32 * (r.layer_overhead_ns() + r.dense_layer_overhead_ns())) * 1e-9;
  EXPECT_NEAR(rf.StepTime(std::vector<BatchItem>(64, BatchItem{0, 1})).ToSeconds(), expected, 1e-9);
}

// A prompt chunk reads the K/V it attends once per query tile: a 300-token
// chunk after 1,000 cached positions with 128-token tiles reads
// (1000 + 128) + (1000 + 256) + (1000 + 300) positions per layer.
TEST(RooflineModelTest, PrefillReadsKvOncePerQueryTile) {
  v1::ChipSpec spec = *LoadChipSpec("h100");
  spec.mutable_roofline()->set_memory_bandwidth_bytes_per_s(1e6);  // memory-bound
  const model::ModelSpec m = *model::LoadModel("llama-3.1-8b");
  auto cap = *CapacityOf(spec);
  const v1::Plan plan = *partitioner::Partition(m, cap, "pipeline", {.num_chips = 1});
  auto time_with = [&](int tile) {
    spec.mutable_roofline()->set_attention_query_tile(tile);
    return RooflineStageModel::Create(spec, m, plan.chips(0), 1, model::KvDtype::kFp8)
        ->StepTime({BatchItem{1000, 300, true, true}})
        .ToSeconds();
  };
  const double bw = 1e6 * spec.roofline().bandwidth_efficiency();
  const double per_position = 32.0 * 2048 / bw;  // 32 layers x 2 KiB fp8 K+V
  const double per_query = 300.0 * 1000 + 300.0 * 301 / 2;
  const double tiled = (1000 + 128) + (1000 + 256) + (1000 + 300);
  EXPECT_NEAR(time_with(0) - time_with(128), (per_query - tiled) * per_position,
              1e-6 * time_with(0));
}

// Each fixed overhead is charged to the layers of its own class: R1 has 3
// dense-FFN layers and 58 MoE layers; a step pays the step overhead once.
TEST(RooflineModelTest, OverheadsAreChargedPerKernelClass) {
  v1::ChipSpec spec = *LoadChipSpec("b200");
  const model::ModelSpec m = *model::LoadModel("deepseek-r1");
  v1::ChipShard all;  // one tensor-parallel stage holding every layer
  for (int i = 0; i < static_cast<int>(m.layers.size()); ++i) {
    all.add_layers()->set_layer(i);
  }
  all.set_embedding(true);
  all.set_lm_head(true);
  auto step = [&](const v1::ChipSpec& c, int tp) {
    return RooflineStageModel::Create(c, m, all, tp, model::KvDtype::kFp8)
        ->StepTime({BatchItem{100, 1}})
        .picos();
  };
  const int64_t base = step(spec, 8);
  struct Case {
    void (*set)(v1::RooflineSpec&, double);
    double ns;
    int64_t expected_ps;  // added to the step
  };
  const std::vector<Case> cases = {
      {[](v1::RooflineSpec& r, double v) { r.set_step_overhead_ns(r.step_overhead_ns() + v); },
       1000, 1000 * 1000},
      {[](v1::RooflineSpec& r, double v) { r.set_layer_overhead_ns(r.layer_overhead_ns() + v); },
       1000, 61 * 1000 * 1000},
      {[](v1::RooflineSpec& r, double v) {
         r.set_dense_layer_overhead_ns(r.dense_layer_overhead_ns() + v);
       },
       1000, 3 * 1000 * 1000},
      {[](v1::RooflineSpec& r, double v) {
         r.set_moe_layer_overhead_ns(r.moe_layer_overhead_ns() + v);
       },
       1000, 58 * 1000 * 1000},
      // Per layer: one all-reduce after attention, and a dispatch + combine
      // (MoE, 58 layers) or an all-reduce (3 dense layers): 61 + 116 + 3 =
      // 180 collectives, each 7 peers x 100 ns longer at tp = 8.
      {[](v1::RooflineSpec& r, double v) {
         r.set_interconnect_latency_per_peer_ns(r.interconnect_latency_per_peer_ns() + v);
       },
       100, 180 * 7 * 100 * 1000}};
  for (const Case& c : cases) {
    v1::ChipSpec changed = spec;
    c.set(*changed.mutable_roofline(), c.ns);
    EXPECT_NEAR(static_cast<double>(step(changed, 8) - base), static_cast<double>(c.expected_ps),
                2.0);
  }
}

// Routed-expert streaming hides under the MoE layers' fixed work up to
// moe_expert_overlap of it; beyond that it adds, so the step never
// shrinks as the batch grows.
TEST(RooflineModelTest, MoeExpertStreamingHidesUnderTheOverlap) {
  v1::ChipSpec spec = *LoadChipSpec("b200");
  const model::ModelSpec m = *model::LoadModel("deepseek-r1");
  v1::ChipShard all;
  for (int i = 0; i < static_cast<int>(m.layers.size()); ++i) all.add_layers()->set_layer(i);
  all.set_embedding(true);
  all.set_lm_head(true);
  auto step = [&](double overlap, int tokens) {
    spec.mutable_roofline()->set_moe_expert_overlap(overlap);
    return RooflineStageModel::Create(spec, m, all, 8, model::KvDtype::kFp8)
        ->StepTime(std::vector<BatchItem>(tokens, BatchItem{100, 1}))
        .ToSeconds();
  };
  // 512 tokens touch all 256 experts of each of the 58 MoE layers: their
  // streaming (~6.8 ms) exceeds the MoE overhead (58 x 77 us), so exactly
  // overlap x 58 x overhead is hidden.
  const double hidden = 0.6 * 58 * spec.roofline().moe_layer_overhead_ns() * 1e-9;
  EXPECT_NEAR(step(0, 512) - step(0.6, 512), hidden, 1e-9);
  double last = 0;
  for (int tokens : {1, 2, 4, 8, 16, 32, 64, 128, 256, 512}) {
    SCOPED_TRACE(tokens);
    const double t = step(0.6, tokens);
    EXPECT_GE(t, last);
    EXPECT_LT(t, step(0, tokens) + 1e-12);
    last = t;
  }
}

}  // namespace
}  // namespace etchsim::chip
