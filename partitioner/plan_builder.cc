#include "partitioner/plan_builder.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/text_table.h"

namespace etchsim::partitioner {

double ProbabilityTouched(int64_t experts, int64_t held, int64_t k) {
  if (held <= 0) return 0.0;
  if (held + k > experts) return 1.0;
  // C(E-n, k) / C(E, k) = prod_{i<k} (E-n-i) / (E-i)
  double miss = 1.0;
  for (int64_t i = 0; i < k; ++i) {
    miss *= static_cast<double>(experts - held - i) / static_cast<double>(experts - i);
  }
  return 1.0 - miss;
}

v1::Plan BuildPlan(const model::ModelSpec& m, const ChipCapacity& chip,
                   const std::vector<Item>& items, const Assignment& a, const std::string& strategy,
                   const WorkCostModel& balance) {
  v1::Plan plan;
  plan.set_model(m.name);
  plan.set_chip(chip.name);
  plan.set_strategy(strategy);
  plan.set_weight_format(chip.format.name);
  plan.set_chip_capacity_bytes(chip.weight_capacity_bytes);
  plan.set_num_chips(static_cast<int>(a.size()));
  plan.set_total_params(m.TotalParams());
  plan.set_balance(balance.name());

  const WorkCostModel work;
  const int64_t handoff =
      model::ActivationBytes(1, m.hidden_size, chip.activation_bytes_per_element);
  const std::vector<ChipLoad> loads = Loads(items, a);
  // Per MoE layer: home chip and the experts each chip holds.
  std::map<int, int> home;
  std::map<int, std::map<int, int64_t>> held;  // layer -> chip -> experts

  int64_t stored = 0;
  double max_cost = 0.0, sum_cost = 0.0;
  for (size_t c = 0; c < a.size(); ++c) {
    v1::ChipShard* shard = plan.add_chips();
    shard->set_index(static_cast<int>(c));
    double macs = 0.0;
    int64_t kv = 0;
    for (const Piece& p : a[c]) {
      const Item& it = items[p.item];
      const int64_t units = p.end - p.begin;
      switch (it.kind) {
        case ItemKind::kEmbedding:
          shard->set_embedding(true);
          break;
        case ItemKind::kLmHead:
          shard->set_lm_head(true);
          macs += work.LmHead(m);
          break;
        case ItemKind::kLayer:
        case ItemKind::kMoeCore: {
          const model::LayerSpec& l = m.layers[it.layer];
          v1::LayerSlice* s = shard->add_layers();
          s->set_layer(it.layer);
          s->set_core(true);
          s->set_params(it.params());
          s->set_num_routed_experts(static_cast<int>(l.num_routed_experts));
          home[it.layer] = static_cast<int>(c);
          kv += l.KvBytesPerToken(chip.kv_dtype);
          if (it.kind == ItemKind::kLayer) {
            macs += work.Layer(l);
            if (l.ffn_kind == model::FfnKind::kMoe) {
              s->set_expert_end(static_cast<int>(l.num_routed_experts));
              held[it.layer][static_cast<int>(c)] = l.num_routed_experts;
            }
          } else {
            macs += work.MoeCore(l);
          }
          break;
        }
        case ItemKind::kExperts: {
          const model::LayerSpec& l = m.layers[it.layer];
          v1::LayerSlice* s = nullptr;
          if (shard->layers_size() > 0 &&
              shard->layers(shard->layers_size() - 1).layer() == it.layer) {
            s = shard->mutable_layers(shard->layers_size() - 1);  // core + experts
          } else {
            s = shard->add_layers();
            s->set_layer(it.layer);
            s->set_num_routed_experts(static_cast<int>(l.num_routed_experts));
          }
          s->set_expert_begin(static_cast<int>(p.begin));
          s->set_expert_end(static_cast<int>(p.end));
          s->set_params(s->params() + units * it.unit_params);
          macs += work.Expert(l) * static_cast<double>(units);
          held[it.layer][static_cast<int>(c)] += units;
          break;
        }
      }
    }
    shard->set_params(loads[c].params);
    shard->set_weight_bytes(chip.format.BytesFor(loads[c].params));
    shard->set_capacity_used(static_cast<double>(shard->weight_bytes()) /
                             static_cast<double>(chip.weight_capacity_bytes));
    shard->set_expected_macs_per_token(macs);
    shard->set_kv_bytes_per_token(kv);
    if (c + 1 < a.size()) shard->set_handoff_bytes_per_token(handoff);
    stored += loads[c].params;
    max_cost = std::max(max_cost, loads[c].cost);
    sum_cost += loads[c].cost;
  }
  plan.set_stored_params(stored);
  plan.set_max_stage_cost(max_cost);
  plan.set_mean_stage_cost(a.empty() ? 0.0 : sum_cost / static_cast<double>(a.size()));

  // Expert all-to-all: the home sends the hidden state to every other chip
  // holding a selected expert and receives one partial sum back from each.
  double a2a_bytes = 0.0, a2a_msgs = 0.0;
  for (const auto& [layer, chips] : held) {
    const model::LayerSpec& l = m.layers[layer];
    const int h = home.at(layer);
    for (const auto& [c, n] : chips) {
      if (c == h) continue;
      const double p = ProbabilityTouched(l.num_routed_experts, n, l.experts_per_token);
      const double bytes = 2.0 * p * static_cast<double>(handoff);
      a2a_bytes += bytes;
      a2a_msgs += 2.0 * p;
      auto* hs = plan.mutable_chips(h);
      hs->set_all_to_all_bytes_per_token(hs->all_to_all_bytes_per_token() + bytes);
      auto* cs = plan.mutable_chips(c);
      cs->set_all_to_all_bytes_per_token(cs->all_to_all_bytes_per_token() + bytes);
    }
  }
  const int n = static_cast<int>(a.size());
  plan.set_handoff_bytes_per_token(handoff * (n - 1));
  plan.set_all_to_all_bytes_per_token(a2a_bytes);
  plan.set_all_to_all_messages_per_token(a2a_msgs);
  // n-1 hand-offs, one return of the sampled token to the first chip (when
  // there is more than one chip), and the expected dispatch/combine messages.
  plan.set_hops_per_token((n - 1) + (n > 1 ? 1 : 0) + a2a_msgs);
  return plan;
}

absl::Status NotEnoughChips(const model::ModelSpec& m, const ChipCapacity& chip, int num_chips,
                            int min_chips, absl::string_view how) {
  return absl::FailedPreconditionError(
      absl::StrFormat("%s does not fit on %d %s chip%s (%s ROM each at %s): its %s parameters "
                      "need %s of weights; the smallest count that fits is %d%s",
                      m.name, num_chips, chip.name, num_chips == 1 ? "" : "s",
                      base::HumanBytes(static_cast<double>(chip.weight_capacity_bytes)),
                      chip.format.name, base::HumanCount(static_cast<double>(m.TotalParams())),
                      base::HumanBytes(static_cast<double>(chip.format.BytesFor(m.TotalParams()))),
                      min_chips, how));
}

absl::StatusOr<v1::Plan> PartitionItems(const model::ModelSpec& m, const ChipCapacity& chip,
                                        const std::vector<Item>& items, int min_chips,
                                        const PartitionOptions& opt, const std::string& strategy,
                                        const WorkCostModel& balance) {
  const int n = opt.num_chips == 0 ? min_chips : opt.num_chips;
  if (n < min_chips) {
    return NotEnoughChips(m, chip, n, min_chips, absl::StrCat(" (--strategy=", strategy, ")"));
  }
  const int64_t units = TotalUnits(items);
  if (n > units) {
    return absl::FailedPreconditionError(
        absl::StrCat("--strategy=", strategy, " cannot use ", n, " chips for ", m.name,
                     ": it has only ", units, " placeable units (",
                     strategy == "pipeline" ? "embedding, layers, LM head"
                                            : "embedding, layer cores, experts, LM head",
                     ")",
                     strategy == "pipeline" ? "; use --strategy=expert-spread or fewer chips"
                                            : "; use fewer chips"));
  }
  ASSIGN_OR_RETURN(Assignment a, PartitionExactly(items, chip.CapParams(), n));
  v1::Plan plan = BuildPlan(m, chip, items, a, strategy, balance);
  plan.set_min_chips(min_chips);
  return plan;
}

}  // namespace etchsim::partitioner
