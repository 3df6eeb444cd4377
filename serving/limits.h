// Sizes of one run that bound its memory, checked at the edge (scenario
// validation, trace reading) before anything is allocated from them.
#ifndef ETCHSIM_SERVING_LIMITS_H_
#define ETCHSIM_SERVING_LIMITS_H_

#include <cstdint>

namespace etchsim::serving {

// Requests one run may create: each costs a request record (~100 bytes)
// kept to the end of the run for the report.
inline constexpr int64_t kMaxRequests = 1000000;
inline constexpr int32_t kMaxUsers = 100000;
inline constexpr int32_t kMaxChips = 4096;
// Throughput windows of one run (8 bytes each).
inline constexpr double kMaxThroughputWindows = 1e7;

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_LIMITS_H_
