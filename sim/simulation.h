// Simulation: builds a run from a scenario — model, chip, partition plan,
// topology, per-stage timing models and LPs — runs it, and collects the
// statistics a report is made of.
//
// Building is deterministic, so every process of a distributed run builds
// the same Simulation from the same scenario and instantiates only the LPs
// it hosts (MakeLp); the in-process run instantiates them all.
#ifndef ETCHSIM_SIM_SIMULATION_H_
#define ETCHSIM_SIM_SIMULATION_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chip/hardwired_model.h"
#include "chip/roofline_model.h"
#include "fabric/topology.h"
#include "model/model_spec.h"
#include "proto/etchsim/v1/chip.pb.h"
#include "proto/etchsim/v1/plan.pb.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "serving/engine.h"
#include "serving/faults.h"
#include "serving/host_lp.h"
#include "serving/kv_budget.h"
#include "serving/stage_lp.h"
#include "sim/stage_model.h"

namespace etchsim::sim {

using base::SimTime;

struct StageInfo {
  int index = 0;
  int pool = 0;       // 0: the first (decode, FFN or only) pool, 1: the second
  int units = 1;      // busy time is summed over this many units (FFN chips' layers)
  int devices = 1;    // chips in the stage (tensor parallel)
  std::string holds;  // "emb, 0-2"
  int64_t kv_bytes_per_token = 0;
  int64_t kv_capacity_bytes = 0;
  int64_t weight_bytes = 0;
  double capacity_used = 0;
  serving::StageResult stats;
};

struct LinkInfo {
  std::string name;
  double bandwidth_bytes_per_s = 0;
  serving::LinkResult stats;
};

// A run's second pool of another chip kind, whose stages follow the
// first pool's: a disaggregated run's prefill pool (Scenario.
// disaggregation), or an attention/FFN run's attention group
// (Scenario.attention_ffn; the first pool then holds the FFNs).
enum class PoolRole { kPrefill, kAttention };
// The role as the report names it, and the first pool's role beside it:
// "prefill" beside "decode", "attention" beside "ffn".
const char* PoolRoleName(PoolRole r);
const char* FirstPoolRoleName(PoolRole second);

struct PoolInfo {
  PoolRole role = PoolRole::kPrefill;
  v1::ChipSpec chip;
  v1::Plan plan;
  int tensor_parallel = 1;
  int num_devices = 0;
  int num_servers = 0;
};

// Everything measured in one run; the report is rendered from this.
struct SimulationResult {
  v1::Scenario scenario;  // with defaults applied
  v1::Plan plan;
  v1::ChipSpec chip;
  std::string model;
  int num_devices = 0;
  int num_servers = 0;
  int tensor_parallel = 1;
  int64_t kv_capacity_tokens = 0;
  // Recurrent layers' fixed state per sequence (0 without such layers).
  int64_t state_bytes_per_sequence = 0;
  bool windowed_layers = false;  // some layer keeps at most a window
  SimTime window_start;
  SimTime end;
  serving::HostResult host;
  std::vector<StageInfo> stages;
  std::vector<LinkInfo> links;
  uint64_t events = 0;
  std::optional<serving::FaultPlan> faults;  // the scenario's faults, if any
  // The second pool, if any (plan, chip, tp, num_devices and num_servers
  // above are the first pool's).
  std::optional<PoolInfo> second_pool;
  // Devices of every pool.
  int all_devices() const { return num_devices + (second_pool ? second_pool->num_devices : 0); }
  // "30 x hc2", or with a second pool "30 x hc2 + 16 x h100 prefill".
  std::string Hardware() const;
};

// What one LP contributes to a result, finalised where the LP ran (a chip
// process ships this to the coordinator).
struct LpResult {
  serving::LpId lp = -1;
  std::optional<serving::HostResult> host;  // the host LP
  int stage = -1;                           // a stage LP: its index and statistics
  serving::StageResult stage_stats;
  std::vector<serving::LinkResult> links;
};

// Inputs that replace what the scenario names, for processes that must not
// depend on local files (distributed chips) or that vary a preset (the
// calibrator).
struct BuildOverrides {
  const v1::ChipSpec* chip = nullptr;
  const v1::ChipSpec* second_chip = nullptr;  // a second pool's chip
  const std::string* model_config_json = nullptr;
  // Only the rank hosting the host LP reads a trace workload's file; chip
  // processes skip it (the file need not exist on their machines).
  bool load_trace = true;
};

// A run's second pool (prefill or attention), held by Simulation. At
// namespace scope rather than nested: clang does not see a nested class with
// default member initializers as default-constructible while the enclosing
// class is incomplete, so std::optional<Nested>::emplace() fails to compile.
struct SecondPoolState {
  bool attention = false;  // an attention group (else a prefill pool)
  v1::ChipSpec chip;
  model::KvDtype kv_dtype = model::KvDtype::kBf16;
  v1::Plan plan;
  int tp = 1;
  serving::KvBudget kv;  // the prompts' KV, held until their first token
  serving::ExpertMap experts;
};

class Simulation {
 public:
  static absl::StatusOr<std::unique_ptr<Simulation>> Build(v1::Scenario scenario,
                                                           const BuildOverrides& o = {});

  const v1::Scenario& scenario() const { return scenario_; }
  const v1::Plan& plan() const { return plan_; }
  const v1::ChipSpec& chip() const { return chip_; }
  const model::ModelSpec& model() const { return model_; }
  const fabric::Topology& topology() const { return *topology_; }
  const serving::RunConstants& constants() const { return k_; }
  // The decode pool's chip kind (the only pool's unless disaggregated).
  bool hardwired() const { return chip_.kind() == v1::ChipSpec::HARDWIRED; }
  // Every stage: the decode pool's [0, decode_stages()), then a
  // disaggregated run's prefill pool [decode_stages(), num_stages()).
  int num_stages() const { return static_cast<int>(stages_.size()); }
  int decode_stages() const { return static_cast<int>(plan_.chips_size()); }
  // Prefill/decode disaggregation: the second pool prefills.
  bool disaggregated() const { return pool2_ && !pool2_->attention; }
  // Attention/FFN disaggregation: the second pool is one attention group
  // (stage decode_stages()), the first pool's chips hold the FFNs.
  bool attention_ffn() const { return pool2_ && pool2_->attention; }
  // The stages prompts run on: the prefill pool or attention group, or
  // the only pool.
  int prefill_begin() const { return pool2_ ? decode_stages() : 0; }
  int prefill_end() const { return pool2_ ? num_stages() : decode_stages(); }
  // Stage `stage`'s slice of its pool's plan.
  const v1::ChipShard& shard(int stage) const;
  // Whether decode stage `stage` holds per-sequence memory: a KV cache, or
  // a recurrent layer's state (a stage of gated DeltaNet layers alone has
  // no KV but still receives each prompt's state from a prefill pool).
  bool HoldsDecodeKv(int stage) const;
  // The chip spec of stage `stage`'s pool.
  const v1::ChipSpec& chip_of(int stage) const {
    return stage < decode_stages() ? chip_ : pool2_->chip;
  }
  bool has_second_pool() const { return pool2_.has_value(); }
  // REQUIRES: has_second_pool().
  const v1::ChipSpec& second_chip() const { return pool2_->chip; }
  int tensor_parallel() const { return tp_; }
  int64_t kv_capacity_tokens() const { return kv_capacity_tokens_; }
  // Per-stage KV admission (windowed layers capped at their window).
  const serving::KvBudget& kv_budget() const { return kv_; }
  const StageModel& stage_model(int stage) const { return stages_[stage]; }
  // REQUIRES: stage_model(stage).is_hardwired().
  const chip::HardwiredChipModel& hardwired_model(int stage) const {
    return stages_[stage].hardwired();
  }
  // REQUIRES: !stage_model(stage).is_hardwired().
  const chip::RooflineStageModel& roofline_model(int stage) const {
    return stages_[stage].roofline();
  }
  // The routed-expert map of stage `stage`'s pool.
  const serving::ExpertMap& experts_of(int stage) const { return *ExpertsOf(stage); }
  // Null when the scenario injects no faults.
  const serving::FaultPlan* faults() const { return faults_ ? &*faults_ : nullptr; }
  int num_lps() const { return static_cast<int>(topology_->nodes().size()); }
  serving::LpId stage_lp(int stage) const { return topology_->chip(stage); }

  // A fresh LP for node `id` (host, stage or switch); `give_up` goes to
  // the host LP (serving::HostConfig::give_up).
  // REQUIRES: 0 <= id < num_lps().
  std::unique_ptr<serving::Lp> MakeLp(serving::LpId id, serving::GiveUp give_up = {}) const;
  // Events to inject before running (sent by the host to itself).
  std::vector<std::pair<SimTime, serving::Message>> InitialEvents() const;
  // Virtual time at which the run ends unless the host stops it earlier.
  SimTime EndTime() const;

  // Runs every LP in this process; `give_up` may end it early (its result
  // then has host.gave_up set).
  // `cancel` (may be null): another thread ends the run early by setting
  // it; the result is then partial, for the caller to discard.
  // `tick` (may be empty): engine::Kernel::set_tick, for progress.
  absl::StatusOr<SimulationResult> RunInProcess(serving::GiveUp give_up = {},
                                                const std::atomic<bool>* cancel = nullptr,
                                                serving::Kernel::Tick tick = {}) const;

  // Finalises one LP's statistics clipped at `end`.
  // REQUIRES: `lp` is the LP MakeLp(id) made, and every event before `end`
  // has been handled by it.
  LpResult FinalizeLp(serving::Lp& lp, serving::LpId id, SimTime end) const;
  // Builds the result from every LP's contribution, whichever process ran
  // it; `end` is the time the run ended.
  // REQUIRES: `parts` holds exactly one LpResult per LP, finalised at `end`.
  SimulationResult Assemble(const std::vector<LpResult>& parts, SimTime end, uint64_t events) const;
  // FinalizeLp for every LP (indexed by LP id), then Assemble.
  SimulationResult Collect(std::vector<std::unique_ptr<serving::Lp>>& lps, SimTime end,
                           uint64_t events) const;
  // The result skeleton (everything but the statistics).
  SimulationResult Skeleton() const;

 private:
  Simulation() = default;
  // Build's steps, in order.
  absl::Status LoadInputs(const BuildOverrides& o);  // model, chip, KV dtype, trace
  absl::Status BuildPlan();                          // partition (and TP for GPUs)
  absl::Status BuildTopology();                      // nodes, links, routes
  absl::Status BuildStages();                        // stage models, KV admission limit, fit check
  absl::Status BuildSecondPoolStages();              // the same for a second pool
  absl::Status BuildAttentionFfnPlans();             // BuildPlan with attention_ffn
  absl::Status BuildFfnPoolPlan();                   // its hard-wired FFN pool
  absl::Status BuildAttentionGroupPlan();            // its roofline attention group
  absl::Status CheckStepTimes() const;               // no step past an hour (the clock's range)
  absl::Status CheckKvFits();  // a cached prefix, and requests of the fixed lengths
  absl::Status MapExperts();   // who holds which routed experts, how tokens choose them
  void SetConstants();         // serving::RunConstants for every LP
  // The routed-expert map of stage `stage`'s pool.
  const serving::ExpertMap* ExpertsOf(int stage) const {
    return stage < decode_stages() ? &experts_ : &pool2_->experts;
  }
  int PoolServers(const v1::ChipSpec& chip, int devices) const;

  v1::Scenario scenario_;
  model::ModelSpec model_;
  v1::ChipSpec chip_;
  model::KvDtype kv_dtype_ = model::KvDtype::kBf16;
  v1::Plan plan_;
  int tp_ = 1;
  std::optional<fabric::Topology> topology_;
  std::vector<StageModel> stages_;  // by stage index
  serving::ExpertRouter router_;
  serving::ExpertMap experts_;
  serving::RunConstants k_;
  int64_t kv_capacity_tokens_ = 0;
  serving::KvBudget kv_;
  std::vector<serving::TraceRequest> trace_;
  std::optional<serving::FaultPlan> faults_;
  std::optional<SecondPoolState> pool2_;
};

}  // namespace etchsim::sim

#endif  // ETCHSIM_SIM_SIMULATION_H_
