// A chip named by its design: "@NAME|PATH[+FIELD=VALUE...]".
//
// Wherever a chip is named (--chip, scenario files, --candidates, sweep
// axes), "@hc2" is the ChipSpec that design hc2 derives, and
// "@hc2+node=N5+kv_sram_mb=512" the same design with those fields
// replaced. The fields are the ones `etchsim chips design` takes as flags
// (DesignOverrides(), one declaration each); sweep axes "design.FIELD"
// append them to the point's chip. '+' separates (a '+' before a digit is
// an exponent's: 1e+08), so a design path must not contain '+'.
#ifndef ETCHSIM_SILICON_REFERENCE_H_
#define ETCHSIM_SILICON_REFERENCE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/etchsim/v1/chip.pb.h"
#include "proto/etchsim/v1/silicon.pb.h"
#include "silicon/derive.h"

namespace etchsim::silicon {

struct DesignOverride {
  std::string field;  // the flag (with dashes) and the "+field=" name (underscores)
  std::string help;
  // Parses `value` and sets the design's field; InvalidArgument names
  // `where` (may be empty) and `label` (the field, or the flag naming it).
  std::function<absl::Status(v1::ChipDesign&, absl::string_view value, absl::string_view where,
                             absl::string_view label)>
      apply;
};

// Every field a design can be overridden on, in help order.
const std::vector<DesignOverride>& DesignOverrides();
const DesignOverride* FindDesignOverride(absl::string_view field);
// A DesignOverrides() field, or "node.FIELD" for any numeric field of the
// design's process node (a node_override: wafer_price_usd, leakage_w_per_mm2,
// defect_clustering, full_mask_set_usd, ...).
bool IsDesignField(absl::string_view field);
// `label` names the value in errors (default: the field).
absl::Status ApplyDesignOverride(v1::ChipDesign& d, absl::string_view field,
                                 absl::string_view value, absl::string_view where,
                                 absl::string_view label = {});

bool IsDesignReference(absl::string_view chip);
// The design a reference names, with its overrides applied and validated.
absl::StatusOr<v1::ChipDesign> DesignFromReference(const std::string& ref);
// A design reference's design, derived (errors name the reference).
absl::StatusOr<DerivedDesign> DeriveReference(const std::string& ref);
// A chip preset or path (chip::LoadChipSpec), or a design reference's
// derived ChipSpec.
absl::StatusOr<v1::ChipSpec> LoadChip(const std::string& name_or_path_or_ref);

}  // namespace etchsim::silicon

#endif  // ETCHSIM_SILICON_REFERENCE_H_
