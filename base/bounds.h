// Range checks for values that arrive from outside (files, flags, peers).
//
// Every input surface has one validator that calls these; the engine then
// assumes what they checked. Each returns InvalidArgument with one line
// naming where the value came from and the field:
//   hc2.textproto: hardwired.clock_ghz must be a finite number in [0.001, 100], got inf
#ifndef ETCHSIM_BASE_BOUNDS_H_
#define ETCHSIM_BASE_BOUNDS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace etchsim::base {

// Longest virtual time any input may ask for (a duration, a warm-up, an
// arrival, a think time). SimTime's int64 picoseconds span ~9.2e6 s; a
// tenth of that leaves room for the sums the engine forms (arrival + gap,
// time + service) without overflow.
inline constexpr double kMaxVirtualSeconds = 9.0e5;
// Largest input file read whole (configs, presets, scenarios, traces).
inline constexpr int64_t kMaxInputFileBytes = int64_t{256} << 20;

// `v` is finite and in [lo, hi].
absl::Status CheckRange(absl::string_view where, absl::string_view field, double v, double lo,
                        double hi);
// `v` is finite and in (lo, hi]: for values that must be strictly positive.
absl::Status CheckAbove(absl::string_view where, absl::string_view field, double v, double lo,
                        double hi);
// Integer `v` is in [lo, hi].
absl::Status CheckIntRange(absl::string_view where, absl::string_view field, int64_t v, int64_t lo,
                           int64_t hi);
// Longest text value an input may carry (a name, a path: PATH_MAX).
inline constexpr int64_t kMaxTextBytes = 4096;
// `s` is at most kMaxTextBytes and valid UTF-8 (it will be printed in a
// JSON report and echoed in errors).
absl::Status CheckUtf8(absl::string_view where, absl::string_view field, absl::string_view s);
// The first `max_bytes` of `s` (cut at a UTF-8 boundary) and "..." when
// longer: how an error quotes an input of any length.
std::string Excerpt(absl::string_view s, size_t max_bytes = 64);
bool IsValidUtf8(absl::string_view s);

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_BOUNDS_H_
