// Placement units: the sequence of model pieces that strategies cut into
// contiguous per-chip ranges.
//
// The order is the order a token visits them: embedding, layer 0 ... layer
// N-1, LM head. A dense layer is one atomic unit. A MoE layer is either one
// atomic unit (pipeline) or an atomic "core" (attention, norms, router,
// shared experts) followed by a divisible block of E identical routed
// experts (expert-spread), of which consecutive chips may take any number.
#ifndef ETCHSIM_PARTITIONER_UNITS_H_
#define ETCHSIM_PARTITIONER_UNITS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_spec.h"

namespace etchsim::partitioner {

enum class ItemKind { kEmbedding, kLayer, kMoeCore, kExperts, kLmHead };

struct Item {
  ItemKind kind = ItemKind::kLayer;
  int layer = -1;           // decoder layer index (-1 for embedding / head)
  int64_t count = 1;        // units in the item (> 1 only for kExperts)
  int64_t unit_params = 0;  // parameters per unit
  double unit_cost = 0.0;   // balance cost per unit (see WorkCostModel)
  // Parameters when the item shares the first chip (a tied LM head next to
  // the embedding it shares needs no second copy); -1 = same as params().
  int64_t params_on_first_chip = -1;
  bool divisible() const { return kind == ItemKind::kExperts; }
  int64_t params() const { return unit_params * count; }
  double cost() const { return unit_cost * static_cast<double>(count); }
};

// Balance cost of each unit: expected multiply-accumulates per decode
// token, each matrix's weights, routed experts weighted by their selection
// probability k/E. Attention over the KV cache is excluded (it depends on
// context, not on placement). The partitioner minimises the largest
// per-chip sum of costs.
class WorkCostModel {
 public:
  std::string name() const { return "work"; }
  double Embedding(const model::ModelSpec& m) const;
  // A whole layer (dense, or MoE with all its experts as placed by pipeline).
  double Layer(const model::LayerSpec& l) const;
  // A MoE layer's core, and one routed expert of it.
  double MoeCore(const model::LayerSpec& l) const;
  double Expert(const model::LayerSpec& l) const;
  double LmHead(const model::ModelSpec& m) const;
};

// Parameters of a MoE layer's core (everything but the routed experts).
int64_t CoreParams(const model::LayerSpec& l);

// The item sequence; `split_experts` selects the expert-spread form.
std::vector<Item> BuildItems(const model::ModelSpec& m, const WorkCostModel& cost,
                             bool split_experts);

}  // namespace etchsim::partitioner

#endif  // ETCHSIM_PARTITIONER_UNITS_H_
