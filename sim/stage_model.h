// StageModel: one stage's timing model, whichever kind of chip holds it —
// a hard-wired chip (a spatial pipeline, chip::HardwiredChipModel) or a
// tensor-parallel group of roofline devices running continuous batching
// (chip::RooflineStageModel).
//
// What the engine needs of every stage is here: its KV capacity, its
// lookahead, the time of one decoder layer (for speculative drafts) and
// its LP. The analytic fast path (report/analytic.cc) has a formula per
// kind, because the two kinds of chip serve a batch in different ways; it
// reads the kind's own model.
#ifndef ETCHSIM_SIM_STAGE_MODEL_H_
#define ETCHSIM_SIM_STAGE_MODEL_H_

#include <memory>
#include <variant>

#include "absl/status/statusor.h"
#include "chip/hardwired_model.h"
#include "chip/roofline_model.h"
#include "serving/stage_lp.h"

namespace etchsim::sim {

using base::SimTime;

class StageModel {
 public:
  // The model for `shard` on `spec`'s kind of chip; `tensor_parallel`
  // devices per stage (roofline chips only).
  static absl::StatusOr<StageModel> Create(const v1::ChipSpec& spec, const model::ModelSpec& m,
                                           const v1::ChipShard& shard, int tensor_parallel,
                                           model::KvDtype kv_dtype);

  // Attention/FFN disaggregation: the attention group holding every
  // layer's attention (`shard`: attention_only slices, embedding, head).
  static absl::StatusOr<StageModel> CreateAttentionGroup(const v1::ChipSpec& spec,
                                                         const model::ModelSpec& m,
                                                         const v1::ChipShard& shard,
                                                         int tensor_parallel,
                                                         model::KvDtype kv_dtype);

  bool is_hardwired() const { return std::holds_alternative<chip::HardwiredChipModel>(m_); }
  bool is_attention_group() const {
    return std::holds_alternative<serving::AttentionGroupModel>(m_);
  }
  // KV-cache bytes the stage holds.
  int64_t kv_capacity_bytes() const { return kv_capacity_bytes_; }
  // Least time between the stage receiving anything and sending output of
  // its own: the lookahead of its outgoing channels.
  SimTime MinReaction() const;
  // One decoder layer of one token after `context` positions, averaged over
  // the stage's layers: a speculative draft's cost (an MTP module is one
  // layer).
  double LayerNanos(int64_t context) const;
  // The longest step a scenario can ask of this stage, saturating at
  // SimTime::Max: a chunk of `count` tokens after `context` positions
  // through the whole stage (a hard-wired chip's segments and expert work,
  // or the longer of its latency and occupancy), or a roofline step of that
  // chunk beside a full batch of decode tokens at `context`.
  SimTime LongestStep(int64_t context, int64_t count) const;
  // The stage's LP on `node`.
  std::unique_ptr<serving::StageLp> MakeLp(const fabric::Topology& topo, int node,
                                           serving::StageWiring wiring,
                                           const serving::RunConstants& k,
                                           const serving::ExpertMap* experts) const;

  // REQUIRES: is_hardwired().
  const chip::HardwiredChipModel& hardwired() const {
    return std::get<chip::HardwiredChipModel>(m_);
  }
  // REQUIRES: !is_hardwired() && !is_attention_group().
  const chip::RooflineStageModel& roofline() const {
    return std::get<chip::RooflineStageModel>(m_);
  }
  // REQUIRES: is_attention_group().
  const serving::AttentionGroupModel& attention_group() const {
    return std::get<serving::AttentionGroupModel>(m_);
  }

 private:
  using Kind = std::variant<chip::HardwiredChipModel, chip::RooflineStageModel,
                            serving::AttentionGroupModel>;
  StageModel(Kind m, int64_t kv_capacity_bytes, int layers)
      : m_(std::move(m)), kv_capacity_bytes_(kv_capacity_bytes), layers_(layers) {}

  Kind m_;
  int64_t kv_capacity_bytes_ = 0;
  int layers_ = 0;  // decoder layers the shard holds
};

}  // namespace etchsim::sim

#endif  // ETCHSIM_SIM_STAGE_MODEL_H_
