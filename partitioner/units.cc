#include "partitioner/units.h"

namespace etchsim::partitioner {

using model::FfnKind;
using model::LayerSpec;
using model::ModelSpec;

double WorkCostModel::Embedding(const ModelSpec&) const { return 0.0; }

double WorkCostModel::Layer(const LayerSpec& l) const {
  return static_cast<double>(l.ActiveMatmulWeights());
}

double WorkCostModel::MoeCore(const LayerSpec& l) const {
  int64_t w = model::SumWeights(l.attention) + model::SumWeights(l.shared_expert);
  if (l.router) w += l.router->weights();
  return static_cast<double>(w);
}

double WorkCostModel::Expert(const LayerSpec& l) const {
  if (l.num_routed_experts == 0) return 0.0;
  return static_cast<double>(model::SumWeights(l.expert)) *
         static_cast<double>(l.experts_per_token) / static_cast<double>(l.num_routed_experts);
}

double WorkCostModel::LmHead(const ModelSpec& m) const {
  return static_cast<double>(m.LmHead().weights());
}

int64_t CoreParams(const LayerSpec& l) { return l.Params() - l.RoutedExpertParams(); }

std::vector<Item> BuildItems(const ModelSpec& m, const WorkCostModel& cost, bool split_experts) {
  std::vector<Item> items;
  items.push_back({ItemKind::kEmbedding, -1, 1, m.embedding_params, cost.Embedding(m)});
  for (const LayerSpec& l : m.layers) {
    if (l.ffn_kind == FfnKind::kMoe && split_experts) {
      items.push_back({ItemKind::kMoeCore, l.index, 1, CoreParams(l), cost.MoeCore(l)});
      items.push_back(
          {ItemKind::kExperts, l.index, l.num_routed_experts, l.ExpertParams(), cost.Expert(l)});
    } else {
      items.push_back({ItemKind::kLayer, l.index, 1, l.Params(), cost.Layer(l)});
    }
  }
  // The head stores its own V x h matrix; with tied embeddings that is a
  // second copy of the embedding table unless both sit on one chip (the
  // plan builder corrects for that case).
  Item head{ItemKind::kLmHead, -1, 1, m.embedding_params + m.final_norm_params, cost.LmHead(m)};
  if (m.tied_embeddings) head.params_on_first_chip = m.final_norm_params;
  items.push_back(head);
  return items;
}

}  // namespace etchsim::partitioner
