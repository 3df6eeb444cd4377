#include "sim/stage_model.h"

#include <algorithm>

#include "base/status_macros.h"

namespace etchsim::sim {

absl::StatusOr<StageModel> StageModel::Create(const v1::ChipSpec& spec, const model::ModelSpec& m,
                                              const v1::ChipShard& shard, int tensor_parallel,
                                              model::KvDtype kv_dtype) {
  if (spec.kind() == v1::ChipSpec::HARDWIRED) {
    ASSIGN_OR_RETURN(chip::HardwiredChipModel hw,
                     chip::HardwiredChipModel::Create(spec, m, shard, kv_dtype));
    return StageModel(std::move(hw), spec.kv_capacity_bytes(), shard.layers_size());
  }
  ASSIGN_OR_RETURN(chip::RooflineStageModel rf,
                   chip::RooflineStageModel::Create(spec, m, shard, tensor_parallel, kv_dtype));
  const int64_t kv = rf.kv_capacity_bytes();
  return StageModel(std::move(rf), kv, shard.layers_size());
}

absl::StatusOr<StageModel> StageModel::CreateAttentionGroup(const v1::ChipSpec& spec,
                                                            const model::ModelSpec& m,
                                                            const v1::ChipShard& shard,
                                                            int tensor_parallel,
                                                            model::KvDtype kv_dtype) {
  ASSIGN_OR_RETURN(chip::RooflineStageModel whole,
                   chip::RooflineStageModel::Create(spec, m, shard, tensor_parallel, kv_dtype));
  v1::ChipShard head;
  head.set_lm_head(true);
  ASSIGN_OR_RETURN(chip::RooflineStageModel head_model,
                   chip::RooflineStageModel::Create(spec, m, head, tensor_parallel, kv_dtype));
  std::vector<chip::RooflineStageModel> layers;
  for (const v1::LayerSlice& sl : shard.layers()) {
    v1::ChipShard one;
    *one.add_layers() = sl;
    ASSIGN_OR_RETURN(chip::RooflineStageModel lm,
                     chip::RooflineStageModel::Create(spec, m, one, tensor_parallel, kv_dtype));
    layers.push_back(std::move(lm));
  }
  const int64_t kv = whole.kv_capacity_bytes();
  return StageModel(
      serving::AttentionGroupModel{std::move(whole), std::move(layers), std::move(head_model)}, kv,
      shard.layers_size());
}

SimTime StageModel::MinReaction() const {
  if (is_attention_group()) return attention_group().MinStep();
  return is_hardwired() ? hardwired().MinReaction() : roofline().MinStep();
}

double StageModel::LayerNanos(int64_t context) const {
  if (is_hardwired()) {
    const chip::HardwiredChipModel& hw = hardwired();
    double total = 0;
    int layers = 0;
    for (int seg = 0; seg < static_cast<int>(hw.segments().size()); ++seg) {
      total += hw.SegmentLatency(seg, context, 1).ToNanos();
      // Every core layer here, attention or recurrent (the draft model
      // is priced per layer of the stage).
      layers += hw.segments()[seg].attention_layers + hw.segments()[seg].recurrent_layers;
    }
    return total / std::max(1, layers);
  }
  const chip::RooflineStageModel& r = is_attention_group() ? attention_group().whole : roofline();
  return r.StepTime({chip::BatchItem{context, 1}}).ToNanos() / std::max(1, layers_);
}

SimTime StageModel::LongestStep(int64_t context, int64_t count) const {
  if (is_hardwired()) {
    const chip::HardwiredChipModel& hw = hardwired();
    SimTime path = hw.ExpertLatency(count);
    for (int seg = 0; seg < static_cast<int>(hw.segments().size()); ++seg) {
      path = path.SaturatingAdd(hw.SegmentLatency(seg, context, count));
    }
    return base::Max(path, hw.Occupancy(context, count));
  }
  const chip::RooflineStageModel& r = is_attention_group() ? attention_group().whole : roofline();
  std::vector<chip::BatchItem> batch(std::max(1, r.max_batch()), chip::BatchItem{context, 1});
  batch.front() = chip::BatchItem{.context = context, .count = count, .prefill = true};
  return r.StepTime(batch);
}

std::unique_ptr<serving::StageLp> StageModel::MakeLp(const fabric::Topology& topo, int node,
                                                     serving::StageWiring wiring,
                                                     const serving::RunConstants& k,
                                                     const serving::ExpertMap* experts) const {
  if (is_hardwired()) {
    return std::make_unique<serving::HardwiredLp>(topo, node, wiring, k, hardwired(), experts);
  }
  if (is_attention_group()) {
    return std::make_unique<serving::AttentionLp>(topo, node, wiring, k, attention_group());
  }
  return std::make_unique<serving::BatchLp>(topo, node, wiring, k, roofline());
}

}  // namespace etchsim::sim
