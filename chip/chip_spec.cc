#include "chip/chip_spec.h"

#include "absl/strings/str_cat.h"
#include "base/embedded.h"
#include "base/preset.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "chip/hardwired_model.h"
#include "model/weight_format.h"

namespace etchsim::chip {

// Generated from chip/presets/*.textproto.
const std::vector<base::EmbeddedFile>& EmbeddedChipPresets();

namespace {

const base::PresetSet& Presets() {
  static const base::PresetSet set{&EmbeddedChipPresets(), ".textproto", "chip"};
  return set;
}

absl::Status FieldError(const std::string& source, absl::string_view field,
                        absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, " ", what));
}

absl::Status Positive(const std::string& source, absl::string_view field, double v) {
  if (v > 0) return absl::OkStatus();
  return FieldError(source, field, absl::StrCat("must be > 0, got ", v));
}

// The roofline's fixed costs: finite and at most one second each (a
// larger per-step cost is a unit mistake, not a GPU).
absl::Status ValidateRooflineOverheads(const v1::ChipSpec& s, const std::string& src) {
  constexpr double kMaxNs = 1e9;
  const v1::RooflineSpec& r = s.roofline();
  for (auto [name, v] : {std::pair{"roofline.layer_overhead_ns", r.layer_overhead_ns()},
                         std::pair{"roofline.step_overhead_ns", r.step_overhead_ns()},
                         std::pair{"roofline.dense_layer_overhead_ns", r.dense_layer_overhead_ns()},
                         std::pair{"roofline.moe_layer_overhead_ns", r.moe_layer_overhead_ns()},
                         std::pair{"roofline.interconnect_latency_ns", r.interconnect_latency_ns()},
                         std::pair{"roofline.interconnect_latency_per_peer_ns",
                                   r.interconnect_latency_per_peer_ns()}}) {
    if (!(v >= 0 && v <= kMaxNs)) {
      return FieldError(src, name, absl::StrCat("must be in [0, 1e9] ns, got ", v));
    }
  }
  if (!(r.moe_expert_overlap() >= 0 && r.moe_expert_overlap() <= 1)) {
    return FieldError(src, "roofline.moe_expert_overlap",
                      absl::StrCat("must be in [0, 1], got ", r.moe_expert_overlap()));
  }
  if (r.attention_query_tile() < 0 || r.attention_query_tile() > 65536) {
    return FieldError(src, "roofline.attention_query_tile",
                      absl::StrCat("must be in [0, 65536], got ", r.attention_query_tile()));
  }
  return absl::OkStatus();
}

absl::Status Validate(const v1::ChipSpec& s, const std::string& src) {
  if (s.name().empty()) return FieldError(src, "name", "must be set");
  if (s.kind() == v1::ChipSpec::KIND_UNSPECIFIED) {
    return FieldError(src, "kind", "must be HARDWIRED or ROOFLINE");
  }
  if (auto f = model::FindWeightFormat(s.weight_format()); !f.ok()) {
    return FieldError(src, "weight_format", f.status().message());
  }
  RETURN_IF_ERROR(Positive(src, "weight_capacity_bytes",
                           static_cast<double>(s.weight_capacity_bytes())));
  if (s.kv_capacity_bytes() < 0) {
    return FieldError(src, "kv_capacity_bytes",
                      absl::StrCat("must be >= 0, got ", s.kv_capacity_bytes()));
  }
  if (auto d = model::ParseKvDtype(s.kv_dtype()); !d.ok()) {
    return FieldError(src, "kv_dtype", d.status().message());
  }
  RETURN_IF_ERROR(Positive(src, "activation_bytes_per_element",
                           s.activation_bytes_per_element()));
  RETURN_IF_ERROR(Positive(src, "power.active_watts", s.power().active_watts()));
  if (s.power().idle_watts() < 0 || s.power().idle_watts() > s.power().active_watts()) {
    return FieldError(src, "power.idle_watts",
                      absl::StrCat("must be in [0, power.active_watts], got ",
                                   s.power().idle_watts()));
  }
  if (s.kind() == v1::ChipSpec::HARDWIRED) {
    RETURN_IF_ERROR(ValidateHardwiredTiming(s, src));
  } else {
    RETURN_IF_ERROR(ValidateRooflineOverheads(s, src));
  }
  if (s.cost().card_price_usd() < 0) {
    return FieldError(src, "cost.card_price_usd",
                      absl::StrCat("must be >= 0, got ", s.cost().card_price_usd()));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> PresetNames() { return base::PresetNames(Presets()); }

absl::StatusOr<v1::ChipSpec> ParseChipSpec(const std::string& text,
                                           const std::string& source) {
  ASSIGN_OR_RETURN(v1::ChipSpec spec, base::ParseTextProto<v1::ChipSpec>(text, source));
  RETURN_IF_ERROR(Validate(spec, source));
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
