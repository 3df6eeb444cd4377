// Bounds for a ChipSpec (a preset, a --chip file, or one a coordinator
// sends in LoadShard): every number finite and within a stated range, so
// the chip models never divide by zero, loop on a NaN or size a table from
// an absurd value. Ranges sit well outside every real device (see
// docs/assumptions.md, "Input bounds").
#ifndef ETCHSIM_CHIP_CHIP_SPEC_VALIDATE_H_
#define ETCHSIM_CHIP_CHIP_SPEC_VALIDATE_H_

#include <string>

#include "absl/status/status.h"
#include "proto/etchsim/v1/chip.pb.h"

namespace etchsim::chip {

// Errors read "<src>: <field> must be ..., got <value>".
absl::Status ValidateChipSpec(const v1::ChipSpec& s, const std::string& src);

}  // namespace etchsim::chip

#endif  // ETCHSIM_CHIP_CHIP_SPEC_VALIDATE_H_
