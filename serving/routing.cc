#include "serving/routing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/rng.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "partitioner/plan_builder.h"

namespace etchsim::serving {
namespace {

// Tokens drawn per layer for the sampled estimates (touch and inclusion
// probabilities of skewed routing): the standard error of a probability is
// at most 0.5 / sqrt(8192) = 0.55%.
constexpr int kSamples = 8192;
// Stream of the sample draws (fixed, so estimates depend only on the
// routing, the model and the seed).
constexpr uint64_t kSampleStream = 0x5a3b1e5ULL;
// Largest count a histogram entry may hold (and the largest sum).
constexpr double kMaxCount = 1e15;

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("scenario: routing.", field, " ", what));
}

int HighBit(int64_t n) {
  int b = 1;
  while (b * 2 <= n) b *= 2;
  return b;
}

// The Fenwick index (0-based expert) whose prefix interval holds u.
int64_t Descend(const std::vector<double>& tree, int64_t n, double u) {
  int64_t pos = 0;
  for (int64_t step = HighBit(n); step > 0; step /= 2) {
    if (pos + step <= n && tree[pos + step] <= u) {
      pos += step;
      u -= tree[pos];
    }
  }
  return pos;  // 0-based index of the expert whose interval holds u
}

void FenwickAdd(std::vector<double>& tree, int64_t n, int64_t i, double delta) {
  for (int64_t x = i + 1; x <= n; x += x & -x) tree[x] += delta;
}

}  // namespace

absl::Status ValidateRouting(const v1::Routing& r) {
  const std::string& kind = r.kind();
  if (!kind.empty() && kind != "uniform" && kind != "zipf" && kind != "histogram") {
    return Bad("kind", absl::StrCat("must be uniform, zipf or histogram, got \"", kind, "\""));
  }
  if (kind == "zipf") {
    if (!(r.zipf_s() > 0 && r.zipf_s() <= kMaxZipfExponent)) {
      return Bad("zipf_s", absl::StrCat("must be a finite number in (0, ", kMaxZipfExponent,
                                        "], got ", r.zipf_s()));
    }
  } else if (r.zipf_s() != 0) {
    return Bad("zipf_s", "applies to kind zipf only");
  }
  if (kind == "histogram") {
    if (r.histogram_path().empty() && r.layers().empty()) {
      return Bad("histogram_path", "must name a file (or layers be given) for kind histogram");
    }
  } else if (!r.histogram_path().empty() || !r.layers().empty()) {
    return Bad(r.histogram_path().empty() ? "layers" : "histogram_path",
               "applies to kind histogram only");
  }
  if (r.redundant_experts() < 0 || r.redundant_experts() > 65536) {
    return Bad("redundant_experts",
               absl::StrCat("must be in [0, 65536], got ", r.redundant_experts()));
  }
  if (r.layers_size() > kMaxRoutingLayers) {
    return Bad("layers",
               absl::StrCat("has ", r.layers_size(), " entries, more than ", kMaxRoutingLayers));
  }
  std::vector<int32_t> seen;
  for (int i = 0; i < r.layers_size(); ++i) {
    const v1::ExpertCounts& e = r.layers(i);
    const std::string where = absl::StrCat("layers[", i, "]");
    if (e.layer() < -1 || e.layer() >= kMaxRoutingLayers) {
      return Bad(absl::StrCat(where, ".layer"),
                 absl::StrCat("must be in [-1, ", kMaxRoutingLayers - 1, "], got ", e.layer()));
    }
    if (std::find(seen.begin(), seen.end(), e.layer()) != seen.end()) {
      return Bad(absl::StrCat(where, ".layer"), absl::StrCat(e.layer(), " is given twice"));
    }
    seen.push_back(e.layer());
    if (e.counts().empty() || e.counts_size() > 65536) {
      return Bad(absl::StrCat(where, ".counts"),
                 absl::StrCat("must hold 1 to 65536 numbers, got ", e.counts_size()));
    }
    double sum = 0;
    for (int j = 0; j < e.counts_size(); ++j) {
      const double c = e.counts(j);
      if (!(c >= 0 && c <= kMaxCount)) {
        return Bad(absl::StrCat(where, ".counts[", j, "]"),
                   absl::StrCat("must be a finite number in [0, ", kMaxCount, "], got ", c));
      }
      sum += c;
    }
    if (!(sum > 0)) return Bad(absl::StrCat(where, ".counts"), "are all zero");
  }
  return absl::OkStatus();
}

absl::Status LoadRoutingHistogram(v1::Routing& r) {
  if (r.histogram_path().empty()) return absl::OkStatus();
  const std::string path = r.histogram_path();
  ASSIGN_OR_RETURN(const std::string text, base::ReadFile(path));
  auto err = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {  // syntax, or a number like 1e400
    return err("invalid JSON");
  }
  if (!j.is_object()) return err("expected an object {\"default\": [...], \"layers\": {...}}");
  for (const auto& [key, value] : j.items()) {
    if (key != "default" && key != "layers") {
      return err(absl::StrCat("unknown key \"", key, "\" (expected default, layers)"));
    }
  }
  auto counts = [&](const nlohmann::json& a, const std::string& name,
                    v1::ExpertCounts& out) -> absl::Status {
    if (!a.is_array()) return err(absl::StrCat(name, " must be an array of counts"));
    if (a.empty() || a.size() > 65536) {
      return err(absl::StrCat(name, " must hold 1 to 65536 counts, got ", a.size()));
    }
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_number()) {
        return err(absl::StrCat(name, "[", i, "] must be a number, got ", a[i].dump()));
      }
      out.add_counts(a[i].get<double>());
    }
    return absl::OkStatus();
  };
  r.clear_layers();
  if (j.contains("default")) {
    v1::ExpertCounts* e = r.add_layers();
    e->set_layer(-1);
    RETURN_IF_ERROR(counts(j["default"], "default", *e));
  }
  if (j.contains("layers")) {
    const nlohmann::json& layers = j["layers"];
    if (!layers.is_object()) return err("layers must be an object {\"LAYER\": [counts]}");
    if (layers.size() > static_cast<size_t>(kMaxRoutingLayers)) {
      return err(
          absl::StrCat("layers has ", layers.size(), " entries, more than ", kMaxRoutingLayers));
    }
    for (const auto& [key, value] : layers.items()) {
      int32_t layer = 0;
      if (!absl::SimpleAtoi(key, &layer) || layer < 0 || layer >= kMaxRoutingLayers) {
        return err(absl::StrCat("layers key \"", key, "\" must be a layer number in [0, ",
                                kMaxRoutingLayers - 1, "]"));
      }
      v1::ExpertCounts* e = r.add_layers();
      e->set_layer(layer);
      RETURN_IF_ERROR(counts(value, absl::StrCat("layers.", key), *e));
    }
  }
  if (r.layers().empty()) return err("holds neither default nor layers");
  r.clear_histogram_path();
  absl::Status s = ValidateRouting(r);
  if (!s.ok()) return err(s.message().substr(std::string("scenario: ").size()));
  return absl::OkStatus();
}

std::string RoutingSummary(const v1::Routing& r) {
  std::string s;
  if (r.kind() == "zipf") s = absl::StrCat("zipf s=", r.zipf_s());
  if (r.kind() == "histogram") s = "histogram";
  if (r.balance()) s = absl::StrCat(s.empty() ? "uniform" : s, ", balanced placement");
  if (r.redundant_experts() > 0) {
    s = absl::StrCat(s.empty() ? "uniform" : s, ", ", r.redundant_experts(),
                     " redundant experts per layer");
  }
  return s;
}

absl::StatusOr<ExpertRouter> ExpertRouter::Build(const v1::Routing& r, const model::ModelSpec& m,
                                                 uint64_t seed) {
  ExpertRouter out;
  int max_layer = -1;
  for (const model::LayerSpec& l : m.layers) {
    if (l.ffn_kind != model::FfnKind::kMoe) continue;
    out.experts_ = l.num_routed_experts;
    out.k_ = l.experts_per_token;
    max_layer = std::max(max_layer, l.index);
  }
  const bool skewed = r.kind() == "zipf" || r.kind() == "histogram";
  if (max_layer < 0) {
    if (skewed || r.balance()) {
      return absl::InvalidArgumentError(absl::StrCat("scenario: routing applies to MoE models; ",
                                                     m.name, " has no routed experts"));
    }
    return out;
  }
  out.uniform_ = !skewed;
  if (out.uniform_) return out;
  const int64_t e = out.experts_;
  out.tree_.resize(max_layer + 1);
  out.weight_.resize(max_layer + 1);
  out.total_.assign(max_layer + 1, 0);
  const v1::ExpertCounts* fallback = nullptr;
  for (const v1::ExpertCounts& c : r.layers()) {
    if (c.layer() == -1) fallback = &c;
  }
  for (const model::LayerSpec& l : m.layers) {
    if (l.ffn_kind != model::FfnKind::kMoe) continue;
    std::vector<double> w(e);
    if (r.kind() == "zipf") {
      // Popularity by rank, the ranks in a per-layer order from the seed
      // (hot experts are not the low ids, nor the same in every layer).
      std::vector<int64_t> order(e);
      std::iota(order.begin(), order.end(), 0);
      base::Rng rng(base::HashOf({seed, 0x21bfULL, static_cast<uint64_t>(l.index)}), 2);
      for (int64_t i = e - 1; i > 0; --i) std::swap(order[i], order[rng.UniformInt(0, i)]);
      for (int64_t rank = 0; rank < e; ++rank) {
        w[order[rank]] = 1.0 / std::pow(static_cast<double>(rank + 1), r.zipf_s());
      }
    } else {
      const v1::ExpertCounts* c = fallback;
      for (const v1::ExpertCounts& x : r.layers()) {
        if (x.layer() == l.index) c = &x;
      }
      if (c == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("scenario: routing.layers has no counts for MoE layer ", l.index,
                         " and no default (layer -1)"));
      }
      if (c->counts_size() != e) {
        return absl::InvalidArgumentError(
            absl::StrCat("scenario: routing.layers: layer ", c->layer(), " has ", c->counts_size(),
                         " counts; ", m.name, " has ", e, " routed experts"));
      }
      int64_t positive = 0;
      for (int64_t x = 0; x < e; ++x) {
        w[x] = c->counts(static_cast<int>(x));
        positive += w[x] > 0;
      }
      if (positive < out.k_) {
        return absl::InvalidArgumentError(
            absl::StrCat("scenario: routing.layers: layer ", c->layer(), " has ", positive,
                         " experts with a count > 0; a token selects ", out.k_));
      }
    }
    std::vector<double> tree(e + 1, 0.0);
    double total = 0;
    for (int64_t x = 0; x < e; ++x) {
      FenwickAdd(tree, e, x, w[x]);
      total += w[x];
    }
    out.tree_[l.index] = std::move(tree);
    out.weight_[l.index] = std::move(w);
    out.total_[l.index] = total;
  }
  return out;
}

void ExpertRouter::Draw(uint64_t seed, int64_t request, int64_t step, int layer, int64_t token,
                        std::vector<int64_t>& chosen) const {
  chosen.clear();
  const int64_t e = experts_, k = k_;
  base::Rng rng(base::HashOf({seed, static_cast<uint64_t>(request), static_cast<uint64_t>(step),
                              static_cast<uint64_t>(layer), static_cast<uint64_t>(token)}),
                1);
  if (uniform_) {
    // Top-k drawn uniformly without replacement (Floyd's method).
    for (int64_t i = e - k; i < e; ++i) {
      const int64_t t = rng.UniformInt(0, i);
      const bool dup = std::find(chosen.begin(), chosen.end(), t) != chosen.end();
      chosen.push_back(dup ? i : t);
    }
    return;
  }
  // Weighted draws without replacement: each draw picks an expert with
  // probability proportional to its weight among those not yet chosen
  // (removed from a scratch copy of the Fenwick tree).
  thread_local std::vector<double> tree;
  const std::vector<double>& w = weight_[layer];
  tree = tree_[layer];
  double total = total_[layer];
  for (int64_t j = 0; j < k; ++j) {
    int64_t x = Descend(tree, e, rng.Uniform01() * total);
    if (x >= e || w[x] <= 0 || std::find(chosen.begin(), chosen.end(), x) != chosen.end()) {
      // Rounding left u past the last remaining weight: take the last
      // expert still available.
      x = e - 1;
      while (x > 0 && (w[x] <= 0 || std::find(chosen.begin(), chosen.end(), x) != chosen.end())) {
        --x;
      }
    }
    chosen.push_back(x);
    FenwickAdd(tree, e, x, -w[x]);
    total -= w[x];
    if (!(total > 0)) total = 0;
  }
}

template <typename Visit>
void ExpertRouter::ForSample(int layer, Visit visit) const {
  std::vector<int64_t> chosen;
  for (int t = 0; t < kSamples; ++t) {
    Draw(kSampleStream, -1, 0, layer, t, chosen);
    visit(chosen);
  }
}

std::vector<double> ExpertRouter::InclusionProbabilities(int layer) const {
  std::vector<double> p(experts_, 0.0);
  if (uniform_) {
    std::fill(p.begin(), p.end(), static_cast<double>(k_) / static_cast<double>(experts_));
    return p;
  }
  ForSample(layer, [&](const std::vector<int64_t>& chosen) {
    for (int64_t x : chosen) p[x] += 1;
  });
  for (double& v : p) v /= kSamples;
  return p;
}

bool UseReplica(uint64_t seed, int64_t request, int64_t step, int layer, int64_t token,
                int64_t expert) {
  uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
  for (uint64_t v :
       {static_cast<uint64_t>(request), static_cast<uint64_t>(step), static_cast<uint64_t>(layer),
        static_cast<uint64_t>(token), static_cast<uint64_t>(expert)}) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
  }
  return (h >> 11) & 1;
}

std::vector<double> ExpertRouter::TouchProbabilities(int layer, const std::vector<int32_t>& owner,
                                                     int holders,
                                                     const std::vector<int32_t>* replica) const {
  std::vector<double> p(holders, 0.0);
  if (uniform_ && replica == nullptr) {
    std::vector<int64_t> held(holders, 0);
    for (int32_t h : owner) ++held[h];
    for (int h = 0; h < holders; ++h) {
      p[h] = partitioner::ProbabilityTouched(experts_, held[h], k_);
    }
    return p;
  }
  std::vector<int> mark(holders, -1);
  int t = 0;
  ForSample(layer, [&](const std::vector<int64_t>& chosen) {
    for (int64_t x : chosen) {
      int h = owner[x];
      if (replica != nullptr && (*replica)[x] >= 0 &&
          UseReplica(kSampleStream, -1, 0, layer, t, x)) {
        h = (*replica)[x];
      }
      if (mark[h] != t) {
        mark[h] = t;
        p[h] += 1;
      }
    }
    ++t;
  });
  for (double& v : p) v /= kSamples;
  return p;
}

std::vector<int32_t> BalancedPlacement(const std::vector<double>& load,
                                       const std::vector<int32_t>& slots) {
  std::vector<int64_t> order(load.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return load[a] > load[b]; });
  std::vector<int32_t> owner(load.size(), 0);
  std::vector<double> sum(slots.size(), 0.0);
  std::vector<int32_t> free = slots;
  for (int64_t x : order) {
    int best = -1;
    for (int h = 0; h < static_cast<int>(slots.size()); ++h) {
      if (free[h] > 0 && (best < 0 || sum[h] < sum[best])) best = h;
    }
    owner[x] = best;
    sum[best] += load[x];
    --free[best];
  }
  return owner;
}

std::vector<int32_t> ReplicaPlacement(const std::vector<double>& load,
                                      const std::vector<int32_t>& owner, int holders, int copies) {
  std::vector<double> sum(holders, 0.0);
  for (size_t x = 0; x < owner.size(); ++x) sum[owner[x]] += load[x];
  std::vector<int64_t> order(load.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return load[a] > load[b]; });
  std::vector<int32_t> replica(load.size(), -1);
  const int n = std::min<int>(copies, static_cast<int>(order.size()));
  for (int i = 0; i < n && holders > 1; ++i) {
    const int64_t x = order[i];
    int best = -1;
    for (int h = 0; h < holders; ++h) {
      if (h != owner[x] && (best < 0 || sum[h] < sum[best])) best = h;
    }
    replica[x] = best;
    sum[owner[x]] -= load[x] / 2;
    sum[best] += load[x] / 2;
  }
  return replica;
}

}  // namespace etchsim::serving
