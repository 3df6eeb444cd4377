#include "base/sim_time.h"

#include "absl/strings/str_format.h"

namespace etchsim::base {

std::string SimTime::ToString() const {
  const int64_t a = ps_ < 0 ? -ps_ : ps_;
  if (a < 1000) return absl::StrFormat("%dps", ps_);
  if (a < 1000 * 1000) return absl::StrFormat("%.3fns", ToNanos());
  if (a < int64_t{1000} * 1000 * 1000) {
    return absl::StrFormat("%.3fus", ToMicros());
  }
  if (a < int64_t{1000} * 1000 * 1000 * 1000) {
    return absl::StrFormat("%.3fms", ToSeconds() * 1e3);
  }
  return absl::StrFormat("%.6fs", ToSeconds());
}

}  // namespace etchsim::base
