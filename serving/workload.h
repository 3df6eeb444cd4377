// Request lengths and traces.
#ifndef ETCHSIM_SERVING_WORKLOAD_H_
#define ETCHSIM_SERVING_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/rng.h"
#include "base/sim_time.h"
#include "proto/etchsim/v1/scenario.pb.h"

namespace etchsim::serving {

// Draws lengths from a LengthDist (always >= 1).
int32_t SampleLength(const v1::LengthDist& d, base::Rng& rng);

struct TraceRequest {
  base::SimTime arrival;
  int32_t input_len = 0;
  int32_t output_len = 0;
};

// Reads a CSV (header naming arrival_s, input_len, output_len in any order)
// or JSONL trace, sorted by arrival. Errors name the file and line.
absl::StatusOr<std::vector<TraceRequest>> LoadTrace(const std::string& path);
// The same from the file's bytes; `path` names it in errors and its
// extension (.jsonl / .json) selects JSONL.
absl::StatusOr<std::vector<TraceRequest>> ParseTrace(const std::string& text,
                                                     const std::string& path);

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_WORKLOAD_H_
