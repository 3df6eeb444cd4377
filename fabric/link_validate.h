// Bounds for a LinkSpec (a preset or a link .textproto): bandwidth and
// latencies finite and in range, so a delivery time (send + bytes /
// bandwidth + latency) always fits the engine's integer clock.
#ifndef ETCHSIM_FABRIC_LINK_VALIDATE_H_
#define ETCHSIM_FABRIC_LINK_VALIDATE_H_

#include <string>

#include "absl/status/status.h"
#include "proto/etchsim/v1/fabric.pb.h"

namespace etchsim::fabric {

// Errors read "<src>: <field> must be ..., got <value>".
absl::Status ValidateLinkSpec(const v1::LinkSpec& spec, const std::string& src);

}  // namespace etchsim::fabric

#endif  // ETCHSIM_FABRIC_LINK_VALIDATE_H_
