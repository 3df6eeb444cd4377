// Turns an assignment of placement units into a Plan with per-chip
// contents, sizes and per-token traffic. Shared by every strategy.
#ifndef ETCHSIM_PARTITIONER_PLAN_BUILDER_H_
#define ETCHSIM_PARTITIONER_PLAN_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "partitioner/linear_partition.h"
#include "partitioner/partitioner.h"

namespace etchsim::partitioner {

v1::Plan BuildPlan(const model::ModelSpec& m, const ChipCapacity& chip,
                   const std::vector<Item>& items, const Assignment& a, const std::string& strategy,
                   const WorkCostModel& balance);

// Probability that a chip holding n of a layer's E routed experts receives
// at least one of a token's k selected experts: 1 - C(E-n, k) / C(E, k).
double ProbabilityTouched(int64_t experts, int64_t held, int64_t k);

// Shared message for "does not fit on N chips", naming the smallest count.
absl::Status NotEnoughChips(const model::ModelSpec& m, const ChipCapacity& chip, int num_chips,
                            int min_chips, absl::string_view how);

// Runs the linear partitioner over `items` and builds the plan; the common
// body of the pipeline and expert-spread strategies.
absl::StatusOr<v1::Plan> PartitionItems(const model::ModelSpec& m, const ChipCapacity& chip,
                                        const std::vector<Item>& items, int min_chips,
                                        const PartitionOptions& opt, const std::string& strategy,
                                        const WorkCostModel& balance);

}  // namespace etchsim::partitioner

#endif  // ETCHSIM_PARTITIONER_PLAN_BUILDER_H_
