// The built-in strategies: pipeline, expert-spread and auto.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "partitioner/partitioner.h"
#include "partitioner/plan_builder.h"

namespace etchsim::partitioner {
namespace {

// Explains which single unit cannot fit on one chip.
absl::Status UnitTooBig(const model::ModelSpec& m, const ChipCapacity& chip,
                        const std::vector<Item>& items, absl::string_view strategy,
                        absl::string_view advice) {
  const int64_t cap = chip.CapParams();
  for (const Item& it : items) {
    if (it.unit_params <= cap) continue;
    std::string what;
    switch (it.kind) {
      case ItemKind::kEmbedding:
        what = "the embedding table";
        break;
      case ItemKind::kLmHead:
        what = "the LM head";
        break;
      case ItemKind::kLayer:
        what = absl::StrCat("layer ", it.layer);
        break;
      case ItemKind::kMoeCore:
        what = absl::StrCat("the core of layer ", it.layer, " (attention, router, shared experts)");
        break;
      case ItemKind::kExperts:
        what = absl::StrCat("one routed expert of layer ", it.layer);
        break;
    }
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s of %s (%s parameters, %s at %s) does not fit on one %s chip "
        "(%s ROM); --strategy=%s cannot split it%s",
        what, m.name, base::HumanCount(static_cast<double>(it.unit_params)),
        base::HumanBytes(static_cast<double>(chip.format.BytesFor(it.unit_params))),
        chip.format.name, chip.name,
        base::HumanBytes(static_cast<double>(chip.weight_capacity_bytes)), strategy, advice));
  }
  return absl::FailedPreconditionError("no unit fits");  // not reached
}

// Pipeline and expert-spread: contiguous ranges of placement units per
// chip, cut by the same linear partitioner. They differ only in whether a
// MoE layer's routed experts may be split across chips, the advice when a
// unit does not fit, and how the plan is explained.
class Contiguous : public Strategy {
 public:
  absl::StatusOr<int> MinChips(const model::ModelSpec& m, const ChipCapacity& chip) const override {
    const auto items = BuildItems(m, WorkCostModel(), split_experts());
    const int n = partitioner::MinChips(items, chip.CapParams());
    if (n < 0) return UnitTooBig(m, chip, items, name(), Advice(m));
    return n;
  }
  absl::StatusOr<v1::Plan> Partition(const model::ModelSpec& m, const ChipCapacity& chip,
                                     const PartitionOptions& opt) const override {
    ASSIGN_OR_RETURN(int min_chips, MinChips(m, chip));
    const WorkCostModel balance;
    const auto items = BuildItems(m, balance, split_experts());
    ASSIGN_OR_RETURN(v1::Plan plan,
                     PartitionItems(m, chip, items, min_chips, opt, std::string(name()), balance));
    plan.set_explanation(Explain(plan, chip, balance));
    return plan;
  }

 protected:
  virtual bool split_experts() const = 0;
  virtual std::string Advice(const model::ModelSpec& m) const = 0;
  virtual std::string Explain(const v1::Plan& plan, const ChipCapacity& chip,
                              const WorkCostModel& balance) const = 0;
};

class Pipeline : public Contiguous {
 public:
  absl::string_view name() const override { return "pipeline"; }
  absl::string_view summary() const override {
    return "contiguous whole layers per chip, optimally balanced under capacity";
  }

 protected:
  bool split_experts() const override { return false; }
  std::string Advice(const model::ModelSpec& m) const override {
    return m.is_moe() ? "; use --strategy=expert-spread" : "";
  }
  std::string Explain(const v1::Plan& plan, const ChipCapacity& chip,
                      const WorkCostModel& balance) const override {
    return absl::StrFormat(
        "pipeline: %d contiguous stages of whole layers; largest stage %s of "
        "balance measure '%s' (mean %s), the optimum under a %s-parameter "
        "capacity per chip",
        plan.num_chips(), base::HumanCount(plan.max_stage_cost()), balance.name(),
        base::HumanCount(plan.mean_stage_cost()),
        base::HumanCount(static_cast<double>(chip.CapParams())));
  }
};

class ExpertSpread : public Contiguous {
 public:
  absl::string_view name() const override { return "expert-spread"; }
  absl::string_view summary() const override {
    return "like pipeline, but a MoE layer's routed experts may spill over "
           "several chips (dispatch/combine all-to-all per token)";
  }

 protected:
  bool split_experts() const override { return true; }
  std::string Advice(const model::ModelSpec&) const override { return "; use a larger chip"; }
  std::string Explain(const v1::Plan& plan, const ChipCapacity&,
                      const WorkCostModel& balance) const override {
    int spread = 0;
    std::map<int, int> chips_per_layer;
    for (const auto& c : plan.chips()) {
      for (const auto& s : c.layers()) ++chips_per_layer[s.layer()];
    }
    for (const auto& [layer, n] : chips_per_layer) spread += n > 1;
    return absl::StrFormat(
        "expert-spread: %d chips; %d MoE layer(s) have routed experts on more "
        "than one chip, costing %.2f expected dispatch/combine messages and %s "
        "per token; largest stage %s of '%s' (mean %s)",
        plan.num_chips(), spread, plan.all_to_all_messages_per_token(),
        base::HumanBytes(plan.all_to_all_bytes_per_token()),
        base::HumanCount(plan.max_stage_cost()), balance.name(),
        base::HumanCount(plan.mean_stage_cost()));
  }
};

class Auto : public Strategy {
 public:
  absl::string_view name() const override { return "auto"; }
  absl::string_view summary() const override {
    return "the plan with the fewest chip-to-chip hops per token that fits, "
           "then the best balance";
  }
  absl::StatusOr<int> MinChips(const model::ModelSpec& m, const ChipCapacity& chip) const override {
    int best = std::numeric_limits<int>::max();
    absl::Status last;
    for (const Strategy* s : Concrete()) {
      auto n = s->MinChips(m, chip);
      if (n.ok()) {
        best = std::min(best, *n);
      } else {
        last = n.status();
      }
    }
    if (best == std::numeric_limits<int>::max()) return last;
    return best;
  }
  absl::StatusOr<v1::Plan> Partition(const model::ModelSpec& m, const ChipCapacity& chip,
                                     const PartitionOptions& opt) const override {
    PartitionOptions o = opt;
    if (o.num_chips == 0) {
      ASSIGN_OR_RETURN(o.num_chips, MinChips(m, chip));
    }
    std::vector<std::string> notes;
    std::optional<v1::Plan> best;
    absl::Status last_failure;
    std::vector<std::string> mins;
    int min_any = std::numeric_limits<int>::max();
    for (const Strategy* s : Concrete()) {
      auto n = s->MinChips(m, chip);
      if (n.ok()) {
        min_any = std::min(min_any, *n);
        mins.push_back(absl::StrCat(*n, " with ", s->name()));
      }
      auto plan = s->Partition(m, chip, o);
      if (!plan.ok()) {
        last_failure = plan.status();
        notes.push_back(absl::StrCat(
            s->name(), " does not fit (",
            n.ok() ? absl::StrCat("needs >= ", *n, " chips") : "a unit exceeds the chip", ")"));
        continue;
      }
      notes.push_back(absl::StrFormat("%s: %.2f hops/token, largest stage %s", s->name(),
                                      plan->hops_per_token(),
                                      base::HumanCount(plan->max_stage_cost())));
      const bool better = !best || plan->hops_per_token() < best->hops_per_token() - 1e-9 ||
                          (std::abs(plan->hops_per_token() - best->hops_per_token()) <= 1e-9 &&
                           plan->max_stage_cost() < best->max_stage_cost());
      if (better) best = *plan;
    }
    if (!best) {
      if (min_any == std::numeric_limits<int>::max()) return MinChips(m, chip).status();
      if (o.num_chips < min_any) {
        return NotEnoughChips(m, chip, o.num_chips, min_any,
                              absl::StrCat(" (", absl::StrJoin(mins, ", "), ")"));
      }
      return last_failure;  // e.g. more chips than placeable units
    }
    best->set_explanation(absl::StrCat("auto chose ", best->strategy(),
                                       " (fewest hops per token, then best balance) among: ",
                                       absl::StrJoin(notes, "; "), ". ", best->explanation()));
    best->set_min_chips(min_any);
    return *best;
  }

 private:
  static std::vector<const Strategy*> Concrete() {
    return {FindStrategy("pipeline"), FindStrategy("expert-spread")};
  }
};

}  // namespace

// The registry: one line per strategy.
std::vector<const Strategy*> AllStrategies() {
  static const std::vector<const Strategy*>* all = new std::vector<const Strategy*>{
      new Auto(),
      new ExpertSpread(),
      new Pipeline(),
  };
  return *all;
}

const Strategy* FindStrategy(absl::string_view name) {
  for (const Strategy* s : AllStrategies()) {
    if (s->name() == name) return s;
  }
  return nullptr;
}

std::string StrategyNames() {
  std::vector<std::string> names;
  for (const Strategy* s : AllStrategies()) names.emplace_back(s->name());
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<const Strategy*> StrategyNamed(absl::string_view name) {
  if (const Strategy* s = FindStrategy(name)) return s;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown strategy \"", name, "\" (known: ", StrategyNames(), ")"));
}

absl::StatusOr<v1::Plan> Partition(const model::ModelSpec& m, const ChipCapacity& chip,
                                   absl::string_view strategy, const PartitionOptions& opt) {
  ASSIGN_OR_RETURN(const Strategy* s, StrategyNamed(strategy));
  if (opt.num_chips < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--chips must be >= 1, got ", opt.num_chips));
  }
  return s->Partition(m, chip, opt);
}

}  // namespace etchsim::partitioner
