// etchsim chips design NAME|FILE [--node N] [--model M] [--kv-sram-mb X]
//   [--rom-density B] [--params-per-chip P] [--dies-per-package K]
//   [--format json] [--emit-spec FILE]
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "google/protobuf/text_format.h"
#include "silicon/derive.h"
#include "silicon/reference.h"
#include "silicon/silicon.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"

// The design fields a flag of its own overrides (their parsing, ranges and
// help live once, in silicon::DesignOverrides()); --set takes any of them.
ABSL_FLAG(std::string, node, "", "Process node (N16, N7, N6, N5, N4, N3, N2).");
ABSL_FLAG(std::string, kv_sram_mb, "", "KV SRAM per chip, MiB.");
ABSL_FLAG(std::string, rom_density, "", "ROM bits per mm2 (0 = HC1's, scaled by the node).");
ABSL_FLAG(std::string, params_per_chip, "", "Parameters the ROM holds (0 = the whole model).");
ABSL_FLAG(std::string, dies_per_package, "", "Dies per package (0 = the fewest that fit).");
ABSL_FLAG(std::vector<std::string>, set, {},
          "FIELD=VALUE: override any design field of `etchsim chips design --help` (repeatable).");
ABSL_FLAG(std::string, emit_spec, "",
          "Write the ChipSpec the design implies to this file (text proto, atomically); "
          "simulate, sweep and plan take it as --chip FILE.");

namespace etchsim::tools {
namespace {

using Json = nlohmann::ordered_json;

// The flags that override a design's fields, in command-line order.
absl::Status ApplyOverrides(const Invocation& inv, v1::ChipDesign& d) {
  for (const char* flag :
       {"node", "model", "kv_sram_mb", "rom_density", "params_per_chip", "dies_per_package"}) {
    for (const std::string& v : inv.All(flag)) {
      RETURN_IF_ERROR(silicon::ApplyDesignOverride(
          d, flag, v, "", absl::StrCat("--", absl::StrReplaceAll(flag, {{"_", "-"}}))));
    }
  }
  for (const std::string& item : inv.All("set")) {
    for (absl::string_view kv : absl::StrSplit(item, ',')) {
      const size_t eq = kv.find('=');
      if (eq == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("--set \"", base::Excerpt(kv), "\": expected FIELD=VALUE"));
      }
      RETURN_IF_ERROR(
          silicon::ApplyDesignOverride(d, kv.substr(0, eq), kv.substr(eq + 1), "--set"));
    }
  }
  return absl::OkStatus();
}

std::string OverrideHelp() {
  std::string out = "Fields --set takes (and sweep axes design.FIELD, chip @NAME+FIELD=V):";
  for (const silicon::DesignOverride& o : silicon::DesignOverrides()) {
    absl::StrAppend(&out, " ", o.field, ": ", o.help);
  }
  absl::StrAppend(&out,
                  " node.FIELD: any numeric field of the process node (wafer_price_usd, "
                  "defect_density_per_cm2, leakage_w_per_mm2, defect_clustering, "
                  "full_mask_set_usd, mask_count, relative_energy, logic_density_mtr_per_mm2, "
                  "sram_bitcell_um2, ...; silicon/nodes.textproto), replacing the node's.");
  return out;
}

Json DesignJson(const silicon::DerivedDesign& h) {
  // Per die (the dies of a package split every block evenly).
  const double k = h.dies_per_package;
  Json area;
  area["rom"] = h.area.rom_mm2 / k;
  area["sram"] = h.area.sram_mm2 / k;
  area["pe_logic"] = h.area.pe_logic_mm2 / k;
  area["attention_engine"] = h.area.attention_mm2 / k;
  area["io"] = h.area.io_mm2 / k;
  area["overhead"] = h.area.overhead_mm2 / k;
  Json j;
  j["design"] = h.design.name();
  j["node"] = h.node.name();
  j["model"] = h.design.model();
  j["weight_format"] = h.format.name;
  j["die_area_mm2"] = h.area.per_die_mm2;
  j["package_area_mm2"] = h.area.package_mm2();
  j["die_area_breakdown_mm2"] = area;
  j["reticle_limit_mm2"] = h.node.reticle_limit_mm2();
  j["rom_bits_per_mm2"] = h.rom_bits_per_mm2;
  j["rom_bytes"] = h.rom_bytes;
  j["pes"] = h.pes;
  j["transistors"] = h.transistors;
  j["wafer_price_usd"] = h.node.wafer_price_usd();
  j["defect_density_per_cm2"] = h.node.defect_density_per_cm2();
  j["dies_per_wafer"] = h.dies_per_wafer;
  j["yield"] = h.yield;
  j["cost_per_good_die_usd"] = h.cost_per_good_die_usd;
  j["dies_per_package"] = h.dies_per_package;
  j["card_cost_usd"] = h.card_cost_usd;
  j["card_price_usd"] = h.card_price_usd;
  j["host_share_usd"] = h.design.server_price_usd() / h.design.cards_per_server();
  j["nre_usd"] = h.nre_usd;
  j["nre_distinct_dies"] = h.nre.distinct_dies;
  j["power_w"] = h.active_watts;
  j["idle_power_w"] = h.idle_watts;
  j["peak_tokens_per_s"] = h.peak_tokens_per_s;
  j["params_per_chip"] = h.params_per_chip;
  j["chips_for_model"] = h.chips_for_model;
  j["kv_capacity_bytes"] = h.spec.kv_capacity_bytes();
  return j;
}

std::string DesignText(const silicon::DerivedDesign& h) {
  using base::Fixed;
  base::TextTable t({"quantity", "value", "how"});
  auto mm2 = [](double v) { return absl::StrFormat("%.1f mm2", v); };
  auto usd = [](double v) { return absl::StrCat("$", base::WithCommas(std::llround(v))); };
  t.AddRow(
      {"design", absl::StrCat(h.design.name(), " on ", h.node.name()), h.design.description()});
  t.AddRow({"model", h.design.model(),
            absl::StrCat(h.chips_for_model, " chip(s) hold it (the partitioner's minimum)")});
  t.AddRow({"params per chip", base::HumanCount(static_cast<double>(h.params_per_chip)),
            absl::StrCat(h.format.name, ", ", Fixed(h.format.bits_per_param(), 4), " bits each")});
  t.AddRow({"ROM", base::HumanBytes(static_cast<double>(h.rom_bytes)),
            absl::StrFormat("%.1f Mbit/mm2", h.rom_bits_per_mm2 / 1e6)});
  t.AddRow({"die area", mm2(h.area.per_die_mm2),
            absl::StrCat(h.dies_per_package, " die(s) per package; reticle ",
                         mm2(h.node.reticle_limit_mm2()))});
  const double k = h.dies_per_package;  // the blocks below are per die
  t.AddRow({"  ROM", mm2(h.area.rom_mm2 / k),
            k > 1 ? absl::StrCat("per die; ", mm2(h.area.rom_mm2), " per package") : ""});
  t.AddRow({"  KV SRAM", mm2(h.area.sram_mm2 / k),
            base::HumanBytes(static_cast<double>(h.design.kv_sram_bytes()))});
  t.AddRow({"  PE logic", mm2(h.area.pe_logic_mm2 / k),
            absl::StrCat(base::HumanCount(static_cast<double>(h.pes)), " PEs, ",
                         base::HumanCount(h.pe_lanes), " MAC lanes")});
  t.AddRow({"  attention engine", mm2(h.area.attention_mm2 / k),
            absl::StrCat(base::HumanCount(h.design.timing().attention_macs_per_cycle()),
                         " MACs/cycle")});
  t.AddRow({"  I/O", mm2(h.area.io_mm2 / k),
            absl::StrCat(h.design.serdes_lanes(), " SerDes lanes, fixed I/O, PHYs")});
  t.AddRow({"  overhead", mm2(h.area.overhead_mm2 / k),
            absl::StrCat(Fixed(100 * h.design.overhead_fraction(), 0), "% of the die")});
  t.AddRow({"transistors", base::HumanCount(h.transistors),
            absl::StrCat("ROM ", base::HumanCount(h.rom_transistors), ", SRAM ",
                         base::HumanCount(h.sram_transistors), ", logic ",
                         base::HumanCount(h.logic_transistors))});
  t.AddRow({"dies per wafer", absl::StrCat(h.dies_per_wafer),
            absl::StrFormat("%.0f mm wafer at %s", h.node.wafer_diameter_mm(),
                            usd(h.node.wafer_price_usd()))});
  t.AddRow({"yield", Fixed(h.yield, 3),
            absl::StrFormat("negative binomial, D0 %.3g/cm2, alpha %.3g",
                            h.node.defect_density_per_cm2(), h.node.defect_clustering())});
  t.AddRow({"cost per good die", usd(h.cost_per_good_die_usd), ""});
  t.AddRow({"card price", usd(h.card_price_usd),
            absl::StrFormat("cost %s at %.0f%% gross margin; host share %s", usd(h.card_cost_usd),
                            100 * h.design.card().gross_margin(),
                            usd(h.design.server_price_usd() / h.design.cards_per_server()))});
  t.AddRow({"NRE per model", usd(h.nre_usd),
            absl::StrFormat("%d distinct die(s) x %d masks x %s + %d wafers x %s + %s engineering",
                            h.nre.distinct_dies, h.nre.masks_changed, usd(h.nre.usd_per_mask),
                            h.nre.WaferRunWafers(), usd(h.nre.usd_per_wafer),
                            usd(h.nre.engineering_usd))});
  t.AddRow({"power per card", absl::StrFormat("%.0f W", h.active_watts),
            absl::StrFormat("every unit busy; idle %.0f W", h.idle_watts)});
  t.AddRow({"peak rate", absl::StrCat(base::HumanCount(h.peak_tokens_per_s), " tok/s"),
            "one token per initiation interval, all users together"});
  return t.Render();
}

absl::Status RunDesign(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  ASSIGN_OR_RETURN(v1::ChipDesign d, silicon::IsDesignReference(inv.args[0])
                                         ? silicon::DesignFromReference(inv.args[0])
                                         : silicon::LoadDesign(inv.args[0]));
  RETURN_IF_ERROR(ApplyOverrides(inv, d));
  // Derive validates the design first, naming it ("design NAME: ...").
  ASSIGN_OR_RETURN(silicon::DerivedDesign h, silicon::DeriveWithModel(d));
  if (const std::string path = absl::GetFlag(FLAGS_emit_spec); !path.empty()) {
    // The spec never replaces the design it came from.
    std::error_code ec;
    if (std::filesystem::equivalent(path, inv.args[0], ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--emit-spec ", path, ": is the design file itself; name another file"));
    }
    // One comment line whatever the argument holds (a newline would start
    // a field).
    std::string arg = base::Excerpt(inv.args[0], 200);
    for (char& c : arg) {
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    }
    std::string text = absl::StrCat("# Derived by etchsim chips design ", arg,
                                    " (docs/silicon.md). Do not edit: change the design.\n");
    std::string body;
    google::protobuf::TextFormat::PrintToString(h.spec, &body);
    RETURN_IF_ERROR(base::WriteFileAtomically(path, text + body));
  }
  if (format == Format::kJson) {
    PrintJson(inv.out, DesignJson(h));
  } else {
    inv.out << DesignText(h);
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterChipCommands(Cli& cli) {
  cli.Add({.name = "chips design",
           .args_usage = "NAME|FILE",
           .summary = "Derive a hard-wired chip's die, yield, cost, power and ChipSpec from a "
                      "design.",
           .details = absl::StrCat(
               "NAME is a bundled design (hc1, hc2), FILE a ChipDesign text proto "
               "(proto/etchsim/v1/silicon.proto). Area by block, transistors, dies per "
               "wafer, negative-binomial yield, cost per good die, card price, NRE per "
               "model and power, from process nodes as data (silicon/nodes.textproto). "
               "A die past the reticle is refused with what would fit. --emit-spec "
               "writes the ChipSpec that simulate, sweep and plan take as --chip FILE. "
               "Anywhere a chip is named, @NAME (or @FILE) is the chip a design derives, "
               "and @NAME+FIELD=VALUE+... the design with fields replaced. "
               "Model and sources: docs/silicon.md. ",
               OverrideHelp()),
           .flags = {"format", "node", "model", "kv_sram_mb", "rom_density", "params_per_chip",
                     "dies_per_package", "set", "emit_spec"},
           .flag_defaults = {{"model", ""}},
           .flag_help = {{"model", "Model the ROM is sized for (empty = the design's)."}},
           .min_args = 1,
           .max_args = 1,
           .run = RunDesign});
}

}  // namespace etchsim::tools
