// Expert routing: which routed experts each token of an MoE layer selects.
//
// Uniform routing (the default) is an ideally balanced router: every
// expert equally likely, top-k drawn without replacement. Real routers are
// skewed — a few experts take many times 1/E of the tokens (DeepSeek-V3
// report §3.4 serves redundant copies of its hot experts for that reason)
// — and in an expert-spread plan the chips holding the hot experts become
// the hot spots. ExpertRouter draws each token's experts from a per-layer
// popularity (uniform, Zipf over a seeded per-layer order, or a measured
// histogram), deterministically from (seed, request, step, layer, token),
// so runs stay bit-reproducible and identical over chip processes.
#ifndef ETCHSIM_SERVING_ROUTING_H_
#define ETCHSIM_SERVING_ROUTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/model_spec.h"
#include "proto/etchsim/v1/scenario.pb.h"

namespace etchsim::serving {

// Histogram entries a scenario may carry (one per layer, plus a default).
inline constexpr int kMaxRoutingLayers = 1024;
// Largest Zipf exponent: at 8, the top expert takes > 99.6% of the draws.
inline constexpr double kMaxZipfExponent = 8;

// Field checks that need no model (kind, exponent, histogram numbers).
absl::Status ValidateRouting(const v1::Routing& r);

// Reads r.histogram_path (JSON {"default": [counts], "layers": {"3":
// [counts], ...}}) into r.layers and clears the path, so the routing
// travels with the scenario (chip processes never read the file).
absl::Status LoadRoutingHistogram(v1::Routing& r);

// "zipf s=1.2, balanced" (empty for uniform and unbalanced): the report's
// routing line.
std::string RoutingSummary(const v1::Routing& r);

class ExpertRouter {
 public:
  ExpertRouter() = default;
  // REQUIRES: ValidateRouting(r), histogram already loaded. Errors when the
  // routing does not fit the model (a histogram of the wrong length, no
  // routed experts, fewer than k experts with a count > 0).
  static absl::StatusOr<ExpertRouter> Build(const v1::Routing& r, const model::ModelSpec& m,
                                            uint64_t seed);

  bool uniform() const { return uniform_; }
  int64_t experts() const { return experts_; }
  int64_t experts_per_token() const { return k_; }

  // Token `token` of work item (request, step) at `layer`: its k distinct
  // experts, into `chosen` (cleared first).
  void Draw(uint64_t seed, int64_t request, int64_t step, int layer, int64_t token,
            std::vector<int64_t>& chosen) const;

  // Probability that a token of `layer` selects each expert (its share of
  // the layer's k selections, k * 1/E for uniform routing), estimated for
  // skewed routing from a fixed sample of draws.
  std::vector<double> InclusionProbabilities(int layer) const;
  // Probability that a token selects at least one expert of each holder,
  // `owner[x]` being the holder of expert x (exact for uniform routing with
  // contiguous holders; sampled otherwise).
  // `replica[x]` (if given) is a second holder of expert x, or -1; a
  // token's selection of x goes to it when UseReplica says so.
  std::vector<double> TouchProbabilities(int layer, const std::vector<int32_t>& owner, int holders,
                                         const std::vector<int32_t>* replica = nullptr) const;

 private:
  // The draws behind the sampled estimates: `samples` tokens of `layer`.
  template <typename Visit>
  void ForSample(int layer, Visit visit) const;

  bool uniform_ = true;
  int64_t experts_ = 0, k_ = 0;
  // Per layer (indexed by layer id; empty for non-MoE layers): expert
  // weights as a 1-based Fenwick tree of prefix sums, and their total.
  std::vector<std::vector<double>> tree_;
  std::vector<std::vector<double>> weight_;
  std::vector<double> total_;
};

// Expected-load placement: experts of one layer onto holders with fixed
// slot counts, heaviest expert first onto the least-loaded holder with a
// free slot (ties to the lower expert id, then the lower holder index).
// Returns owner[expert] = holder.
std::vector<int32_t> BalancedPlacement(const std::vector<double>& load,
                                       const std::vector<int32_t>& slots);

// Redundant experts: the `copies` experts of highest load (ties to the
// lower id) each get a second holder, the one of least expected load
// other than its owner, counting each copied expert's load half on each.
// Returns replica[expert] = holder, or -1.
std::vector<int32_t> ReplicaPlacement(const std::vector<double>& load,
                                      const std::vector<int32_t>& owner, int holders, int copies);

// Which copy of a redundant expert a token's selection uses (true: the
// replica), keyed like the routing draw, so every process picks the same.
bool UseReplica(uint64_t seed, int64_t request, int64_t step, int layer, int64_t token,
                int64_t expert);

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_ROUTING_H_
