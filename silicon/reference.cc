#include "silicon/reference.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "chip/chip_spec.h"
#include "silicon/silicon.h"

namespace etchsim::silicon {
namespace {

absl::StatusOr<double> Number(absl::string_view where, absl::string_view field,
                              absl::string_view value, double lo, double hi) {
  double v = 0;
  if (!absl::SimpleAtod(value, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(where.empty() ? "" : absl::StrCat(where, ": "),
                                                   field, " must be a number, got \"",
                                                   base::Excerpt(value), "\""));
  }
  RETURN_IF_ERROR(base::CheckRange(where, field, v, lo, hi));
  return v;
}

absl::StatusOr<int64_t> Integer(absl::string_view where, absl::string_view field,
                                absl::string_view value, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(value, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(where.empty() ? "" : absl::StrCat(where, ": "),
                                                   field, " must be an integer, got \"",
                                                   base::Excerpt(value), "\""));
  }
  RETURN_IF_ERROR(base::CheckIntRange(where, field, v, lo, hi));
  return v;
}

using Setter = std::function<void(v1::ChipDesign&, double)>;

// A numeric field in [lo, hi], set through `set`.
DesignOverride NumberField(std::string field, std::string help, double lo, double hi, Setter set) {
  return {field, std::move(help),
          [lo, hi, set](v1::ChipDesign& d, absl::string_view v, absl::string_view where,
                        absl::string_view label) -> absl::Status {
            ASSIGN_OR_RETURN(double x, Number(where, label, v, lo, hi));
            set(d, x);
            return absl::OkStatus();
          }};
}

DesignOverride IntegerField(std::string field, std::string help, int64_t lo, int64_t hi,
                            std::function<void(v1::ChipDesign&, int64_t)> set) {
  return {field, std::move(help),
          [lo, hi, set](v1::ChipDesign& d, absl::string_view v, absl::string_view where,
                        absl::string_view label) -> absl::Status {
            ASSIGN_OR_RETURN(int64_t x, Integer(where, label, v, lo, hi));
            set(d, x);
            return absl::OkStatus();
          }};
}

DesignOverride TextField(std::string field, std::string help,
                         std::function<void(v1::ChipDesign&, std::string)> set) {
  return {field, std::move(help),
          [set](v1::ChipDesign& d, absl::string_view v, absl::string_view where,
                absl::string_view label) -> absl::Status {
            if (v.empty()) {
              return absl::InvalidArgumentError(
                  absl::StrCat(where.empty() ? "" : absl::StrCat(where, ": "), label, " is empty"));
            }
            RETURN_IF_ERROR(base::CheckUtf8(where, label, v));
            set(d, std::string(v));
            return absl::OkStatus();
          }};
}

}  // namespace

const std::vector<DesignOverride>& DesignOverrides() {
  using D = v1::ChipDesign;
  static const auto* all = new std::vector<DesignOverride>{
      TextField("node", "Process node (N16, N7, N6, N5, N4, N3, N2).",
                [](D& d, std::string v) { d.set_node(std::move(v)); }),
      TextField("model", "Model the ROM is sized for: a bundled name or a config.json path.",
                [](D& d, std::string v) { d.set_model(std::move(v)); }),
      IntegerField("params_per_chip", "Parameters the ROM holds (0 = the whole model).", 0,
                   int64_t{1} << 42, [](D& d, int64_t v) { d.set_params_per_chip(v); }),
      NumberField("kv_sram_mb", "KV SRAM per chip, MiB.", 0, 1 << 20,
                  [](D& d, double v) {
                    d.set_kv_sram_bytes(static_cast<int64_t>(std::llround(v * (1 << 20))));
                  }),
      NumberField("rom_density", "ROM bits per mm2 (0 = HC1's, scaled by the node).", 0, 1e12,
                  [](D& d, double v) { d.set_rom_bits_per_mm2(v); }),
      IntegerField("dies_per_package", "Dies per package (0 = the fewest that fit).", 0, 64,
                   [](D& d, int64_t v) { d.set_dies_per_package(static_cast<int32_t>(v)); }),
      NumberField("clock_ghz", "Clock of the PEs and attention engine, GHz.", 0.001, 100,
                  [](D& d, double v) { d.mutable_timing()->set_clock_ghz(v); }),
      NumberField("pe_scan_cycles",
                  "Cycles a PE takes to stream its bank (fewer = more MAC lanes per PE).", 1, 1e8,
                  [](D& d, double v) { d.mutable_timing()->set_pe_scan_cycles(v); }),
      IntegerField("weights_per_pe", "Weights in one PE's ROM bank.", 1, int64_t{1} << 40,
                   [](D& d, int64_t v) { d.mutable_timing()->set_weights_per_pe(v); }),
      NumberField("attention_macs", "Attention engine multiply-accumulates per cycle.", 1, 1e12,
                  [](D& d, double v) { d.mutable_timing()->set_attention_macs_per_cycle(v); }),
      IntegerField("serdes_lanes", "Off-chip SerDes lanes.", 0, 100000,
                   [](D& d, int64_t v) { d.set_serdes_lanes(static_cast<int32_t>(v)); }),
      NumberField("gross_margin", "Gross margin of the card price, [0, 0.99].", 0, 0.99,
                  [](D& d, double v) { d.mutable_card()->set_gross_margin(v); }),
      NumberField("weight_mac_fj", "Energy of one weight's multiply-add on N6, fJ.", 1e-6, 1e6,
                  [](D& d, double v) { d.mutable_energy()->set_weight_mac_fj(v); }),
      NumberField("rom_fj_per_bit", "Energy of one ROM bit read on N6, fJ.", 0, 1e6,
                  [](D& d, double v) { d.mutable_energy()->set_rom_fj_per_bit(v); }),
      NumberField("wafer_price_usd", "Wafer price replacing the node's, $.", 1, 1e7,
                  [](D& d, double v) { d.mutable_node_override()->set_wafer_price_usd(v); }),
      NumberField("defect_density", "Defect density D0 replacing the node's, per cm2 (> 0).", 1e-9,
                  100,
                  [](D& d, double v) { d.mutable_node_override()->set_defect_density_per_cm2(v); }),
  };
  return *all;
}

const DesignOverride* FindDesignOverride(absl::string_view field) {
  for (const DesignOverride& o : DesignOverrides()) {
    if (o.field == field) return &o;
  }
  return nullptr;
}

namespace {

// "node.FIELD": any numeric field of the design's process node
// (proto/etchsim/v1/silicon.proto ProcessNode), into node_override.
const google::protobuf::FieldDescriptor* NodeField(absl::string_view field) {
  if (!absl::ConsumePrefix(&field, "node.")) return nullptr;
  const google::protobuf::FieldDescriptor* f =
      v1::ProcessNode::descriptor()->FindFieldByName(std::string(field));
  if (f == nullptr || f->is_repeated()) return nullptr;
  const auto t = f->cpp_type();
  return t == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE ||
                 t == google::protobuf::FieldDescriptor::CPPTYPE_INT32
             ? f
             : nullptr;
}

std::string FieldNames() {
  std::vector<std::string> names;
  for (const DesignOverride& x : DesignOverrides()) names.push_back(x.field);
  names.push_back("node.<any numeric process-node field>");
  return absl::StrJoin(names, ", ");
}

}  // namespace

bool IsDesignField(absl::string_view field) {
  return FindDesignOverride(field) != nullptr || NodeField(field) != nullptr;
}

absl::Status ApplyDesignOverride(v1::ChipDesign& d, absl::string_view field,
                                 absl::string_view value, absl::string_view where,
                                 absl::string_view label) {
  if (label.empty()) label = field;
  if (const google::protobuf::FieldDescriptor* f = NodeField(field); f != nullptr) {
    // 0 keeps the node's value; the merged node is checked in full by Derive.
    v1::ProcessNode* o = d.mutable_node_override();
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) {
      ASSIGN_OR_RETURN(double x, Number(where, label, value, 0, 1e12));
      o->GetReflection()->SetDouble(o, f, x);
    } else {
      ASSIGN_OR_RETURN(int64_t x, Integer(where, label, value, 0, 1000));
      o->GetReflection()->SetInt32(o, f, static_cast<int32_t>(x));
    }
    return absl::OkStatus();
  }
  const DesignOverride* o = FindDesignOverride(field);
  if (o == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": unknown design field \"",
                                                   base::Excerpt(field),
                                                   "\" (fields: ", FieldNames(), ")"));
  }
  return o->apply(d, value, where, label);
}

bool IsDesignReference(absl::string_view chip) { return !chip.empty() && chip[0] == '@'; }

absl::StatusOr<v1::ChipDesign> DesignFromReference(const std::string& ref) {
  if (!IsDesignReference(ref)) {
    return absl::InvalidArgumentError(
        absl::StrCat("chip \"", base::Excerpt(ref), "\" is not a design reference (@NAME)"));
  }
  std::vector<std::string> parts;
  for (absl::string_view t : absl::StrSplit(absl::string_view(ref).substr(1), '+')) {
    // A '+' followed by a digit is a number's exponent sign (1e+08), not a
    // separator.
    if (parts.size() > 1 && !t.empty() && absl::ascii_isdigit(t[0])) {
      absl::StrAppend(&parts.back(), "+", t);
    } else {
      parts.emplace_back(t);
    }
  }
  const std::string where = absl::StrCat("chip ", base::Excerpt(ref, 120));
  if (parts[0].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": no design after '@'"));
  }
  absl::StatusOr<v1::ChipDesign> d = LoadDesign(parts[0]);
  if (!d.ok())
    return absl::Status(d.status().code(), absl::StrCat(where, ": ", d.status().message()));
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": \"", base::Excerpt(parts[i]), "\" is not FIELD=VALUE"));
    }
    RETURN_IF_ERROR(
        ApplyDesignOverride(*d, parts[i].substr(0, eq), parts[i].substr(eq + 1), where));
  }
  RETURN_IF_ERROR(ValidateDesign(*d, where));
  return d;
}

absl::StatusOr<DerivedDesign> DeriveReference(const std::string& ref) {
  ASSIGN_OR_RETURN(v1::ChipDesign d, DesignFromReference(ref));
  absl::StatusOr<DerivedDesign> h = DeriveWithModel(d);
  if (!h.ok()) {
    return absl::Status(h.status().code(),
                        absl::StrCat("chip ", base::Excerpt(ref, 120), ": ", h.status().message()));
  }
  return h;
}

absl::StatusOr<v1::ChipSpec> LoadChip(const std::string& name) {
  if (!IsDesignReference(name)) return chip::LoadChipSpec(name);
  ASSIGN_OR_RETURN(DerivedDesign h, DeriveReference(name));
  // Named as referenced, so tables tell "@hc1" from "@hc1+kv_sram_mb=512".
  h.spec.set_name(name);
  return h.spec;
}

}  // namespace etchsim::silicon
