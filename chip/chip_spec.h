// Chip presets: text-format ChipSpec protos compiled into the binary
// (chip/presets/*.textproto) or read from any path, validated with errors
// that name the file and the field.
#ifndef ETCHSIM_CHIP_CHIP_SPEC_H_
#define ETCHSIM_CHIP_CHIP_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "partitioner/partitioner.h"
#include "proto/etchsim/v1/chip.pb.h"

namespace etchsim::chip {

std::vector<std::string> PresetNames();

// `name_or_path`: a preset name ("hc1") or a path to a .textproto file.
absl::StatusOr<v1::ChipSpec> LoadChipSpec(const std::string& name_or_path);

// Parses and validates text-format ChipSpec; `source` names it in errors.
absl::StatusOr<v1::ChipSpec> ParseChipSpec(const std::string& text, const std::string& source);

// What the partitioner needs: capacity and weight format.
absl::StatusOr<partitioner::ChipCapacity> CapacityOf(const v1::ChipSpec& spec);

}  // namespace etchsim::chip

#endif  // ETCHSIM_CHIP_CHIP_SPEC_H_
