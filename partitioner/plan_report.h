// A Plan as JSON (chips array with index, params, weight_bytes, layers, and
// hops_per_token at the top) or as a readable per-chip table.
#ifndef ETCHSIM_PARTITIONER_PLAN_REPORT_H_
#define ETCHSIM_PARTITIONER_PLAN_REPORT_H_

#include <string>

#include "nlohmann/json.hpp"
#include "proto/etchsim/v1/plan.pb.h"

namespace etchsim::partitioner {

nlohmann::ordered_json PlanJson(const v1::Plan& plan);
std::string PlanText(const v1::Plan& plan);
// "emb, 0-2, 3[e0-127]" — what a chip holds, compactly.
std::string DescribeShard(const v1::ChipShard& shard);

}  // namespace etchsim::partitioner

#endif  // ETCHSIM_PARTITIONER_PLAN_REPORT_H_
