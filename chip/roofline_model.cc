#include "chip/roofline_model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace etchsim::chip {
absl::StatusOr<RooflineStageModel> RooflineStageModel::Create(const v1::ChipSpec& spec,
                                                              const model::ModelSpec& m,
                                                              const v1::ChipShard& stage,
                                                              int tensor_parallel,
                                                              model::KvDtype kv_dtype) {
  const v1::RooflineSpec& r = spec.roofline();
  for (auto [name, v] :
       {std::pair{"memory_bandwidth_bytes_per_s", r.memory_bandwidth_bytes_per_s()},
        std::pair{"dense_bf16_flops", r.dense_bf16_flops()},
        std::pair{"bandwidth_efficiency", r.bandwidth_efficiency()},
        std::pair{"compute_efficiency", r.compute_efficiency()}}) {
    if (!(v > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(spec.name(), ": roofline.", name, " must be > 0, got ", v));
    }
  }
  if (tensor_parallel > 1 && !(r.interconnect_bytes_per_s() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.name(),
                     ": roofline.interconnect_bytes_per_s must be > 0 for "
                     "tensor parallelism"));
  }
  RooflineStageModel s;
  s.spec_ = r;
  s.tp_ = std::max(1, tensor_parallel);
  s.max_batch_ = r.max_batch() > 0 ? r.max_batch() : 256;
  s.max_batch_tokens_ = r.max_batch_tokens();
  ASSIGN_OR_RETURN(model::WeightFormat fmt, model::FindWeightFormat(spec.weight_format()));
  s.bytes_per_param_ = fmt.bits_per_param() / 8.0;
  // Compute at the weight format's precision where the device supports it.
  s.peak_flops_ = r.dense_bf16_flops();
  if (fmt.name == "fp8" && r.dense_fp8_flops() > 0) s.peak_flops_ = r.dense_fp8_flops();
  if ((fmt.name == "fp4" || fmt.name == "nvfp4") && r.dense_fp4_flops() > 0) {
    s.peak_flops_ = r.dense_fp4_flops();
  } else if ((fmt.name == "fp4" || fmt.name == "nvfp4") && r.dense_fp8_flops() > 0) {
    s.peak_flops_ = r.dense_fp8_flops();
  }
  s.hidden_ = m.hidden_size;
  // The attention layers' geometry (every attention layer of a model has
  // the same); recurrent layers have none.
  for (const model::LayerSpec& l : m.layers) {
    if (l.is_recurrent()) continue;
    s.kv_bytes_per_position_ = l.KvBytesPerToken(kv_dtype);
    s.decode_attn_flops_ = l.AttentionFlopsPerPosition(true);
    s.prefill_attn_flops_ = l.AttentionFlopsPerPosition(false);
    break;
  }
  for (const v1::LayerSlice& sl : stage.layers()) {
    const model::LayerSpec& l = m.layers[sl.layer()];
    ++s.layers_;
    if (l.is_recurrent()) {
      s.state_bytes_ += l.state_bytes;
      s.state_macs_per_token_ += l.state_macs_per_token;
    } else {
      ++s.attention_layers_;
    }
    if (sl.attention_only()) {
      // Attention/FFN disaggregation: the FFN runs on other chips.
      ++s.attention_only_layers_;
      s.fixed_weights_ += model::SumWeights(l.attention);
      s.active_weights_per_token_ += model::SumWeights(l.attention);
      continue;
    }
    s.fixed_weights_ += model::SumWeights(l.attention) + model::SumWeights(l.dense_mlp) +
                        model::SumWeights(l.shared_expert);
    if (l.router) s.fixed_weights_ += l.router->weights();
    s.active_weights_per_token_ += l.ActiveMatmulWeights();
    if (l.ffn_kind == model::FfnKind::kMoe) {
      ++s.moe_layers_;
      s.expert_weights_ = model::SumWeights(l.expert);
      s.experts_ = l.num_routed_experts;
      s.experts_per_token_ = l.experts_per_token;
    }
  }
  if (stage.lm_head()) s.head_weights_ = m.LmHead().weights();
  // Memory: the stage's weights are spread over tp devices; the KV cache
  // gets the usable fraction of memory minus them (RooflineMemoryBudget).
  const double weight_bytes = static_cast<double>(stage.weight_bytes());
  const double memory = static_cast<double>(spec.weight_capacity_bytes()) * s.tp_;
  s.kv_capacity_bytes_ = static_cast<int64_t>(
      std::max(0.0, RooflineMemoryBudget::kUsableFraction * memory - weight_bytes));
  if (spec.kv_capacity_bytes() > 0) {
    s.kv_capacity_bytes_ =
        std::min<int64_t>(s.kv_capacity_bytes_, spec.kv_capacity_bytes() * s.tp_);
  }
  return s;
}

double RooflineStageModel::FixedOverheadSeconds(bool step_overhead) const {
  return ((step_overhead ? spec_.step_overhead_ns() : 0.0) + layers_ * spec_.layer_overhead_ns() +
          (layers_ - moe_layers_ - attention_only_layers_) * spec_.dense_layer_overhead_ns() +
          moe_layers_ * spec_.moe_layer_overhead_ns()) *
         1e-9;
}

double RooflineStageModel::CollectiveLatencySeconds() const {
  return (spec_.interconnect_latency_ns() + (tp_ - 1) * spec_.interconnect_latency_per_peer_ns()) *
         1e-9;
}

SimTime RooflineStageModel::StepTime(const std::vector<BatchItem>& batch,
                                     bool step_overhead) const {
  // positions: (query, cached position) pairs, for attention FLOPs;
  // kv_reads: cached positions whose K/V are read from memory.
  double tokens = 0, positions = 0, prefill_positions = 0, logits = 0, kv_reads = 0;
  const int64_t tile = spec_.attention_query_tile();
  for (const BatchItem& b : batch) {
    tokens += static_cast<double>(b.count);
    const double s = static_cast<double>(b.count) * b.context +
                     static_cast<double>(b.count) * (b.count + 1) / 2.0;
    if (b.prefill) {
      prefill_positions += s;
    } else {
      positions += s;
    }
    if (!b.prefill || tile <= 0) {
      kv_reads += s;  // each query token streams the K/V it attends
    } else {
      // A tiled attention kernel streams K/V once per tile of `tile` query
      // tokens; causal, so tile j reads up to its last token.
      for (int64_t begin = 0; begin < b.count; begin += tile) {
        kv_reads += static_cast<double>(b.context + std::min(b.count, begin + tile));
      }
    }
    if (b.needs_logits) logits += b.prefill ? 1.0 : static_cast<double>(b.count);
  }
  // Weights read once per step; MoE experts: those the batch selects.
  double weights = static_cast<double>(fixed_weights_);
  double expert_weights = 0;  // routed experts the batch selects
  if (moe_layers_ > 0 && experts_ > 0) {
    const double p_miss = 1.0 - static_cast<double>(experts_per_token_) / experts_;
    const double touched = experts_ * (1.0 - std::pow(p_miss, tokens));
    expert_weights = moe_layers_ * touched * static_cast<double>(expert_weights_);
    weights += expert_weights;
  }
  weights += static_cast<double>(head_weights_);
  double bytes = weights * bytes_per_param_ +
                 kv_reads * attention_layers_ * static_cast<double>(kv_bytes_per_position_);
  double flops = 2.0 * static_cast<double>(active_weights_per_token_) * tokens +
                 attention_layers_ *
                     (positions * decode_attn_flops_ + prefill_positions * prefill_attn_flops_) +
                 2.0 * static_cast<double>(head_weights_) * logits;
  if (state_bytes_ > 0) {
    // Each item's recurrent state is read and written once per step (a
    // chunked prefill kernel carries it across the chunk), and every token
    // does the state's multiply-accumulates.
    bytes += 2.0 * static_cast<double>(batch.size()) * static_cast<double>(state_bytes_);
    flops += 2.0 * static_cast<double>(state_macs_per_token_) * tokens;
  }
  const double bandwidth =
      tp_ * spec_.memory_bandwidth_bytes_per_s() * spec_.bandwidth_efficiency();
  // Expert streaming hidden under the MoE layers' latency-bound work adds
  // no time; what exceeds it does (so the step never shrinks with batch).
  const double hidden =
      std::min(expert_weights * bytes_per_param_ / bandwidth,
               spec_.moe_expert_overlap() * moe_layers_ * spec_.moe_layer_overhead_ns() * 1e-9);
  const double t_mem = bytes / bandwidth - hidden;
  const double t_compute = flops / (tp_ * peak_flops_ * spec_.compute_efficiency());
  double t_comm = 0;
  if (tp_ > 1) {
    // Per layer: an all-reduce after attention, and after the FFN either an
    // all-reduce (dense) or an expert-parallel dispatch + combine (MoE). Each
    // collective costs a fixed latency (small-message NCCL-class cost) plus
    // its bytes at the scale-up bandwidth (ring: 2(tp-1)/tp of the data).
    const double act = tokens * static_cast<double>(hidden_) * 2.0;  // bf16
    const double frac = static_cast<double>(tp_ - 1) / tp_;
    const double bw = spec_.interconnect_bytes_per_s();
    const double lat = CollectiveLatencySeconds();
    const double all_reduce = lat + 2.0 * frac * act / bw;
    const double all_to_all =
        2.0 * (lat + frac * act * static_cast<double>(experts_per_token_) / bw);
    t_comm = layers_ * all_reduce + (layers_ - moe_layers_ - attention_only_layers_) * all_reduce +
             moe_layers_ * all_to_all;
  }
  const double t_overhead = FixedOverheadSeconds(step_overhead);
  return SimTime::FromSeconds(std::max(t_mem, t_compute) + t_comm + t_overhead);
}

}  // namespace etchsim::chip
