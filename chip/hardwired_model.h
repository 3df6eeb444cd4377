// The timing law of a hard-wired chip, applied to the layers one chip holds.
//
// Model (docs/assumptions.md, "Chip timing law"): every weight matrix has
// its own processing elements (PEs) beside its ROM, so a chip is a spatial
// pipeline and several users' tokens are in flight at once. For one token:
//
//   matmul step   = matmul_fixed_cycles + pe_scan_cycles x f,
//                   f = (weights per PE actually used) / weights_per_pe
//   layer         = sum of its critical-path matmul steps
//                   + attention(L) + vector_cycles_per_layer
//   attention(L)  = attention_fixed_cycles + max(L x KV bytes per position /
//                   kv_read_bytes_per_cycle, L x MACs per position /
//                   attention_macs_per_cycle)      (shared engine per chip)
//
// A chip accepts a new token every initiation interval (II): the busiest
// unit's time per token, max(pe_scan_cycles / tokens_per_pass, sum over its
// layers of attention(L)). A chunk of P tokens costs the first token's
// latency plus (P - 1) per-token intervals. MoE layers whose routed
// experts live partly on other chips split the chip's work into segments
// that end at an expert dispatch.
#ifndef ETCHSIM_CHIP_HARDWIRED_MODEL_H_
#define ETCHSIM_CHIP_HARDWIRED_MODEL_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "base/sim_time.h"
#include "model/model_spec.h"
#include "proto/etchsim/v1/chip.pb.h"
#include "proto/etchsim/v1/plan.pb.h"

namespace etchsim::chip {

using base::SimTime;

// One stretch of a chip's work, ending at the chip's exit or at a dispatch
// of a MoE layer's selected experts to other chips.
struct Segment {
  double fixed_cycles = 0;   // matmul steps, vector work, embedding, head
  int attention_layers = 0;  // layers whose attention core runs here
  // Recurrent layers here: cycles of their state work per token (state read
  // and written through the KV memory port, its multiply-accumulates on the
  // attention engine), independent of the context.
  double state_cycles = 0;
  int recurrent_layers = 0;  // those layers (core here, no attention core)
  int dispatch_layer = -1;   // MoE layer dispatched at the end; -1 = exit
  // For a dispatch: cycles of this chip's own selected experts and shared
  // experts, which run while remote experts work.
  double local_expert_cycles = 0;
};

class HardwiredChipModel {
 public:
  // Validates the timing parameters and lays out `shard`'s work.
  static absl::StatusOr<HardwiredChipModel> Create(const v1::ChipSpec& spec,
                                                   const model::ModelSpec& m,
                                                   const v1::ChipShard& shard,
                                                   model::KvDtype kv_dtype);

  const std::vector<Segment>& segments() const { return segments_; }

  // Latency of segment `s` for a chunk of `count` tokens whose first token
  // attends `context + 1` positions (count = 1 for a decode step).
  SimTime SegmentLatency(int s, int64_t context, int64_t count) const;
  // Initiation interval the item claims at the chip's entry.
  SimTime Occupancy(int64_t context, int64_t count) const;
  // Expert work this chip does for another chip's token (it holds some of
  // `layer`'s routed experts): latency and occupancy for `count` tokens.
  SimTime ExpertLatency(int64_t count) const;
  SimTime ExpertOccupancy(int64_t count) const;
  // Attention/FFN disaggregation: the FFN of `layer` (a shard's ffn_only
  // slice) for `count` tokens, and the occupancy of that layer's units
  // (each layer's PEs take a token per interval, independently).
  // REQUIRES: holds_ffn(layer).
  bool holds_ffn(int layer) const { return ffn_cycles_.contains(layer); }
  int ffn_layers() const { return static_cast<int>(ffn_cycles_.size()); }
  SimTime FfnLatency(int layer, int64_t count) const;
  SimTime FfnOccupancy(int64_t count) const { return ExpertOccupancy(count); }
  // Lower bound on the time from receiving any message to sending one
  // (lookahead for conservative synchronisation).
  SimTime MinReaction() const;

  // Cycles of one matmul step for a matrix of `weights` weights.
  double StepCycles(int64_t weights) const;
  // Cycles of one layer's attention core for a query over `positions`.
  double AttentionCycles(int64_t positions) const;
  // One token's state work in recurrent layer `l` (Segment::state_cycles):
  // the state read and written through the KV port, or its MACs on the
  // attention engine, whichever binds, plus the engine's fixed cost.
  double StateCycles(const model::LayerSpec& l) const;
  double cycle_ns() const { return cycle_ns_; }

 private:
  HardwiredChipModel() = default;
  SimTime Cycles(double c) const { return SimTime::FromNanos(c * cycle_ns_); }
  // Sum over the chunk's tokens of one layer's attention cycles.
  double ChunkAttentionCycles(int64_t context, int64_t count) const;
  // A chunk's tokens after the first each take the longer of a PE scan and
  // their share of the attention engine's work: `layers` attention cores
  // and `state_cycles` of recurrent-state work per token.
  double PerTokenInterval(int64_t context, int64_t count, int layers, double state_cycles) const;

  v1::HardwiredTiming spec_;
  double cycle_ns_ = 1.0;
  int64_t kv_bytes_per_position_ = 0;  // per layer
  int64_t macs_per_position_ = 0;      // per layer
  int attention_layers_ = 0;
  double state_cycles_ = 0;           // every recurrent layer here, per token
  double expert_cycles_ = 0;          // two expert steps (gate|up, down)
  std::map<int, double> ffn_cycles_;  // ffn_only layers: one token's FFN
  std::vector<Segment> segments_;
};

// Validates a HARDWIRED spec's timing block; errors name the field.
absl::Status ValidateHardwiredTiming(const v1::ChipSpec& spec, const std::string& source);

}  // namespace etchsim::chip

#endif  // ETCHSIM_CHIP_HARDWIRED_MODEL_H_
