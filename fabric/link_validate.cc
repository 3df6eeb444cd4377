#include "fabric/link_validate.h"

#include "base/bounds.h"
#include "base/status_macros.h"

namespace etchsim::fabric {

absl::Status ValidateLinkSpec(const v1::LinkSpec& spec, const std::string& src) {
  RETURN_IF_ERROR(base::CheckUtf8(src, "name", spec.name()));
  RETURN_IF_ERROR(base::CheckUtf8(src, "description", spec.description()));
  // 1 kB/s to 1 PB/s: a 1 MB hand-off then takes at most 1,000 s.
  RETURN_IF_ERROR(
      base::CheckRange(src, "bandwidth_bytes_per_s", spec.bandwidth_bytes_per_s(), 1e3, 1e15));
  // Up to 1 s one way (a satellite hop is 0.25 s).
  RETURN_IF_ERROR(base::CheckRange(src, "latency_ns", spec.latency_ns(), 0, 1e9));
  RETURN_IF_ERROR(base::CheckRange(src, "switch_latency_ns", spec.switch_latency_ns(), 0, 1e9));
  return absl::OkStatus();
}

}  // namespace etchsim::fabric
