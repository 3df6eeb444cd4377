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
  const double weights = 32.0 * (4096.0 * 4096 * 2 + 2 * 4096 * 1024 + 3 * 4096 * 14336) +
                         128256.0 * 4096;
  const double bytes = weights * (4097.0 / 512 / 8) + 1000.0 * 32 * 2048;
  const double t_mem = bytes / (3.35e12 * 0.85);
  const double flops = 2 * weights + 32 * 1000.0 * 4 * 32 * 128;
  const double t_compute = flops / (1978.9e12 * 0.6);
  ASSERT_GT(t_mem, t_compute);
  const double expected = t_mem + 32 * spec.roofline().layer_overhead_ns() * 1e-9;
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

}  // namespace
}  // namespace etchsim::chip
