// The partitioner: splits a model over N hard-wired chips.
//
// Strategies are looked up by name ("pipeline", "expert-spread", "auto");
// adding one is a Strategy class plus one line in the registry
// (AllStrategies in strategies.cc).
// Every plan records per chip what it holds, its weight bytes and how full
// it is, and per token the bytes crossing chip boundaries. A model that
// cannot fit is a FailedPrecondition whose message names the smallest chip
// count that would.
#ifndef ETCHSIM_PARTITIONER_PARTITIONER_H_
#define ETCHSIM_PARTITIONER_PARTITIONER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/model_spec.h"
#include "model/weight_format.h"
#include "partitioner/units.h"
#include "proto/etchsim/v1/plan.pb.h"

namespace etchsim::partitioner {

// What the partitioner needs to know about a chip.
struct ChipCapacity {
  std::string name;  // preset name, for messages
  int64_t weight_capacity_bytes = 0;
  model::WeightFormat format;
  model::KvDtype kv_dtype = model::KvDtype::kBf16;
  double activation_bytes_per_element = 2.0;  // hand-off activations (bf16)

  // Largest parameter count whose stored bytes fit.
  int64_t CapParams() const { return format.ParamsIn(weight_capacity_bytes); }
};

struct PartitionOptions {
  int num_chips = 0;  // 0 = the smallest count that fits
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual absl::string_view name() const = 0;
  virtual absl::string_view summary() const = 0;
  // The smallest chip count this strategy can use, or FailedPrecondition
  // saying why no count works.
  virtual absl::StatusOr<int> MinChips(const model::ModelSpec& m,
                                       const ChipCapacity& chip) const = 0;
  // A plan over exactly opt.num_chips chips (or the minimum when 0).
  virtual absl::StatusOr<v1::Plan> Partition(const model::ModelSpec& m, const ChipCapacity& chip,
                                             const PartitionOptions& opt) const = 0;
};

const Strategy* FindStrategy(absl::string_view name);
std::vector<const Strategy*> AllStrategies();
std::string StrategyNames();  // "auto, expert-spread, pipeline"
// FindStrategy, or InvalidArgument naming `name` and the known ones.
absl::StatusOr<const Strategy*> StrategyNamed(absl::string_view name);

// Looks up the strategy and partitions; unknown names are InvalidArgument.
absl::StatusOr<v1::Plan> Partition(const model::ModelSpec& m, const ChipCapacity& chip,
                                   absl::string_view strategy, const PartitionOptions& opt);

}  // namespace etchsim::partitioner

#endif  // ETCHSIM_PARTITIONER_PARTITIONER_H_
