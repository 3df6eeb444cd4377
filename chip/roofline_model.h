// Roofline model of a weight-streaming accelerator (GPU, wafer-scale
// engine) used as a baseline beside the hard-wired chips.
//
// A stage is a tensor-parallel group of `tp` devices holding a contiguous
// range of layers. It runs continuous batching: each forward step takes all
// waiting items (decode tokens and prefill chunks) and costs
//
//   max(bytes read / (tp x bandwidth x bandwidth_efficiency),
//       FLOPs / (tp x peak x compute_efficiency))
//   + tensor-parallel communication + fixed overheads
//
// The fixed overheads are per step, per layer and per kernel class
// (dense-FFN layers, MoE layers); see RooflineSpec in chip.proto. The
// selected experts' weight streaming runs under up to moe_expert_overlap
// of the MoE layers' overhead and adds only beyond it.
//
// Bytes read are the weights the batch touches (for MoE layers the expected
// number of distinct experts a batch of T tokens selects, E(1-(1-k/E)^T))
// plus the KV cache each decode token attends (a prompt chunk reads it
// once per attention_query_tile query tokens). Communication per layer: an
// all-reduce of the attention output and, for the FFN, another all-reduce
// (dense) or an expert-parallel dispatch + combine (MoE); each collective
// costs CollectiveLatencySeconds() plus its bytes at the scale-up bandwidth.
#ifndef ETCHSIM_CHIP_ROOFLINE_MODEL_H_
#define ETCHSIM_CHIP_ROOFLINE_MODEL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "base/sim_time.h"
#include "model/model_spec.h"
#include "model/weight_format.h"
#include "proto/etchsim/v1/chip.pb.h"
#include "proto/etchsim/v1/plan.pb.h"

namespace etchsim::chip {

using base::SimTime;

// One item of a batch: `count` tokens after `context` cached positions.
struct BatchItem {
  int64_t context = 0;
  int64_t count = 1;
  bool prefill = false;
  bool needs_logits = true;  // decode tokens and the last prompt chunk
};

// How a roofline device group's memory is split, in one place: the
// partitioner may fill at most kWeightFraction of it with weights; the KV
// cache gets kUsableFraction of it minus the weights actually placed; the
// rest holds activations and workspace (docs/assumptions.md).
struct RooflineMemoryBudget {
  static constexpr double kWeightFraction = 0.8;
  static constexpr double kUsableFraction = 0.9;

  // Weight capacity of a group of `tensor_parallel` devices for the
  // partitioner.
  static int64_t WeightBytes(const v1::ChipSpec& spec, int tensor_parallel) {
    return static_cast<int64_t>(static_cast<double>(spec.weight_capacity_bytes()) *
                                tensor_parallel * kWeightFraction);
  }
};

class RooflineStageModel {
 public:
  static absl::StatusOr<RooflineStageModel> Create(const v1::ChipSpec& spec,
                                                   const model::ModelSpec& m,
                                                   const v1::ChipShard& stage, int tensor_parallel,
                                                   model::KvDtype kv_dtype);

  // Duration of one forward step over `batch`; without the per-step
  // overhead when the step is one layer of a larger one (attention/FFN
  // disaggregation runs a step layer by layer).
  SimTime StepTime(const std::vector<BatchItem>& batch, bool step_overhead = true) const;
  SimTime MinStep() const { return StepTime({BatchItem{}}); }
  int max_batch() const { return max_batch_; }
  int64_t max_batch_tokens() const { return max_batch_tokens_; }
  // Bytes left for KV on the stage after its weights.
  int64_t kv_capacity_bytes() const { return kv_capacity_bytes_; }
  int tensor_parallel() const { return tp_; }
  // The step's batch-independent cost: step, per-layer and per-class
  // overheads (collectives excluded).
  double FixedOverheadSeconds(bool step_overhead = true) const;
  // One collective among the stage's devices, at small message size.
  double CollectiveLatencySeconds() const;

 private:
  RooflineStageModel() = default;

  v1::RooflineSpec spec_;
  int tp_ = 1;
  int max_batch_ = 256;
  int64_t max_batch_tokens_ = 0;  // 0 = no cap
  double peak_flops_ = 0;         // at the weight format's compute precision
  double bytes_per_param_ = 2;    // stored weight bytes per parameter
  int64_t hidden_ = 0;
  int64_t kv_bytes_per_position_ = 0;  // per layer
  int64_t decode_attn_flops_ = 0;      // per position per layer
  int64_t prefill_attn_flops_ = 0;
  int layers_ = 0;
  int attention_layers_ = 0;  // layers with a KV cache (not recurrent)
  // Recurrent layers of the stage: their state per sequence, read and
  // written once per item of a step, and its multiply-accumulates per token.
  int64_t state_bytes_ = 0;
  int64_t state_macs_per_token_ = 0;
  int moe_layers_ = 0;
  int attention_only_layers_ = 0;  // their FFN is elsewhere (no FFN cost)
  // Always-read weights (attention, dense MLPs, routers, shared experts,
  // head) and the MoE layers' expert geometry.
  int64_t fixed_weights_ = 0;
  int64_t expert_weights_ = 0;  // one expert
  int64_t experts_ = 0, experts_per_token_ = 0;
  int64_t active_weights_per_token_ = 0;  // matmul weights per token
  int64_t head_weights_ = 0;
  int64_t kv_capacity_bytes_ = 0;
};

}  // namespace etchsim::chip

#endif  // ETCHSIM_CHIP_ROOFLINE_MODEL_H_
