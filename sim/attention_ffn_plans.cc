// Attention/FFN disaggregation's two plans: the hard-wired FFN pool and
// the roofline attention group (Simulation::BuildAttentionFfnPlans).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "chip/chip_spec.h"
#include "partitioner/linear_partition.h"
#include "sim/simulation.h"

namespace etchsim::sim {

absl::Status Simulation::BuildAttentionFfnPlans() {
  if (chip_.kind() != v1::ChipSpec::HARDWIRED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario: attention_ffn: the FFN pool (chip) must be hard-wired, got ", chip_.name()));
  }
  if (pool2_->chip.kind() == v1::ChipSpec::HARDWIRED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario: attention_ffn.attention_chip must be a roofline chip (a GPU or other "
        "memory-rich chip), got the hard-wired ",
        pool2_->chip.name()));
  }
  if (!scenario_.strategy().empty() && scenario_.strategy() != "auto" &&
      scenario_.strategy() != "pipeline") {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario: strategy \"", scenario_.strategy(),
        "\" does not apply with attention_ffn: the FFN pool holds whole layers' FFNs in order"));
  }
  RETURN_IF_ERROR(BuildFfnPoolPlan());
  return BuildAttentionGroupPlan();
}

// The FFN pool: each layer's FFN whole, layers in order, the chips
// balanced by parameters; chips 0 is the fewest that fit, balanced the
// same way, so that the count written back rebuilds the same plan.
absl::Status Simulation::BuildFfnPoolPlan() {
  ASSIGN_OR_RETURN(partitioner::ChipCapacity cap, chip::CapacityOf(chip_));
  const int layers = static_cast<int>(model_.layers.size());
  std::vector<int64_t> ffn(layers);
  for (int l = 0; l < layers; ++l) {
    const model::LayerSpec& ls = model_.layers[l];
    ffn[l] =
        ls.DenseMlpParams() + ls.RouterParams() + ls.RoutedExpertParams() + ls.SharedExpertParams();
    if (cap.format.BytesFor(ffn[l]) > cap.weight_capacity_bytes) {
      return absl::FailedPreconditionError(
          absl::StrCat("scenario: attention_ffn: layer ", l, "'s FFN (", base::HumanCount(ffn[l]),
                       " parameters) does not fit one ", chip_.name(), " (",
                       base::HumanBytes(static_cast<double>(cap.weight_capacity_bytes)),
                       "); splitting one layer's FFN over chips is not modelled"));
    }
  }
  int n = scenario_.chips();
  if (n == 0) {
    int64_t used = 0;
    for (int l = 0; l < layers; ++l) {
      if (n == 0 || cap.format.BytesFor(used + ffn[l]) > cap.weight_capacity_bytes) {
        ++n;
        used = 0;
      }
      used += ffn[l];
    }
  }
  if (n > layers) {
    return absl::InvalidArgumentError(absl::StrCat("scenario: chips (", n, ") exceeds the ", layers,
                                                   " layers whose FFNs the pool holds"));
  }
  const std::vector<int> first_layer = partitioner::BalancedContiguousGroups(ffn, n);
  plan_.Clear();
  plan_.set_model(model_.name);
  plan_.set_chip(chip_.name());
  plan_.set_strategy("attention-ffn");
  plan_.set_weight_format(cap.format.name);
  plan_.set_chip_capacity_bytes(cap.weight_capacity_bytes);
  plan_.set_total_params(model_.TotalParams());
  for (size_t c = 0; c < first_layer.size(); ++c) {
    const int end = c + 1 < first_layer.size() ? first_layer[c + 1] : layers;
    v1::ChipShard& sh = *plan_.add_chips();
    sh.set_index(static_cast<int>(c));
    int64_t params = 0;
    for (int l = first_layer[c]; l < end; ++l) {
      v1::LayerSlice& sl = *sh.add_layers();
      sl.set_layer(l);
      sl.set_ffn_only(true);
      const int32_t e = static_cast<int32_t>(model_.layers[l].num_routed_experts);
      sl.set_num_routed_experts(e);
      sl.set_expert_end(e);
      sl.set_params(ffn[l]);
      params += ffn[l];
    }
    sh.set_params(params);
    sh.set_weight_bytes(cap.format.BytesFor(params));
    if (cap.format.BytesFor(params) > cap.weight_capacity_bytes) {
      return absl::FailedPreconditionError(
          absl::StrCat("scenario: attention_ffn: ", scenario_.chips(), " x ", chip_.name(),
                       " cannot hold the model's FFNs (chip ", c, " would need ",
                       base::HumanBytes(static_cast<double>(cap.format.BytesFor(params))),
                       "); use more chips or 0 for the fewest that fit"));
    }
    sh.set_capacity_used(static_cast<double>(sh.weight_bytes()) /
                         static_cast<double>(cap.weight_capacity_bytes));
    plan_.set_stored_params(plan_.stored_params() + params);
  }
  plan_.set_num_chips(plan_.chips_size());
  plan_.set_hops_per_token(2.0 * layers);  // every layer's FFN and back
  plan_.set_explanation(
      "attention/FFN disaggregation: each chip holds whole layers' FFNs (dense MLP, or router "
      "and every routed and shared expert), balanced by parameters");
  tp_ = 1;

  return absl::OkStatus();
}

// The attention group: every layer's attention and KV, embedding and
// head, on one tensor-parallel group of the fewest devices that hold it.
absl::Status Simulation::BuildAttentionGroupPlan() {
  const v1::AttentionFfn& a = scenario_.attention_ffn();
  const int layers = static_cast<int>(model_.layers.size());
  v1::ChipShard att;
  att.set_index(0);
  att.set_embedding(true);
  att.set_lm_head(true);
  int64_t params = model_.embedding_params + model_.lm_head_params + model_.final_norm_params;
  int64_t kv = 0;
  for (int l = 0; l < layers; ++l) {
    v1::LayerSlice& sl = *att.add_layers();
    sl.set_layer(l);
    sl.set_core(true);
    sl.set_attention_only(true);
    const int64_t p = model_.layers[l].AttentionParams() + model_.layers[l].layer_norm_params;
    sl.set_params(p);
    params += p;
    kv += model_.layers[l].KvBytesPerToken(pool2_->kv_dtype);
  }
  att.set_params(params);
  att.set_kv_bytes_per_token(kv);
  ASSIGN_OR_RETURN(const model::WeightFormat af,
                   model::FindWeightFormat(pool2_->chip.weight_format()));
  att.set_weight_bytes(af.BytesFor(params));
  int tp = a.attention_chips();
  if (tp == 0) {  // the fewest devices, in powers of two, whose memory holds it
    for (tp = 1; tp < 1024; tp *= 2) {
      if (chip::RooflineMemoryBudget::WeightBytes(pool2_->chip, tp) >= att.weight_bytes()) break;
    }
  }
  const int64_t fits = chip::RooflineMemoryBudget::WeightBytes(pool2_->chip, tp);
  if (att.weight_bytes() > fits) {
    return absl::FailedPreconditionError(absl::StrCat(
        "scenario: attention_ffn.attention_chips: ", tp, " x ", pool2_->chip.name(), " hold ",
        base::HumanBytes(static_cast<double>(fits)), " of weights, the attention needs ",
        base::HumanBytes(static_cast<double>(att.weight_bytes())), "; use more"));
  }
  att.set_capacity_used(static_cast<double>(att.weight_bytes()) / static_cast<double>(fits));
  pool2_->tp = tp;
  pool2_->plan.set_model(model_.name);
  pool2_->plan.set_chip(pool2_->chip.name());
  pool2_->plan.set_strategy("attention-ffn");
  pool2_->plan.set_weight_format(pool2_->chip.weight_format());
  pool2_->plan.set_num_chips(1);
  *pool2_->plan.add_chips() = std::move(att);
  return absl::OkStatus();
}

}  // namespace etchsim::sim
