#include "chip/hardwired_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "base/bounds.h"
#include "base/status_macros.h"

namespace etchsim::chip {
namespace {

// Steps of a list of matmuls: step index -> the slowest matrix in it.
std::map<int, int64_t> LargestPerStep(const std::vector<model::Matmul>& ms) {
  std::map<int, int64_t> steps;
  for (const model::Matmul& m : ms) {
    steps[m.step] = std::max(steps[m.step], m.weights());
  }
  return steps;
}

}  // namespace

absl::Status ValidateHardwiredTiming(const v1::ChipSpec& spec, const std::string& src) {
  const v1::HardwiredTiming& t = spec.hardwired();
  // Ranges: 1 MHz to 100 GHz; 1e8 scan cycles per PE; 2^40 weights per PE;
  // fixed costs up to 1e8 cycles; at least one attention MAC and KV byte
  // per 1e6 cycles so attention time stays within the clock's range.
  RETURN_IF_ERROR(base::CheckRange(src, "hardwired.clock_ghz", t.clock_ghz(), 1e-3, 100));
  RETURN_IF_ERROR(base::CheckAbove(src, "hardwired.pe_scan_cycles", t.pe_scan_cycles(), 0, 1e8));
  RETURN_IF_ERROR(base::CheckIntRange(src, "hardwired.weights_per_pe", t.weights_per_pe(), 1,
                                      int64_t{1} << 40));
  RETURN_IF_ERROR(base::CheckRange(src, "hardwired.attention_macs_per_cycle",
                                   t.attention_macs_per_cycle(), 1e-6, 1e12));
  RETURN_IF_ERROR(base::CheckRange(src, "hardwired.kv_read_bytes_per_cycle",
                                   t.kv_read_bytes_per_cycle(), 1e-6, 1e12));
  RETURN_IF_ERROR(
      base::CheckIntRange(src, "hardwired.tokens_per_pass", t.tokens_per_pass(), 1, 1 << 20));
  for (auto [name, v] :
       {std::pair{"hardwired.matmul_fixed_cycles", t.matmul_fixed_cycles()},
        std::pair{"hardwired.vector_cycles_per_layer", t.vector_cycles_per_layer()},
        std::pair{"hardwired.embedding_cycles", t.embedding_cycles()},
        std::pair{"hardwired.attention_fixed_cycles", t.attention_fixed_cycles()}}) {
    RETURN_IF_ERROR(base::CheckIntRange(src, name, v, 0, 100000000));
  }
  return absl::OkStatus();
}

double HardwiredChipModel::StepCycles(int64_t weights) const {
  const int64_t wpp = spec_.weights_per_pe();
  // PEs = ceil(W / wpp); each streams W / PEs weights.
  const int64_t pes = (weights + wpp - 1) / wpp;
  const double per_pe = static_cast<double>(weights) / static_cast<double>(pes);
  return spec_.matmul_fixed_cycles() + spec_.pe_scan_cycles() * per_pe / static_cast<double>(wpp);
}

double HardwiredChipModel::AttentionCycles(int64_t positions) const {
  const double p = static_cast<double>(positions);
  return spec_.attention_fixed_cycles() +
         std::max(p * kv_bytes_per_position_ / spec_.kv_read_bytes_per_cycle(),
                  p * macs_per_position_ / spec_.attention_macs_per_cycle());
}

double HardwiredChipModel::ChunkAttentionCycles(int64_t context, int64_t count) const {
  // Token i of the chunk attends context + i positions, i = 1..count.
  const double s =
      static_cast<double>(count) * context + static_cast<double>(count) * (count + 1) / 2.0;
  return count * static_cast<double>(spec_.attention_fixed_cycles()) +
         std::max(s * kv_bytes_per_position_ / spec_.kv_read_bytes_per_cycle(),
                  s * macs_per_position_ / spec_.attention_macs_per_cycle());
}

double HardwiredChipModel::PerTokenInterval(int64_t context, int64_t count, int layers,
                                            double state_cycles) const {
  const double scan = spec_.pe_scan_cycles() / spec_.tokens_per_pass();
  const double attention =
      layers == 0 ? 0.0
                  : layers * ChunkAttentionCycles(context, count) / static_cast<double>(count);
  return std::max(scan, attention + state_cycles);
}

absl::StatusOr<HardwiredChipModel> HardwiredChipModel::Create(const v1::ChipSpec& spec,
                                                              const model::ModelSpec& m,
                                                              const v1::ChipShard& shard,
                                                              model::KvDtype kv_dtype) {
  RETURN_IF_ERROR(ValidateHardwiredTiming(spec, spec.name()));
  HardwiredChipModel c;
  c.spec_ = spec.hardwired();
  c.cycle_ns_ = 1.0 / c.spec_.clock_ghz();
  for (const model::LayerSpec& l : m.layers) {  // the attention layers' geometry
    if (l.is_recurrent()) continue;
    c.kv_bytes_per_position_ = l.KvBytesPerToken(kv_dtype);
    c.macs_per_position_ = l.AttentionMacsPerPosition();
    break;
  }
  const double vector = spec.hardwired().vector_cycles_per_layer();
  Segment seg;
  if (shard.embedding()) seg.fixed_cycles += spec.hardwired().embedding_cycles();
  for (const v1::LayerSlice& s : shard.layers()) {
    if (s.layer() < 0 || s.layer() >= static_cast<int>(m.layers.size())) {
      return absl::InvalidArgumentError(absl::StrCat("shard ", shard.index(), " names layer ",
                                                     s.layer(), " but ", m.name, " has ",
                                                     m.layers.size()));
    }
    const model::LayerSpec& l = m.layers[s.layer()];
    if (s.ffn_only()) {
      // The FFN alone (attention/FFN disaggregation): the dense MLP's
      // steps, or the router then the experts' steps (shared alongside).
      double cycles = vector;
      if (l.ffn_kind == model::FfnKind::kDense) {
        for (const auto& [step, w] : LargestPerStep(l.dense_mlp)) cycles += c.StepCycles(w);
      } else {
        std::vector<model::Matmul> ms = l.expert;
        ms.insert(ms.end(), l.shared_expert.begin(), l.shared_expert.end());
        cycles += c.StepCycles(l.router->weights());
        for (const auto& [step, w] : LargestPerStep(ms)) cycles += c.StepCycles(w);
      }
      c.ffn_cycles_[s.layer()] = cycles;
      continue;
    }
    // Expert steps: gate|up then down, shared experts alongside.
    double expert_steps = 0;
    if (l.ffn_kind == model::FfnKind::kMoe) {
      std::vector<model::Matmul> ms = l.expert;
      ms.insert(ms.end(), l.shared_expert.begin(), l.shared_expert.end());
      for (const auto& [step, w] : LargestPerStep(ms)) expert_steps += c.StepCycles(w);
    }
    if (!s.core()) {  // experts only: served on dispatch
      c.expert_cycles_ = 0;
      for (const auto& [step, w] : LargestPerStep(l.expert)) {
        c.expert_cycles_ += c.StepCycles(w);
      }
      continue;
    }
    for (const auto& [step, w] : LargestPerStep(l.attention)) {
      seg.fixed_cycles += c.StepCycles(w);
    }
    seg.fixed_cycles += vector;
    if (l.is_recurrent()) {
      const double state = c.StateCycles(l);
      seg.state_cycles += state;
      ++seg.recurrent_layers;
      c.state_cycles_ += state;
    } else {
      ++seg.attention_layers;
      ++c.attention_layers_;
    }
    if (l.ffn_kind == model::FfnKind::kDense) {
      for (const auto& [step, w] : LargestPerStep(l.dense_mlp)) {
        seg.fixed_cycles += c.StepCycles(w);
      }
      continue;
    }
    seg.fixed_cycles += c.StepCycles(l.router->weights());
    const bool all_local =
        s.expert_begin() == 0 && s.expert_end() == static_cast<int>(l.num_routed_experts);
    if (all_local) {
      seg.fixed_cycles += expert_steps;
      continue;
    }
    seg.dispatch_layer = s.layer();
    seg.local_expert_cycles = expert_steps;
    c.segments_.push_back(seg);
    seg = Segment{};
  }
  if (shard.lm_head()) {
    seg.fixed_cycles += c.StepCycles(m.LmHead().weights()) + vector;
  }
  c.segments_.push_back(seg);
  return c;
}

double HardwiredChipModel::StateCycles(const model::LayerSpec& l) const {
  return spec_.attention_fixed_cycles() +
         std::max(2.0 * static_cast<double>(l.state_bytes) / spec_.kv_read_bytes_per_cycle(),
                  static_cast<double>(l.state_macs_per_token) / spec_.attention_macs_per_cycle());
}

SimTime HardwiredChipModel::SegmentLatency(int s, int64_t context, int64_t count) const {
  const Segment& seg = segments_[s];
  // The first token's path (its own state work included), then one
  // interval per further token: the engine's state work overlaps the PE
  // scans of later tokens as attention does, rather than adding to them.
  double cycles =
      seg.fixed_cycles + seg.attention_layers * AttentionCycles(context + 1) + seg.state_cycles;
  if (count > 1) {
    cycles +=
        (count - 1) * PerTokenInterval(context, count, seg.attention_layers, seg.state_cycles);
  }
  return Cycles(cycles);
}

SimTime HardwiredChipModel::Occupancy(int64_t context, int64_t count) const {
  const double scan = spec_.pe_scan_cycles() / spec_.tokens_per_pass();
  double cycles = count * scan;
  if (attention_layers_ > 0 || state_cycles_ > 0) {
    // The attention engine serves the attention cores and the recurrences.
    const double engine =
        (attention_layers_ > 0 ? attention_layers_ * ChunkAttentionCycles(context, count) : 0.0) +
        count * state_cycles_;
    cycles = std::max(cycles, engine);
  }
  return Cycles(cycles);
}

SimTime HardwiredChipModel::ExpertLatency(int64_t count) const {
  const double scan = spec_.pe_scan_cycles() / spec_.tokens_per_pass();
  return Cycles(expert_cycles_ + (count - 1) * scan);
}

SimTime HardwiredChipModel::FfnLatency(int layer, int64_t count) const {
  const double scan = spec_.pe_scan_cycles() / spec_.tokens_per_pass();
  return Cycles(ffn_cycles_.at(layer) + (count - 1) * scan);
}

SimTime HardwiredChipModel::ExpertOccupancy(int64_t count) const {
  return Cycles(count * spec_.pe_scan_cycles() / spec_.tokens_per_pass());
}

SimTime HardwiredChipModel::MinReaction() const {
  SimTime best = SimTime::Max();
  // A chip holding FFNs alone (attention/FFN disaggregation) only answers
  // dispatches; its one segment is empty.
  for (int s = 0; ffn_cycles_.empty() && s < static_cast<int>(segments_.size()); ++s) {
    best = base::Min(best, SegmentLatency(s, 0, 1));
  }
  if (expert_cycles_ > 0) best = base::Min(best, ExpertLatency(1));
  for (const auto& [layer, cycles] : ffn_cycles_) best = base::Min(best, Cycles(cycles));
  return best;
}

}  // namespace etchsim::chip
