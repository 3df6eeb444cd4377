#include "chip/chip_spec.h"

#include "absl/strings/str_cat.h"
#include "base/embedded.h"
#include "base/preset.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "chip/chip_spec_validate.h"
#include "model/weight_format.h"

namespace etchsim::chip {

// Generated from chip/presets/*.textproto.
const std::vector<base::EmbeddedFile>& EmbeddedChipPresets();

namespace {

const base::PresetSet& Presets() {
  static const base::PresetSet set{&EmbeddedChipPresets(), ".textproto", "chip"};
  return set;
}

}  // namespace

std::vector<std::string> PresetNames() { return base::PresetNames(Presets()); }

absl::StatusOr<v1::ChipSpec> ParseChipSpec(const std::string& text, const std::string& source) {
  ASSIGN_OR_RETURN(v1::ChipSpec spec, base::ParseTextProto<v1::ChipSpec>(text, source));
  RETURN_IF_ERROR(ValidateChipSpec(spec, source));
  return spec;
}

absl::StatusOr<v1::ChipSpec> LoadChipSpec(const std::string& name_or_path) {
  ASSIGN_OR_RETURN(base::PresetText p, base::ReadPreset(Presets(), name_or_path));
  return ParseChipSpec(p.text, p.source);
}

absl::StatusOr<partitioner::ChipCapacity> CapacityOf(const v1::ChipSpec& spec) {
  partitioner::ChipCapacity c;
  c.name = spec.name();
  c.weight_capacity_bytes = spec.weight_capacity_bytes();
  ASSIGN_OR_RETURN(c.format, model::FindWeightFormat(spec.weight_format()));
  ASSIGN_OR_RETURN(c.kv_dtype, model::ParseKvDtype(spec.kv_dtype()));
  c.activation_bytes_per_element = spec.activation_bytes_per_element();
  return c;
}

}  // namespace etchsim::chip
