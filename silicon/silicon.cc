#include "silicon/silicon.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/bounds.h"
#include "base/embedded.h"
#include "base/preset.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "chip/hardwired_model.h"
#include "model/weight_format.h"

namespace etchsim::silicon {

// Generated from silicon/nodes.textproto and silicon/designs/*.textproto.
const std::vector<base::EmbeddedFile>& EmbeddedNodes();
const std::vector<base::EmbeddedFile>& EmbeddedDesigns();

namespace {

using base::CheckAbove;
using base::CheckIntRange;
using base::CheckRange;

const base::PresetSet& Designs() {
  static const base::PresetSet set{&EmbeddedDesigns(), ".textproto", "design", "a bundled design",
                                   "designs"};
  return set;
}

absl::Status Bad(const std::string& source, absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, " ", what));
}

absl::Status ValidateEnergy(const v1::DesignEnergy& e, const std::string& src) {
  RETURN_IF_ERROR(CheckRange(src, "energy.weight_mac_fj", e.weight_mac_fj(), 1e-6, 1e6));
  RETURN_IF_ERROR(CheckRange(src, "energy.rom_fj_per_bit", e.rom_fj_per_bit(), 0, 1e6));
  RETURN_IF_ERROR(CheckRange(src, "energy.sram_fj_per_bit", e.sram_fj_per_bit(), 0, 1e6));
  RETURN_IF_ERROR(CheckRange(src, "energy.attention_mac_fj", e.attention_mac_fj(), 0, 1e6));
  RETURN_IF_ERROR(CheckRange(src, "energy.serdes_pj_per_bit", e.serdes_pj_per_bit(), 0, 1e3));
  RETURN_IF_ERROR(CheckRange(src, "energy.vr_efficiency", e.vr_efficiency(), 0.1, 1));
  return CheckRange(src, "energy.board_watts", e.board_watts(), 0, 1e5);
}

absl::Status ValidateMoney(const v1::ChipDesign& d, const std::string& src) {
  const v1::CardCosts& c = d.card();
  RETURN_IF_ERROR(CheckRange(src, "card.package_usd", c.package_usd(), 0, 1e9));
  RETURN_IF_ERROR(
      CheckRange(src, "card.package_usd_per_extra_die", c.package_usd_per_extra_die(), 0, 1e9));
  RETURN_IF_ERROR(CheckRange(src, "card.test_usd_per_die", c.test_usd_per_die(), 0, 1e9));
  RETURN_IF_ERROR(CheckRange(src, "card.board_usd", c.board_usd(), 0, 1e9));
  RETURN_IF_ERROR(CheckRange(src, "card.gross_margin", c.gross_margin(), 0, 0.99));
  RETURN_IF_ERROR(CheckIntRange(src, "nre.masks_changed", d.nre().masks_changed(), 0, 200));
  RETURN_IF_ERROR(
      CheckIntRange(src, "nre.wafer_run_wafers", d.nre().wafer_run_wafers(), 0, 100000));
  RETURN_IF_ERROR(CheckRange(src, "nre.engineering_usd", d.nre().engineering_usd(), 0, 1e12));
  RETURN_IF_ERROR(CheckRange(src, "server_price_usd", d.server_price_usd(), 0, 1e9));
  RETURN_IF_ERROR(CheckIntRange(src, "cards_per_server", d.cards_per_server(), 1, 1024));
  return CheckRange(src, "server_overhead_watts", d.server_overhead_watts(), 0, 1e6);
}

absl::Status ValidateMemory(const v1::ExternalMemory& m, const std::string& src) {
  if (m.ByteSizeLong() == 0) return absl::OkStatus();  // no memory tier
  if (m.capacity_bytes() == 0) {
    return Bad(src, "external_memory.capacity_bytes",
               "must be > 0 when external_memory is given (remove the block for none)");
  }
  RETURN_IF_ERROR(base::CheckUtf8(src, "external_memory.kind", m.kind()));
  RETURN_IF_ERROR(CheckIntRange(src, "external_memory.capacity_bytes", m.capacity_bytes(), 1,
                                int64_t{1} << 44));
  RETURN_IF_ERROR(CheckAbove(src, "external_memory.bandwidth_bytes_per_s",
                             m.bandwidth_bytes_per_s(), 1e6, 1e15));
  RETURN_IF_ERROR(
      CheckRange(src, "external_memory.energy_pj_per_bit", m.energy_pj_per_bit(), 0, 1e3));
  RETURN_IF_ERROR(CheckRange(src, "external_memory.price_usd", m.price_usd(), 0, 1e7));
  RETURN_IF_ERROR(CheckRange(src, "external_memory.watts_idle", m.watts_idle(), 0, 1e4));
  return CheckRange(src, "external_memory.phy_mm2", m.phy_mm2(), 0, 1e3);
}

// node_override: numbers >= 0 (0 keeps the node's); no name of its own.
absl::Status ValidateNodeOverride(const v1::ProcessNode& o, const std::string& src) {
  if (!o.name().empty() || !o.description().empty()) {
    return Bad(src, "node_override", "takes numbers only (set node to change the node)");
  }
  const google::protobuf::Reflection* r = o.GetReflection();
  const google::protobuf::Descriptor* desc = o.GetDescriptor();
  for (int i = 0; i < desc->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = desc->field(i);
    const std::string field = absl::StrCat("node_override.", f->name());
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) {
      RETURN_IF_ERROR(CheckRange(src, field, r->GetDouble(o, f), 0, 1e12));
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT32) {
      RETURN_IF_ERROR(CheckIntRange(src, field, r->GetInt32(o, f), 0, 1000));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTiming(const v1::HardwiredTiming& t, const std::string& src) {
  RETURN_IF_ERROR(CheckRange(src, "timing.clock_ghz", t.clock_ghz(), 0.001, 100));
  RETURN_IF_ERROR(CheckRange(src, "timing.pe_scan_cycles", t.pe_scan_cycles(), 1, 1e8));
  RETURN_IF_ERROR(
      CheckIntRange(src, "timing.weights_per_pe", t.weights_per_pe(), 1, int64_t{1} << 40));
  RETURN_IF_ERROR(
      CheckRange(src, "timing.attention_macs_per_cycle", t.attention_macs_per_cycle(), 1, 1e12));
  RETURN_IF_ERROR(
      CheckRange(src, "timing.kv_read_bytes_per_cycle", t.kv_read_bytes_per_cycle(), 1, 1e12));
  RETURN_IF_ERROR(CheckIntRange(src, "timing.tokens_per_pass", t.tokens_per_pass(), 1, 65536));
  // The rest as the ChipSpec it becomes checks them (chip::ValidateHardwiredTiming).
  v1::ChipSpec spec;
  *spec.mutable_hardwired() = t;
  if (absl::Status st = chip::ValidateHardwiredTiming(spec, src); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrReplaceAll(st.message(), {{"hardwired.", "timing."}}));
  }
  return absl::OkStatus();
}

absl::Status ValidateBlocks(const v1::ChipDesign& d, const std::string& src) {
  RETURN_IF_ERROR(CheckRange(src, "transistors_per_pe_lane", d.transistors_per_pe_lane(), 1, 1e9));
  RETURN_IF_ERROR(
      CheckRange(src, "transistors_per_attention_mac", d.transistors_per_attention_mac(), 0, 1e9));
  RETURN_IF_ERROR(CheckRange(src, "control_logic_fraction", d.control_logic_fraction(), 0, 10));
  RETURN_IF_ERROR(CheckIntRange(src, "serdes_lanes", d.serdes_lanes(), 0, 100000));
  RETURN_IF_ERROR(CheckRange(src, "serdes_gbps_per_lane", d.serdes_gbps_per_lane(), 0, 1e4));
  RETURN_IF_ERROR(CheckRange(src, "serdes_mm2_per_lane", d.serdes_mm2_per_lane(), 0, 100));
  RETURN_IF_ERROR(
      CheckRange(src, "serdes_transistors_per_lane", d.serdes_transistors_per_lane(), 0, 1e10));
  RETURN_IF_ERROR(CheckRange(src, "io_fixed_mm2", d.io_fixed_mm2(), 0, 1e4));
  RETURN_IF_ERROR(CheckRange(src, "die_to_die_mm2", d.die_to_die_mm2(), 0, 1e4));
  RETURN_IF_ERROR(CheckRange(src, "overhead_fraction", d.overhead_fraction(), 0, 0.9));
  RETURN_IF_ERROR(CheckRange(src, "die_area_budget_mm2", d.die_area_budget_mm2(), 0, 1e5));
  if (d.die_area_budget_mm2() > 0 && d.die_area_budget_mm2() < 1) {
    return Bad(src, "die_area_budget_mm2", "must be 0 (the reticle) or at least 1 mm2");
  }
  return CheckIntRange(src, "dies_per_package", d.dies_per_package(), 0, 64);
}

}  // namespace

absl::Status ValidateNode(const v1::ProcessNode& n, const std::string& src) {
  const std::string where = absl::StrCat(src, ": node ", base::Excerpt(n.name()));
  if (n.name().empty()) return Bad(src, "nodes.name", "is empty");
  RETURN_IF_ERROR(base::CheckUtf8(where, "name", n.name()));
  // Lower bounds keep every derived number in a sane range: a $1 wafer, a
  // 0.1 MTr/mm2 node, a 1e-4 um2 bit cell, 1% efficiency or utilisation.
  RETURN_IF_ERROR(CheckRange(where, "wafer_price_usd", n.wafer_price_usd(), 1, 1e7));
  RETURN_IF_ERROR(CheckRange(where, "defect_density_per_cm2", n.defect_density_per_cm2(), 0, 100));
  RETURN_IF_ERROR(
      CheckRange(where, "logic_density_mtr_per_mm2", n.logic_density_mtr_per_mm2(), 0.1, 1e5));
  RETURN_IF_ERROR(CheckRange(where, "logic_utilization", n.logic_utilization(), 0.01, 1));
  RETURN_IF_ERROR(CheckRange(where, "sram_bitcell_um2", n.sram_bitcell_um2(), 1e-4, 100));
  RETURN_IF_ERROR(CheckRange(where, "sram_array_efficiency", n.sram_array_efficiency(), 0.01, 1));
  RETURN_IF_ERROR(CheckRange(where, "full_mask_set_usd", n.full_mask_set_usd(), 0, 1e10));
  RETURN_IF_ERROR(CheckIntRange(where, "mask_count", n.mask_count(), 1, 1000));
  RETURN_IF_ERROR(CheckRange(where, "reticle_limit_mm2", n.reticle_limit_mm2(), 1, 1e5));
  RETURN_IF_ERROR(CheckRange(where, "wafer_diameter_mm", n.wafer_diameter_mm(), 50, 1000));
  RETURN_IF_ERROR(CheckRange(where, "relative_energy", n.relative_energy(), 1e-3, 1e3));
  RETURN_IF_ERROR(CheckRange(where, "leakage_w_per_mm2", n.leakage_w_per_mm2(), 0, 100));
  // alpha -> 0 makes any die yield 1; 0.1 is far below any reported value.
  return CheckRange(where, "defect_clustering", n.defect_clustering(), 0.1, 1e6);
}

absl::StatusOr<v1::ProcessNodes> BundledNodes() {
  const std::vector<base::EmbeddedFile>& files = EmbeddedNodes();
  if (files.size() != 1) return absl::InternalError("silicon: nodes.textproto not embedded");
  ASSIGN_OR_RETURN(v1::ProcessNodes nodes, base::ParseTextProto<v1::ProcessNodes>(
                                               std::string(files[0].contents), "nodes.textproto"));
  for (const v1::ProcessNode& n : nodes.nodes()) {
    RETURN_IF_ERROR(ValidateNode(n, "nodes.textproto"));
  }
  return nodes;
}

absl::StatusOr<v1::ProcessNode> FindNode(const std::string& name) {
  ASSIGN_OR_RETURN(v1::ProcessNodes nodes, BundledNodes());
  std::vector<std::string> names;
  for (const v1::ProcessNode& n : nodes.nodes()) {
    if (n.name() == name) return n;
    names.push_back(n.name());
  }
  return absl::NotFoundError(absl::StrCat("unknown node \"", base::Excerpt(name),
                                          "\" (nodes: ", absl::StrJoin(names, ", "), ")"));
}

std::vector<std::string> DesignNames() { return base::PresetNames(Designs()); }

absl::Status ValidateDesign(const v1::ChipDesign& d, const std::string& src) {
  if (d.name().empty()) return Bad(src, "name", "must be set");
  RETURN_IF_ERROR(base::CheckUtf8(src, "name", d.name()));
  if (d.name().find_first_of("\n\r\t") != std::string::npos) {
    return Bad(src, "name", "must be one line");
  }
  RETURN_IF_ERROR(base::CheckUtf8(src, "description", d.description()));
  RETURN_IF_ERROR(base::CheckUtf8(src, "model", d.model()));
  if (absl::Status s = FindNode(d.node()).status(); !s.ok()) {
    return Bad(src, "node", s.message());
  }
  if (absl::Status s = model::FindWeightFormat(d.weight_format()).status(); !s.ok()) {
    return Bad(src, "weight_format", s.message());
  }
  if (d.model().empty()) {
    return Bad(src, "model",
               "must name the model the chip holds (a bundled name or a config.json)");
  }
  RETURN_IF_ERROR(CheckIntRange(src, "params_per_chip", d.params_per_chip(), 0, int64_t{1} << 42));
  RETURN_IF_ERROR(CheckRange(src, "rom_slack", d.rom_slack(), 0, 10));
  RETURN_IF_ERROR(CheckRange(src, "rom_bits_per_mm2", d.rom_bits_per_mm2(), 0, 1e12));
  if (d.rom_bits_per_mm2() != 0 && d.rom_bits_per_mm2() < 1e3) {
    return Bad(src, "rom_bits_per_mm2", "must be 0 (derive) or at least 1e3 bits per mm2");
  }
  RETURN_IF_ERROR(CheckRange(src, "rom_transistors_per_bit", d.rom_transistors_per_bit(), 0, 100));
  RETURN_IF_ERROR(CheckIntRange(src, "kv_sram_bytes", d.kv_sram_bytes(), 0, int64_t{1} << 40));
  if (d.kv_dtype() != "fp8" && d.kv_dtype() != "bf16" && d.kv_dtype() != "fp16") {
    return Bad(
        src, "kv_dtype",
        absl::StrCat("must be fp8, bf16 or fp16, got \"", base::Excerpt(d.kv_dtype()), "\""));
  }
  RETURN_IF_ERROR(
      CheckAbove(src, "activation_bytes_per_element", d.activation_bytes_per_element(), 0, 16));
  RETURN_IF_ERROR(ValidateTiming(d.timing(), src));
  RETURN_IF_ERROR(ValidateBlocks(d, src));
  RETURN_IF_ERROR(ValidateMemory(d.external_memory(), src));
  RETURN_IF_ERROR(ValidateNodeOverride(d.node_override(), src));
  RETURN_IF_ERROR(ValidateEnergy(d.energy(), src));
  return ValidateMoney(d, src);
}

absl::StatusOr<v1::ChipDesign> ParseDesign(const std::string& text, const std::string& source) {
  ASSIGN_OR_RETURN(v1::ChipDesign d, base::ParseTextProto<v1::ChipDesign>(text, source));
  RETURN_IF_ERROR(ValidateDesign(d, source));
  return d;
}

absl::StatusOr<v1::ChipDesign> LoadDesign(const std::string& name_or_path) {
  ASSIGN_OR_RETURN(base::PresetText p, base::ReadPreset(Designs(), name_or_path));
  return ParseDesign(p.text, p.source);
}

}  // namespace etchsim::silicon
