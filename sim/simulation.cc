#include "sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "chip/chip_spec.h"
#include "chip/chip_spec_validate.h"
#include "model/zoo.h"
#include "partitioner/partitioner.h"
#include "partitioner/plan_report.h"
#include "serving/engine.h"
#include "silicon/reference.h"
#include "sim/scenario.h"

namespace etchsim::sim {

namespace {

// One pool's plan: a hard-wired partition over `chips` chips (0 = the
// fewest that fit), or pipeline stages of tensor-parallel roofline groups.
// `field` prefixes errors about the chip count ("--chips").
absl::Status PartitionPool(const v1::ChipSpec& chip, const model::ModelSpec& model,
                           model::KvDtype kv_dtype, int chips, int tensor_parallel,
                           const std::string& strategy, absl::string_view field, v1::Plan& plan,
                           int& tp) {
  ASSIGN_OR_RETURN(partitioner::ChipCapacity cap, chip::CapacityOf(chip));
  cap.kv_dtype = kv_dtype;
  if (chip.kind() == v1::ChipSpec::HARDWIRED) {
    ASSIGN_OR_RETURN(plan, partitioner::Partition(model, cap, strategy, {.num_chips = chips}));
    tp = 1;
    return absl::OkStatus();
  }
  // Roofline: stages of tp devices; pipeline over stages.
  const int def_tp = std::max(1, chip.roofline().default_tensor_parallel());
  tp = tensor_parallel > 0 ? tensor_parallel : (chips > 0 ? std::min(chips, def_tp) : def_tp);
  if (chips > 0 && chips % tp != 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, " (", chips,
                                                   ") must be a multiple of the tensor-parallel "
                                                   "group size (",
                                                   tp, ") for ", chip.name()));
  }
  cap.weight_capacity_bytes = chip::RooflineMemoryBudget::WeightBytes(chip, tp);
  cap.name = tp > 1 ? absl::StrCat(tp, "x", chip.name()) : chip.name();
  const int stages = chips > 0 ? chips / tp : 0;
  ASSIGN_OR_RETURN(plan, partitioner::Partition(model, cap, "pipeline", {.num_chips = stages}));
  return absl::OkStatus();
}

}  // namespace

absl::Status Simulation::BuildPlan() {
  if (attention_ffn()) return BuildAttentionFfnPlans();
  RETURN_IF_ERROR(PartitionPool(chip_, model_, kv_dtype_, scenario_.chips(),
                                scenario_.tensor_parallel(), scenario_.strategy(), "--chips", plan_,
                                tp_));
  if (pool2_) {
    const v1::Disaggregation& d = scenario_.disaggregation();
    const bool hw = pool2_->chip.kind() == v1::ChipSpec::HARDWIRED;
    if (hw && d.prefill_tensor_parallel() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "scenario: disaggregation.prefill_tensor_parallel applies to roofline chips (GPUs); ",
          pool2_->chip.name(), " is hard-wired"));
    }
    if (!hw && !d.prefill_strategy().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenario: disaggregation.prefill_strategy applies to hard-wired chips; ",
                       pool2_->chip.name(), " runs pipeline stages of tensor-parallel groups"));
    }
    const std::string strategy = d.prefill_strategy().empty() ? "auto" : d.prefill_strategy();
    absl::Status s = PartitionPool(
        pool2_->chip, model_, pool2_->kv_dtype, d.prefill_chips(), d.prefill_tensor_parallel(),
        strategy, "scenario: disaggregation.prefill_chips", pool2_->plan, pool2_->tp);
    if (!s.ok()) {
      // The partitioner's messages name its own flags: say which pool.
      return absl::Status(s.code(),
                          absl::StartsWith(s.message(), "scenario: ")
                              ? std::string(s.message())
                              : absl::StrCat("scenario: disaggregation.prefill_chips (",
                                             d.prefill_chips(), "): prefill pool: ", s.message()));
    }
  }
  return absl::OkStatus();
}

const v1::ChipShard& Simulation::shard(int stage) const {
  return stage < decode_stages() ? plan_.chips(stage) : pool2_->plan.chips(stage - decode_stages());
}

absl::StatusOr<std::unique_ptr<Simulation>> Simulation::Build(v1::Scenario scenario,
                                                              const BuildOverrides& o) {
  ApplyDefaults(scenario);
  RETURN_IF_ERROR(ValidateScenario(scenario));
  std::unique_ptr<Simulation> sim(new Simulation());
  sim->scenario_ = std::move(scenario);
  RETURN_IF_ERROR(sim->LoadInputs(o));
  RETURN_IF_ERROR(sim->BuildPlan());
  RETURN_IF_ERROR(sim->BuildTopology());
  RETURN_IF_ERROR(sim->BuildStages());
  RETURN_IF_ERROR(sim->BuildSecondPoolStages());
  RETURN_IF_ERROR(sim->CheckStepTimes());
  if (serving::HasFaults(sim->scenario_.faults())) {
    ASSIGN_OR_RETURN(sim->faults_, serving::FaultPlan::Create(sim->scenario_.faults(),
                                                              *sim->topology_, sim->num_stages()));
  }
  RETURN_IF_ERROR(sim->MapExperts());
  sim->SetConstants();
  return sim;
}

absl::Status Simulation::LoadInputs(const BuildOverrides& o) {
  if (o.model_config_json != nullptr) {
    ASSIGN_OR_RETURN(model::ModelConfig config,
                     model::ParseModelConfig(*o.model_config_json, scenario_.model()));
    ASSIGN_OR_RETURN(model_, model::BuildModelSpec(config));
  } else {
    ASSIGN_OR_RETURN(model_, model::LoadModel(scenario_.model()));
  }
  if (o.chip != nullptr) {
    // A chip spec from a peer (LoadShard) or a caller gets the same checks
    // as a preset file.
    RETURN_IF_ERROR(
        chip::ValidateChipSpec(*o.chip, o.chip->name().empty() ? "chip" : o.chip->name()));
    chip_ = *o.chip;
  } else {
    ASSIGN_OR_RETURN(chip_, silicon::LoadChip(scenario_.chip()));
  }
  ASSIGN_OR_RETURN(
      kv_dtype_,
      model::ParseKvDtype(scenario_.kv_dtype().empty() ? chip_.kv_dtype() : scenario_.kv_dtype()));
  const std::string& second = !scenario_.disaggregation().prefill_chip().empty()
                                  ? scenario_.disaggregation().prefill_chip()
                                  : scenario_.attention_ffn().attention_chip();
  if (!second.empty()) {
    pool2_.emplace();
    pool2_->attention = !scenario_.attention_ffn().attention_chip().empty();
    if (o.second_chip != nullptr) {
      RETURN_IF_ERROR(chip::ValidateChipSpec(
          *o.second_chip, o.second_chip->name().empty() ? "second chip" : o.second_chip->name()));
      pool2_->chip = *o.second_chip;
    } else {
      ASSIGN_OR_RETURN(pool2_->chip, silicon::LoadChip(second));
    }
    ASSIGN_OR_RETURN(pool2_->kv_dtype,
                     model::ParseKvDtype(scenario_.kv_dtype().empty() ? pool2_->chip.kv_dtype()
                                                                      : scenario_.kv_dtype()));
  }
  RETURN_IF_ERROR(serving::LoadRoutingHistogram(*scenario_.mutable_routing()));
  const v1::Workload& w = scenario_.workload();
  if (w.kind_case() == v1::Workload::kTrace && o.load_trace) {
    ASSIGN_OR_RETURN(trace_, serving::LoadTrace(w.trace().path()));
  }
  return absl::OkStatus();
}

absl::Status Simulation::BuildTopology() {
  scenario_.set_chips(plan_.num_chips() * tp_);
  int nodes = plan_.num_chips();
  if (disaggregated()) {
    scenario_.mutable_disaggregation()->set_prefill_chips(pool2_->plan.num_chips() * pool2_->tp);
  } else if (attention_ffn()) {
    scenario_.mutable_attention_ffn()->set_attention_chips(pool2_->tp);
  }
  if (pool2_) {
    nodes += pool2_->plan.num_chips();
    const int64_t devices = int64_t{scenario_.chips()} + pool2_->plan.num_chips() * pool2_->tp;
    if (devices > serving::kMaxChips) {
      return absl::InvalidArgumentError(absl::StrCat("scenario: the two pools have ", devices,
                                                     " chips together, more than ",
                                                     serving::kMaxChips));
    }
  }
  // A second pool's stages follow the first pool's on the same fabric, in
  // servers of their own (as many cards each as its pricing counts).
  fabric::SecondPoolLayout second;
  if (pool2_) {
    second.first_chip = plan_.num_chips();
    const int cps = pool2_->chip.cost().cards_per_server() > 0
                        ? pool2_->chip.cost().cards_per_server()
                        : scenario_.topology().cards_per_server();
    // The fabric's cards are stages (a tensor-parallel group is one).
    second.cards_per_server = std::max(1, cps / std::max(1, pool2_->tp));
  }
  ASSIGN_OR_RETURN(fabric::Topology topo,
                   fabric::Topology::Build(scenario_.topology(), nodes, second));
  topology_.emplace(std::move(topo));
  for (int i = 0; i < nodes; ++i) {
    // Hard-wired chips take a message's arrival time as the start bound of
    // their work, so they can model their ingress link themselves.
    const v1::ChipSpec& c = i < plan_.num_chips() ? chip_ : pool2_->chip;
    if (c.kind() == v1::ChipSpec::HARDWIRED)
      topology_->set_models_ingress(topology_->chip(i), true);
  }
  return absl::OkStatus();
}

absl::Status Simulation::BuildStages() {
  // Per-stage timing models and the KV admission limit.
  std::vector<int64_t> capacity;
  for (const v1::ChipShard& shard : plan_.chips()) {
    ASSIGN_OR_RETURN(StageModel stage, StageModel::Create(chip_, model_, shard, tp_, kv_dtype_));
    capacity.push_back(stage.kv_capacity_bytes());
    stages_.push_back(std::move(stage));
  }
  if (attention_ffn()) return absl::OkStatus();  // the KV is the attention group's
  kv_ = serving::KvBudget::Build(model_, plan_, capacity, kv_dtype_);
  return CheckKvFits();
}

absl::Status Simulation::CheckKvFits() {
  kv_capacity_tokens_ = kv_.capacity_tokens();
  if (const int32_t prefix = scenario_.kv_policy().prefix_tokens(); prefix > 0) {
    serving::KvBudget pinned = kv_;
    if (!pinned.Pin(prefix)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "scenario: kv_policy.prefix_tokens: a cached prefix of ", base::WithCommas(prefix),
          " tokens does not fit the KV memory (", base::WithCommas(kv_capacity_tokens_),
          " tokens at the full rate, limited by ", kv_.limiter(), ")"));
    }
  }
  // A request that can never fit is an input error when every request is
  // that size; with varying lengths such requests are counted as rejected.
  const v1::Workload& w = scenario_.workload();
  const int64_t draft = scenario_.speculative().draft_len();
  if (w.kind_case() != v1::Workload::kTrace && w.input_len().has_fixed() &&
      w.output_len().has_fixed()) {
    const int64_t need = w.input_len().fixed() + int64_t{w.output_len().fixed()} + draft;
    if (kv_.MaxSequences(need) == 0) {
      // A hybrid model's sequence also holds its recurrent layers' state,
      // whatever its length; fp8 KV does not shrink that state.
      const int64_t state = model_.StateBytesPerSequence();
      return absl::FailedPreconditionError(absl::StrCat(
          "every request needs ", base::WithCommas(need), " tokens of KV cache (input + output",
          draft ? " + draft" : "", ")",
          state > 0 ? absl::StrCat(" plus ", base::WithCommas(state),
                                   " bytes of recurrent state per sequence")
                    : "",
          " but the ",
          attention_ffn() ? "attention group" : absl::StrCat(plan_.num_chips(), "-stage cluster"),
          " holds ", base::WithCommas(kv_capacity_tokens_),
          kv_.windowed() ? " at the full-attention rate" : "", " (limited by ", kv_.limiter(),
          "); use shorter requests",
          kv_dtype_ == model::KvDtype::kFp8 ? "" : ", fp8 KV (--kv-dtype=fp8)", " or more chips",
          state > 0 ? " (fp8 KV leaves the state as it is)" : ""));
    }
  }
  if (!trace_.empty()) {
    // The same rule for a trace: its shortest request decides (a request
    // needs more KV the longer it is).
    int64_t shortest = std::numeric_limits<int64_t>::max();
    for (const serving::TraceRequest& t : trace_) {
      shortest = std::min(shortest, int64_t{t.input_len} + t.output_len + draft);
    }
    if (kv_.MaxSequences(shortest) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("workload.trace.path: every request of ", w.trace().path(),
                       " needs at least ", base::WithCommas(shortest),
                       " tokens of KV cache (input + output", draft ? " + draft" : "",
                       ") but the cluster holds ", base::WithCommas(kv_capacity_tokens_),
                       " (limited by ", kv_.limiter(), "); use shorter requests or more chips"));
    }
  }
  return absl::OkStatus();
}

absl::Status Simulation::CheckStepTimes() const {
  // The longest request the workload can send, and the largest chunk.
  const v1::Workload& w = scenario_.workload();
  int64_t longest = 0;
  if (w.kind_case() == v1::Workload::kTrace) {
    for (const serving::TraceRequest& t : trace_) {
      longest = std::max(longest, int64_t{t.input_len} + t.output_len);
    }
  } else {
    // An unbounded lognormal (MaxOf -1) is capped at kMaxContextTokens.
    for (const v1::LengthDist* d : {&w.input_len(), &w.output_len()}) {
      const int64_t m = MaxOf(*d);
      longest += m < 0 ? model::kMaxContextTokens : m;
    }
  }
  longest += scenario_.speculative().draft_len();
  const int64_t chunk = std::max<int64_t>(1, scenario_.prefill_chunk_tokens());
  // A step past an hour is a unit mistake in a chip's rates, not a chip,
  // and a run of such steps would leave the clock's ~106 days.
  const SimTime limit = SimTime::Seconds(3600);
  for (int s = 0; s < num_stages(); ++s) {
    const SimTime t = stages_[s].LongestStep(longest, chunk);
    if (t <= limit) continue;
    const v1::ChipSpec& c = chip_of(s);
    return absl::InvalidArgumentError(absl::StrCat(
        "chip ", c.name(), ": one step of stage ", s, " (a ", chunk, "-token chunk after ",
        base::WithCommas(longest), " positions) would take ",
        t == SimTime::Max() ? "longer than the clock's range (~106 days)" : t.ToString(),
        "; a step must stay under an hour: its rates are too low for ", model_.name, " (check ",
        c.kind() == v1::ChipSpec::HARDWIRED
            ? "hardwired.clock_ghz, pe_scan_cycles, attention_macs_per_cycle and "
              "kv_read_bytes_per_cycle"
            : "roofline.memory_bandwidth_bytes_per_s, dense_*_flops and the efficiencies",
        ")"));
  }
  return absl::OkStatus();
}

absl::Status Simulation::BuildSecondPoolStages() {
  if (!pool2_) return absl::OkStatus();
  if (attention_ffn()) {
    ASSIGN_OR_RETURN(StageModel group,
                     StageModel::CreateAttentionGroup(pool2_->chip, model_, pool2_->plan.chips(0),
                                                      pool2_->tp, pool2_->kv_dtype));
    // The KV budget of the one stage that holds KV: its global index.
    v1::Plan at = pool2_->plan;
    at.mutable_chips(0)->set_index(decode_stages());
    std::vector<int64_t> capacity(decode_stages() + 1, 0);
    capacity.back() = group.kv_capacity_bytes();
    stages_.push_back(std::move(group));
    kv_dtype_ = pool2_->kv_dtype;
    kv_ = serving::KvBudget::Build(model_, at, capacity, kv_dtype_);
    for (int l = 0; l < static_cast<int>(model_.layers.size()); ++l) {
      for (const v1::ChipShard& sh : plan_.chips()) {
        for (const v1::LayerSlice& sl : sh.layers()) {
          if (sl.layer() == l) k_.ffn_lps.push_back(topology_->chip(sh.index()));
        }
      }
    }
    return CheckKvFits();
  }
  std::vector<int64_t> capacity;
  for (const v1::ChipShard& shard : pool2_->plan.chips()) {
    ASSIGN_OR_RETURN(StageModel stage,
                     StageModel::Create(pool2_->chip, model_, shard, pool2_->tp, pool2_->kv_dtype));
    capacity.push_back(stage.kv_capacity_bytes());
    stages_.push_back(std::move(stage));
  }
  pool2_->kv = serving::KvBudget::Build(model_, pool2_->plan, capacity, pool2_->kv_dtype);
  const v1::Workload& w = scenario_.workload();
  if (w.kind_case() != v1::Workload::kTrace && w.input_len().has_fixed() &&
      pool2_->kv.MaxSequences(w.input_len().fixed()) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "scenario: disaggregation: every prompt needs ", base::WithCommas(w.input_len().fixed()),
        " tokens of KV cache but the prefill pool holds ",
        base::WithCommas(pool2_->kv.capacity_tokens()), " (limited by prefill ",
        pool2_->kv.limiter(), "); use shorter prompts or more prefill chips"));
  }
  return absl::OkStatus();
}

absl::Status Simulation::MapExperts() {
  for (const v1::ChipShard& shard : plan_.chips()) {
    for (const v1::LayerSlice& sl : shard.layers()) {
      if (sl.expert_end() > sl.expert_begin() && !sl.ffn_only()) {
        experts_.layers[sl.layer()].push_back(
            {sl.expert_begin(), sl.expert_end(), topology_->chip(shard.index())});
      }
    }
  }
  ASSIGN_OR_RETURN(router_,
                   serving::ExpertRouter::Build(scenario_.routing(), model_, scenario_.seed()));
  experts_.router = &router_;
  if (pool2_) {
    // The prefill pool routes tokens to its own holders, placed in id
    // order (balancing and redundant copies apply to the decode pool).
    serving::ExpertMap& pm = pool2_->experts;
    pm.router = &router_;
    for (const v1::ChipShard& shard : pool2_->plan.chips()) {
      for (const v1::LayerSlice& sl : shard.layers()) {
        if (sl.expert_end() > sl.expert_begin()) {
          pm.layers[sl.layer()].push_back({sl.expert_begin(), sl.expert_end(),
                                           topology_->chip(decode_stages() + shard.index())});
        }
      }
    }
    for (auto& [layer, holders] : pm.layers) {
      std::vector<int32_t> owner(router_.experts(), -1);
      for (int h = 0; h < static_cast<int>(holders.size()); ++h) {
        for (int32_t x = holders[h].begin; x < holders[h].end && x < router_.experts(); ++x) {
          owner[x] = h;
        }
      }
      const std::vector<double> p =
          router_.TouchProbabilities(layer, owner, static_cast<int>(holders.size()), nullptr);
      for (size_t h = 0; h < holders.size(); ++h) holders[h].p_touch = p[h];
      pm.owner[layer] = std::move(owner);
    }
  }
  const int64_t e = router_.experts();
  const int copies = scenario_.routing().redundant_experts();
  if (copies > 0) {
    const bool spread = std::any_of(experts_.layers.begin(), experts_.layers.end(),
                                    [](const auto& l) { return l.second.size() > 1; });
    if (!hardwired() || !spread) {
      return absl::InvalidArgumentError(
          "scenario: routing.redundant_experts applies to hard-wired plans that spread a "
          "layer's experts over several chips (--strategy expert-spread)");
    }
    if (copies > e) {
      return absl::InvalidArgumentError(absl::StrCat("scenario: routing.redundant_experts (",
                                                     copies, ") exceeds the ", e,
                                                     " routed experts of a layer"));
    }
  }
  std::map<int, int64_t> extra_params;  // chip LP -> params of its copies
  for (auto& [layer, holders] : experts_.layers) {
    std::vector<int32_t> owner(e, -1);
    std::vector<int32_t> slots;
    for (int h = 0; h < static_cast<int>(holders.size()); ++h) {
      for (int32_t x = holders[h].begin; x < holders[h].end && x < e; ++x) {
        owner[x] = h;
      }
      slots.push_back(holders[h].end - holders[h].begin);
    }
    if (std::find(owner.begin(), owner.end(), -1) != owner.end()) {
      return absl::InternalError(absl::StrCat("layer ", layer, ": an expert has no holder"));
    }
    // Balancing moves experts only when their loads differ.
    if (scenario_.routing().balance() && !router_.uniform()) {
      owner = serving::BalancedPlacement(router_.InclusionProbabilities(layer), slots);
    }
    const std::vector<int32_t>* replica = nullptr;
    if (copies > 0 && holders.size() > 1) {
      std::vector<int32_t> r = serving::ReplicaPlacement(
          router_.InclusionProbabilities(layer), owner, static_cast<int>(holders.size()), copies);
      for (int32_t h : r) {
        if (h >= 0) extra_params[holders[h].lp] += model_.layers[layer].ExpertParams();
      }
      replica = &(experts_.replica[layer] = std::move(r));
    }
    const std::vector<double> p =
        router_.TouchProbabilities(layer, owner, static_cast<int>(holders.size()), replica);
    for (size_t h = 0; h < holders.size(); ++h) holders[h].p_touch = p[h];
    experts_.owner[layer] = std::move(owner);
  }
  // The copies are etched beside the plan's weights: they must fit.
  if (!extra_params.empty()) {
    ASSIGN_OR_RETURN(const partitioner::ChipCapacity cap, chip::CapacityOf(chip_));
    for (v1::ChipShard& shard : *plan_.mutable_chips()) {
      const auto it = extra_params.find(topology_->chip(shard.index()));
      if (it == extra_params.end()) continue;
      const int64_t params = shard.params() + it->second;
      const int64_t bytes = cap.format.BytesFor(params);
      if (bytes > cap.weight_capacity_bytes) {
        return absl::FailedPreconditionError(absl::StrCat(
            "scenario: routing.redundant_experts: ", copies, " copies per layer need ",
            base::HumanBytes(static_cast<double>(bytes)), " on chip ", shard.index(),
            ", more than its ", base::HumanBytes(static_cast<double>(cap.weight_capacity_bytes)),
            "; use fewer copies or more chips"));
      }
      shard.set_params(params);
      shard.set_weight_bytes(bytes);
      shard.set_capacity_used(static_cast<double>(bytes) /
                              static_cast<double>(cap.weight_capacity_bytes));
    }
  }
  return absl::OkStatus();
}

void Simulation::SetConstants() {
  k_.seed = scenario_.seed();
  k_.draft_len = scenario_.speculative().draft_len();
  k_.acceptance_rate = scenario_.speculative().acceptance_rate();
  k_.hidden_size = model_.hidden_size;
  k_.activation_bytes = chip_.activation_bytes_per_element();
  k_.window_start = SimTime::FromSeconds(scenario_.warmup_s());
  if (disaggregated()) {
    k_.decode_kv = &kv_;
    for (int s = 0; s < decode_stages(); ++s) k_.decode_lps.push_back(stage_lp(s));
  }
  if (k_.draft_len > 0) {
    double ns = scenario_.speculative().draft_ns_per_token();
    if (ns == 0) {
      // One decoder layer on the first stage: an MTP module is one layer.
      const v1::Workload& w = scenario_.workload();
      const int64_t ctx = w.input_len().has_fixed() ? w.input_len().fixed() : 1024;
      ns = stages_[attention_ffn() ? decode_stages() : 0].LayerNanos(ctx);
    }
    k_.draft_time = SimTime::FromNanos(ns);
  }
}

std::unique_ptr<serving::Lp> Simulation::MakeLp(serving::LpId id, serving::GiveUp give_up) const {
  const fabric::Node& node = topology_->nodes()[id];
  switch (node.kind) {
    case fabric::NodeKind::kHost: {
      serving::HostConfig c;
      c.scenario = scenario_;
      c.trace = trace_;
      c.first_stage = stage_lp(attention_ffn() ? decode_stages() : 0);
      c.prefill_stage = stage_lp(prefill_begin());
      c.kv = kv_;
      if (disaggregated()) c.prefill_kv = pool2_->kv;
      c.draft_len = k_.draft_len;
      c.window_start = k_.window_start;
      c.host_overhead = SimTime::FromNanos(scenario_.host_overhead_ns());
      c.give_up = std::move(give_up);
      c.faults = faults();
      for (int s = 0; s < num_stages(); ++s) c.stages.push_back(stage_lp(s));
      auto host = std::make_unique<serving::HostLp>(*topology_, id, std::move(c));
      host->set_faults(faults());
      return host;
    }
    case fabric::NodeKind::kChip: {
      const int stage = node.index;
      // Each pool is a pipeline; the decode pool's first stage starts every
      // decode step.
      const int end = stage < decode_stages() ? decode_stages() : num_stages();
      serving::StageWiring wiring{topology_->host(), stage_lp(0),
                                  stage + 1 < end ? stage_lp(stage + 1) : -1};
      if (attention_ffn()) {
        // The attention group starts every step and loops to itself; the
        // FFN chips only answer dispatches.
        wiring.first = stage_lp(decode_stages());
        wiring.next = -1;
      } else if (pool2_) {
        wiring.sends_kv = stage + 1 == num_stages();
        wiring.kv_gate = stage < decode_stages() && HoldsDecodeKv(stage);
      }
      auto lp = stages_[stage].MakeLp(*topology_, id, wiring, k_, ExpertsOf(stage));
      lp->set_faults(faults());
      return lp;
    }
    case fabric::NodeKind::kSwitch: {
      auto lp = std::make_unique<serving::SwitchLp>(*topology_, id, k_.window_start);
      lp->set_faults(faults());
      return lp;
    }
  }
  return nullptr;
}

std::vector<std::pair<SimTime, serving::Message>> Simulation::InitialEvents() const {
  auto host = MakeLp(topology_->host());
  return static_cast<serving::HostLp*>(host.get())->InitialEvents();
}

SimTime Simulation::EndTime() const {
  return scenario_.duration_s() > 0 ? SimTime::FromSeconds(scenario_.duration_s()) : SimTime::Max();
}

const char* PoolRoleName(PoolRole r) { return r == PoolRole::kAttention ? "attention" : "prefill"; }

const char* FirstPoolRoleName(PoolRole second) {
  return second == PoolRole::kAttention ? "ffn" : "decode";
}

std::string SimulationResult::Hardware() const {
  std::string out = absl::StrCat(num_devices, " x ", chip.name());
  if (second_pool) {
    absl::StrAppend(&out, " + ", second_pool->num_devices, " x ", second_pool->chip.name(), " ",
                    PoolRoleName(second_pool->role));
  }
  return out;
}

int Simulation::PoolServers(const v1::ChipSpec& chip, int devices) const {
  const int cps = chip.cost().cards_per_server() > 0 ? chip.cost().cards_per_server()
                                                     : scenario_.topology().cards_per_server();
  return (devices + cps - 1) / std::max(1, cps);
}

SimulationResult Simulation::Skeleton() const {
  SimulationResult r;
  r.scenario = scenario_;
  r.plan = plan_;
  r.chip = chip_;
  r.model = model_.name;
  r.tensor_parallel = tp_;
  r.num_devices = plan_.num_chips() * tp_;
  r.num_servers = PoolServers(chip_, r.num_devices);
  r.kv_capacity_tokens = kv_capacity_tokens_;
  r.state_bytes_per_sequence = model_.StateBytesPerSequence();
  r.windowed_layers = model_.has_windowed_layers();
  r.window_start = k_.window_start;
  r.faults = faults_;
  if (pool2_) {
    PoolInfo& p = r.second_pool.emplace();
    p.role = pool2_->attention ? PoolRole::kAttention : PoolRole::kPrefill;
    p.chip = pool2_->chip;
    p.plan = pool2_->plan;
    p.tensor_parallel = pool2_->tp;
    p.num_devices = pool2_->plan.num_chips() * pool2_->tp;
    p.num_servers = PoolServers(pool2_->chip, p.num_devices);
  }
  for (int s = 0; s < num_stages(); ++s) {
    const v1::ChipShard& sh = shard(s);
    StageInfo st;
    st.index = s;
    st.pool = s < decode_stages() ? 0 : 1;
    st.devices = s < decode_stages() ? tp_ : pool2_->tp;
    // An FFN chip's layers are independent units (FFN utilisation is per
    // unit, averaged).
    if (attention_ffn() && s < decode_stages()) st.units = std::max(1, sh.layers_size());
    st.holds = partitioner::DescribeShard(sh);
    st.kv_bytes_per_token = sh.kv_bytes_per_token();
    st.kv_capacity_bytes = stages_[s].kv_capacity_bytes();
    st.weight_bytes = sh.weight_bytes();
    st.capacity_used = sh.capacity_used();
    r.stages.push_back(st);
  }
  return r;
}

LpResult Simulation::FinalizeLp(serving::Lp& lp, serving::LpId id, SimTime end) const {
  LpResult r;
  r.lp = id;
  const fabric::Node& node = topology_->nodes()[id];
  auto& n = static_cast<serving::NodeLp&>(lp);
  if (node.kind == fabric::NodeKind::kHost) {
    r.host = static_cast<serving::HostLp&>(n).Finalize(end);
  } else if (node.kind == fabric::NodeKind::kChip) {
    r.stage = node.index;
    r.stage_stats = static_cast<serving::StageLp&>(n).FinalizeStage(end);
  }
  r.links = n.FinalizeLinks(end);
  return r;
}

SimulationResult Simulation::Assemble(const std::vector<LpResult>& parts, SimTime end,
                                      uint64_t events) const {
  SimulationResult r = Skeleton();
  r.end = end;
  r.events = events;
  // A link's queue is kept by its sender, or by its receiver when senders
  // skip the switch (serving::NodeLp::Transmit): sum both views per link.
  std::vector<serving::LinkResult> links(topology_->links().size());
  for (const LpResult& p : parts) {
    if (p.host) r.host = *p.host;
    if (p.stage >= 0) r.stages[p.stage].stats = p.stage_stats;
    for (const serving::LinkResult& lr : p.links) {
      serving::LinkResult& sum = links[lr.link];
      sum.busy_ps += lr.busy_ps;
      sum.bytes += lr.bytes;
      sum.messages += lr.messages;
    }
  }
  for (size_t li = 0; li < links.size(); ++li) {
    const fabric::Link& l = topology_->links()[li];
    links[li].link = static_cast<int>(li);
    r.links.push_back({l.name, l.bytes_per_ps * 1e12, links[li]});
  }
  return r;
}

SimulationResult Simulation::Collect(std::vector<std::unique_ptr<serving::Lp>>& lps, SimTime end,
                                     uint64_t events) const {
  std::vector<LpResult> parts;
  for (serving::LpId id = 0; id < static_cast<serving::LpId>(lps.size()); ++id) {
    parts.push_back(FinalizeLp(*lps[id], id, end));
  }
  return Assemble(parts, end, events);
}

bool Simulation::HoldsDecodeKv(int stage) const {
  const v1::ChipShard& sh = shard(stage);
  if (sh.kv_bytes_per_token() > 0) return true;
  for (const v1::LayerSlice& sl : sh.layers()) {
    if (sl.core() && model_.layers[sl.layer()].state_bytes > 0) return true;
  }
  return false;
}

absl::StatusOr<SimulationResult> Simulation::RunInProcess(serving::GiveUp give_up,
                                                          const std::atomic<bool>* cancel,
                                                          serving::Kernel::Tick tick) const {
  serving::Kernel kernel;
  kernel.set_cancel(cancel);
  kernel.set_tick(std::move(tick));
  for (serving::LpId id = 0; id < num_lps(); ++id) {
    kernel.Add(MakeLp(id, id == topology_->host() ? std::move(give_up) : serving::GiveUp()));
  }
  for (const auto& [at, m] : InitialEvents()) {
    kernel.Inject(topology_->host(), topology_->host(), at, m);
  }
  const SimTime end = kernel.Run(EndTime());
  const uint64_t events = kernel.events_processed();
  std::vector<std::unique_ptr<serving::Lp>> lps = kernel.TakeLps();
  return Collect(lps, end, events);
}

}  // namespace etchsim::sim
