#include "silicon/derive.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "chip/chip_spec.h"
#include "chip/chip_spec_validate.h"
#include "model/zoo.h"
#include "partitioner/partitioner.h"
#include "silicon/silicon.h"

namespace etchsim::silicon {
namespace {

// HC1's published die (Taalas, Feb 2026): the area the default ROM density
// is derived from.
constexpr double kHc1DieMm2 = 815;
constexpr int kMaxDiesPerPackage = 64;
// SRAM bit cells are 6 transistors; periphery is not counted.
constexpr double kSramTransistorsPerBit = 6;

// Everything but the ROM array: transistors and area of the SRAM, the
// logic, and the I/O of one die, for `dies` dies.
struct Blocks {
  double pes = 0, lanes = 0;
  double sram_t = 0, pe_t = 0, attention_t = 0, serdes_t = 0;
  double sram_mm2 = 0, pe_mm2 = 0, attention_mm2 = 0;
  double io_per_die_mm2 = 0;
};

Blocks BlocksOf(const v1::ChipDesign& d, const v1::ProcessNode& n, int64_t params, int dies) {
  const v1::HardwiredTiming& t = d.timing();
  Blocks b;
  b.pes = std::ceil(static_cast<double>(params) / static_cast<double>(t.weights_per_pe()));
  b.lanes =
      b.pes * static_cast<double>(t.weights_per_pe()) / t.pe_scan_cycles() * t.tokens_per_pass();
  const double sram_bits = static_cast<double>(d.kv_sram_bytes()) * 8;
  b.sram_t = sram_bits * kSramTransistorsPerBit;
  b.pe_t = b.lanes * d.transistors_per_pe_lane() * (1 + d.control_logic_fraction());
  b.attention_t = t.attention_macs_per_cycle() * d.transistors_per_attention_mac();
  b.serdes_t = d.serdes_lanes() * d.serdes_transistors_per_lane();
  b.sram_mm2 = SramAreaMm2(sram_bits, n);
  b.pe_mm2 = LogicAreaMm2(b.pe_t, n);
  b.attention_mm2 = LogicAreaMm2(b.attention_t, n);
  b.io_per_die_mm2 =
      d.io_fixed_mm2() +
      (d.serdes_lanes() * d.serdes_mm2_per_lane() + d.external_memory().phy_mm2()) / dies;
  if (dies > 1) b.io_per_die_mm2 += d.die_to_die_mm2();
  return b;
}

double PerDieMm2(const Blocks& b, double rom_mm2, double overhead, int dies) {
  const double core = rom_mm2 + b.sram_mm2 + b.pe_mm2 + b.attention_mm2;
  return (core / dies + b.io_per_die_mm2) / (1 - overhead);
}

absl::StatusOr<int64_t> ParamsPerChip(const v1::ChipDesign& d, const model::ModelSpec& m) {
  if (d.params_per_chip() > 0) return d.params_per_chip();
  const double p = std::ceil(static_cast<double>(m.TotalParams()) * (1 + d.rom_slack()));
  return static_cast<int64_t>(p);
}

std::string Mm2(double v) { return absl::StrFormat("%.0f mm2", v); }

// The design's ROM density on `node`: its own, else HC1's scaled.
absl::StatusOr<double> RomDensityOf(const v1::ChipDesign& d, const v1::ProcessNode& node) {
  if (d.rom_bits_per_mm2() > 0) return d.rom_bits_per_mm2();
  return DefaultRomDensity(node);
}

void MergeNodeOverride(const v1::ProcessNode& o, v1::ProcessNode& n);

// What would fit when one die does not: more dies, a denser node, fewer
// parameters per chip.
std::string WhatFits(const v1::ChipDesign& d, const v1::ProcessNode& n, const model::ModelSpec& m,
                     int64_t params, double limit) {
  std::vector<std::string> ways;
  absl::StatusOr<model::WeightFormat> format = model::FindWeightFormat(d.weight_format());
  if (!format.ok()) return std::string(format.status().message());
  const model::WeightFormat& f = *format;
  auto per_die = [&](const v1::ProcessNode& node, int64_t p, int dies) -> double {
    absl::StatusOr<double> density = RomDensityOf(d, node);
    if (!density.ok()) return HUGE_VAL;
    const Blocks b = BlocksOf(d, node, p, dies);
    return PerDieMm2(b, static_cast<double>(f.BytesFor(p)) * 8 / *density, d.overhead_fraction(),
                     dies);
  };
  for (int k = std::max(2, d.dies_per_package() + 1); k <= kMaxDiesPerPackage; ++k) {
    if (per_die(n, params, k) <= limit) {
      ways.push_back(absl::StrCat(k, " dies per package (dies_per_package=", k, ")"));
      break;
    }
  }
  absl::StatusOr<v1::ProcessNodes> nodes = BundledNodes();
  if (nodes.ok()) {
    for (v1::ProcessNode other : nodes->nodes()) {
      MergeNodeOverride(d.node_override(), other);
      const int dies = std::max(1, d.dies_per_package());
      if (other.logic_density_mtr_per_mm2() <= n.logic_density_mtr_per_mm2()) continue;
      const double a = per_die(other, params, dies);
      if (a <= limit) {
        ways.push_back(absl::StrCat("node ", other.name(), " (", Mm2(a), ")"));
        break;
      }
    }
  }
  // Largest parameter count whose die fits, by bisection (area grows with
  // parameters).
  int64_t lo = 0, hi = params;
  const int dies = std::max(1, d.dies_per_package());
  while (hi - lo > 1000000) {
    const int64_t mid = lo + (hi - lo) / 2;
    (per_die(n, mid, dies) <= limit ? lo : hi) = mid;
  }
  // Fewer parameters only when a useful share of the model still fits.
  if (lo >= std::min<int64_t>(params / 100, int64_t{100000000})) {
    ways.push_back(absl::StrFormat(
        "at most %.2fB parameters per chip (params_per_chip), %d chips for %s",
        static_cast<double>(lo) / 1e9,
        static_cast<int>(std::ceil(static_cast<double>(m.TotalParams()) / static_cast<double>(lo))),
        m.name));
  }
  return ways.empty() ? "nothing within 64 dies, the bundled nodes or fewer parameters"
                      : absl::StrJoin(ways, "; or ");
}

// Per card, every unit busy every cycle: the PE arrays at one token per
// initiation interval (each token touching the chip's active weights), the
// attention engine and KV port at their peaks, SerDes and memory at line
// rate.
void DerivePower(const v1::ChipDesign& d, const model::ModelSpec& m, DerivedDesign& out) {
  const v1::HardwiredTiming& t = d.timing();
  const v1::DesignEnergy& e = d.energy();
  const double rel = out.node.relative_energy();
  const double clock_hz = t.clock_ghz() * 1e9;
  out.peak_tokens_per_s = clock_hz * t.tokens_per_pass() / t.pe_scan_cycles();
  // The average chip's share of a token's weights.
  const double active_weights =
      static_cast<double>(m.ActiveParamsPerToken()) / std::max(1, out.chips_for_model);
  // Each weight touched: its bits read from ROM, then its multiply-add.
  const double per_weight_fj = out.format.bits_per_param() * e.rom_fj_per_bit() + e.weight_mac_fj();
  const double pe_w = out.peak_tokens_per_s * active_weights * per_weight_fj * 1e-15 * rel;
  const double attention_w = (t.attention_macs_per_cycle() * e.attention_mac_fj() +
                              t.kv_read_bytes_per_cycle() * 8 * e.sram_fj_per_bit()) *
                             clock_hz * 1e-15 * rel;
  const double serdes_w =
      d.serdes_lanes() * d.serdes_gbps_per_lane() * 1e9 * e.serdes_pj_per_bit() * 1e-12;
  const v1::ExternalMemory& mem = d.external_memory();
  const double mem_w = mem.capacity_bytes() > 0
                           ? mem.bandwidth_bytes_per_s() * 8 * mem.energy_pj_per_bit() * 1e-12
                           : 0;
  const double mem_idle = mem.capacity_bytes() > 0 ? mem.watts_idle() : 0;
  const double leak = out.node.leakage_w_per_mm2() * out.area.per_die_mm2 * out.dies_per_package;
  out.idle_watts = (leak + mem_idle) / e.vr_efficiency() + e.board_watts();
  out.active_watts = (leak + mem_idle + pe_w + attention_w + serdes_w + mem_w) / e.vr_efficiency() +
                     e.board_watts();
}

void DeriveMoney(const v1::ChipDesign& d, DerivedDesign& out) {
  const v1::ProcessNode& n = out.node;
  out.dies_per_wafer = GrossDiesPerWafer(n.wafer_diameter_mm(), out.area.per_die_mm2);
  out.yield = NegativeBinomialYield(out.area.per_die_mm2, n.defect_density_per_cm2(),
                                    n.defect_clustering());
  out.cost_per_good_die_usd =
      n.wafer_price_usd() / (static_cast<double>(out.dies_per_wafer) * out.yield);
  const v1::CardCosts& c = d.card();
  const int k = out.dies_per_package;
  out.card_cost_usd =
      k * (out.cost_per_good_die_usd + c.test_usd_per_die()) + c.package_usd() +
      (k - 1) * c.package_usd_per_extra_die() + c.board_usd() +
      (d.external_memory().capacity_bytes() > 0 ? d.external_memory().price_usd() : 0);
  out.card_price_usd = out.card_cost_usd / (1 - c.gross_margin());
  out.usd_per_mask = n.full_mask_set_usd() / n.mask_count();
}

// Needs chips_for_model: every chip of the model is a distinct ROM die.
void DeriveNre(const v1::ChipDesign& d, DerivedDesign& out) {
  out.nre = {.masks_changed = d.nre().masks_changed(),
             .usd_per_mask = out.usd_per_mask,
             .wafer_run_wafers = d.nre().wafer_run_wafers(),
             .usd_per_wafer = out.node.wafer_price_usd(),
             .engineering_usd = d.nre().engineering_usd(),
             .distinct_dies = out.chips_for_model * out.dies_per_package};
  out.nre_usd = out.nre.Total();
}

absl::Status BuildSpec(const v1::ChipDesign& d, DerivedDesign& out) {
  v1::ChipSpec& s = out.spec;
  s.set_name(d.name());
  s.set_description(
      absl::StrCat(d.description(), " (derived by etchsim chips design on ", out.node.name(), ")"));
  s.set_kind(v1::ChipSpec::HARDWIRED);
  s.set_weight_format(d.weight_format());
  s.set_weight_capacity_bytes(out.rom_bytes);
  s.set_kv_dtype(d.kv_dtype());
  s.set_activation_bytes_per_element(d.activation_bytes_per_element());
  s.set_process(absl::StrCat("TSMC ", out.node.name(), " class"));
  s.set_die_area_mm2(out.area.package_mm2());
  *s.mutable_hardwired() = d.timing();
  const v1::ExternalMemory& mem = d.external_memory();
  if (mem.capacity_bytes() > 0) {
    // The KV cache lives in the memory tier; reads stream at its bandwidth
    // (or the attention engine's port, whichever is slower).
    s.set_kv_capacity_bytes(mem.capacity_bytes());
    s.mutable_hardwired()->set_kv_read_bytes_per_cycle(
        std::min(d.timing().kv_read_bytes_per_cycle(),
                 mem.bandwidth_bytes_per_s() / (d.timing().clock_ghz() * 1e9)));
  } else {
    s.set_kv_capacity_bytes(d.kv_sram_bytes());
  }
  s.mutable_power()->set_idle_watts(out.idle_watts);
  s.mutable_power()->set_active_watts(out.active_watts);
  s.mutable_power()->set_server_overhead_watts(d.server_overhead_watts());
  s.mutable_cost()->set_card_price_usd(out.card_price_usd);
  s.mutable_cost()->set_server_price_usd(d.server_price_usd());
  s.mutable_cost()->set_cards_per_server(d.cards_per_server());
  v1::Provenance* p = s.add_sources();
  p->set_field("weight_capacity_bytes, kv_capacity_bytes, hardwired, power, cost");
  p->set_source(absl::StrCat("Derived from design \"", d.name(), "\" on ", out.node.name(),
                             " by etchsim chips design (docs/silicon.md)"));
  p->set_assumption(true);
  return chip::ValidateChipSpec(s, absl::StrCat("design ", d.name(), ": derived ChipSpec"));
}

// Every numeric field of `o` above 0 replaces the node's (ValidateDesign
// checked they are finite and >= 0).
void MergeNodeOverride(const v1::ProcessNode& o, v1::ProcessNode& n) {
  const google::protobuf::Reflection* r = o.GetReflection();
  const google::protobuf::Descriptor* desc = o.GetDescriptor();
  for (int i = 0; i < desc->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = desc->field(i);
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) {
      if (const double v = r->GetDouble(o, f); v > 0) n.GetReflection()->SetDouble(&n, f, v);
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT32) {
      if (const int32_t v = r->GetInt32(o, f); v > 0) n.GetReflection()->SetInt32(&n, f, v);
    }
  }
}

}  // namespace

int64_t GrossDiesPerWafer(double wafer_diameter_mm, double die_area_mm2) {
  if (!(die_area_mm2 > 0) || !std::isfinite(die_area_mm2)) return 0;
  const double r = wafer_diameter_mm / 2;
  const double n = std::numbers::pi * r * r / die_area_mm2 -
                   std::numbers::pi * wafer_diameter_mm / std::sqrt(2 * die_area_mm2);
  return n < 1 ? 0 : static_cast<int64_t>(std::floor(n));
}

double NegativeBinomialYield(double die_area_mm2, double d0_per_cm2, double alpha) {
  return std::pow(1 + die_area_mm2 / 100 * d0_per_cm2 / alpha, -alpha);
}

double SramAreaMm2(double bits, const v1::ProcessNode& n) {
  return bits * n.sram_bitcell_um2() * 1e-6 / n.sram_array_efficiency();
}

double LogicAreaMm2(double transistors, const v1::ProcessNode& n) {
  return transistors / (n.logic_density_mtr_per_mm2() * 1e6 * n.logic_utilization());
}

absl::StatusOr<double> RomDensityFromDie(const v1::ChipDesign& d, const v1::ProcessNode& n,
                                         double die_area_mm2) {
  ASSIGN_OR_RETURN(model::ModelSpec m, model::LoadModel(d.model()));
  ASSIGN_OR_RETURN(model::WeightFormat f, model::FindWeightFormat(d.weight_format()));
  ASSIGN_OR_RETURN(int64_t params, ParamsPerChip(d, m));
  const Blocks b = BlocksOf(d, n, params, 1);
  const double rom_mm2 = die_area_mm2 * (1 - d.overhead_fraction()) - b.io_per_die_mm2 -
                         b.sram_mm2 - b.pe_mm2 - b.attention_mm2;
  if (!(rom_mm2 > 0)) {
    return absl::FailedPreconditionError(
        absl::StrCat("design ", d.name(), ": the other blocks fill the ", Mm2(die_area_mm2),
                     " die: no area is left for ROM"));
  }
  return static_cast<double>(f.BytesFor(params)) * 8 / rom_mm2;
}

absl::StatusOr<double> DefaultRomDensity(const v1::ProcessNode& n) {
  // HC1's density on N6, derived once from its bundled design.
  static const absl::StatusOr<std::pair<double, double>>* hc1 = [] {
    auto* r = new absl::StatusOr<std::pair<double, double>>;
    absl::StatusOr<v1::ChipDesign> d = LoadDesign("hc1");
    absl::StatusOr<v1::ProcessNode> n6 = FindNode("N6");
    if (!d.ok() || !n6.ok()) {
      *r = !d.ok() ? d.status() : n6.status();
      return r;
    }
    absl::StatusOr<double> density = RomDensityFromDie(*d, *n6, kHc1DieMm2);
    if (!density.ok()) {
      *r = density.status();
    } else {
      *r = std::pair{*density, n6->logic_density_mtr_per_mm2()};
    }
    return r;
  }();
  if (!hc1->ok()) return hc1->status();
  return (*hc1)->first * n.logic_density_mtr_per_mm2() / (*hc1)->second;
}

absl::StatusOr<DerivedDesign> Derive(const v1::ChipDesign& d, const model::ModelSpec& m) {
  RETURN_IF_ERROR(ValidateDesign(d, absl::StrCat("design ", d.name())));
  DerivedDesign out;
  out.design = d;
  ASSIGN_OR_RETURN(out.node, FindNode(d.node()));
  if (d.has_node_override()) {
    MergeNodeOverride(d.node_override(), out.node);
    RETURN_IF_ERROR(ValidateNode(out.node, absl::StrCat("design ", d.name(), ": node_override")));
  }
  ASSIGN_OR_RETURN(out.format, model::FindWeightFormat(d.weight_format()));
  ASSIGN_OR_RETURN(out.params_per_chip, ParamsPerChip(d, m));
  out.rom_bytes = out.format.BytesFor(out.params_per_chip);
  ASSIGN_OR_RETURN(out.rom_bits_per_mm2, RomDensityOf(d, out.node));
  out.design.set_rom_bits_per_mm2(out.rom_bits_per_mm2);
  const double rom_bits = static_cast<double>(out.rom_bytes) * 8;
  const double rom_mm2 = rom_bits / out.rom_bits_per_mm2;
  // A die never passes the reticle, whatever budget the design allows.
  const bool budget_binds =
      d.die_area_budget_mm2() > 0 && d.die_area_budget_mm2() < out.node.reticle_limit_mm2();
  const double limit = budget_binds ? d.die_area_budget_mm2() : out.node.reticle_limit_mm2();
  int dies = d.dies_per_package();
  if (dies == 0) {  // the fewest dies that fit
    for (dies = 1; dies < kMaxDiesPerPackage; ++dies) {
      if (PerDieMm2(BlocksOf(d, out.node, out.params_per_chip, dies), rom_mm2,
                    d.overhead_fraction(), dies) <= limit) {
        break;
      }
    }
  }
  const Blocks b = BlocksOf(d, out.node, out.params_per_chip, dies);
  const double per_die = PerDieMm2(b, rom_mm2, d.overhead_fraction(), dies);
  if (per_die > limit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "design ", d.name(), ": a die of ", Mm2(per_die), " (", dies, " per package, ",
        base::HumanCount(static_cast<double>(out.params_per_chip)), " parameters", ") exceeds the ",
        budget_binds ? "die_area_budget_mm2 of " : "reticle limit of ", Mm2(limit), " on ",
        out.node.name(), "; it would fit with ",
        WhatFits(d, out.node, m, out.params_per_chip, limit)));
  }
  out.dies_per_package = dies;
  out.design.set_dies_per_package(dies);
  out.pes = static_cast<int64_t>(b.pes);
  out.pe_lanes = b.lanes;
  out.area = {.rom_mm2 = rom_mm2,
              .sram_mm2 = b.sram_mm2,
              .pe_logic_mm2 = b.pe_mm2,
              .attention_mm2 = b.attention_mm2,
              .io_mm2 = b.io_per_die_mm2 * dies,
              .overhead_mm2 = per_die * d.overhead_fraction() * dies,
              .per_die_mm2 = per_die};
  out.rom_transistors = rom_bits * d.rom_transistors_per_bit();
  out.sram_transistors = b.sram_t;
  out.logic_transistors = b.pe_t + b.attention_t + b.serdes_t;
  out.transistors = out.rom_transistors + out.sram_transistors + out.logic_transistors;
  DeriveMoney(d, out);
  // Below one good die in a thousand the price is not a number to plan on.
  if (out.dies_per_wafer == 0 || !(out.yield >= 1e-3)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "design %s: a %s die gives %d dies per wafer at yield %.3g on %s (D0 %.3g/cm2): no good "
        "die to price",
        d.name(), Mm2(per_die), out.dies_per_wafer, out.yield, out.node.name(),
        out.node.defect_density_per_cm2()));
  }
  // The partitioner's smallest chip count for the model, from the ROM the
  // design holds.
  partitioner::ChipCapacity cap{.name = d.name(),
                                .weight_capacity_bytes = out.rom_bytes,
                                .format = out.format,
                                .activation_bytes_per_element = d.activation_bytes_per_element()};
  ASSIGN_OR_RETURN(cap.kv_dtype, model::ParseKvDtype(d.kv_dtype()));
  absl::StatusOr<v1::Plan> plan = partitioner::Partition(m, cap, "auto", {.num_chips = 0});
  if (!plan.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("design ", d.name(), ": ", m.name,
                     " does not fit chips of this ROM: ", plan.status().message()));
  }
  out.chips_for_model = plan->num_chips();
  if (out.chips_for_model > 1 && (d.serdes_lanes() == 0 || d.serdes_gbps_per_lane() == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "design ", d.name(), ": ", m.name, " needs ", out.chips_for_model,
        " chips, which talk over SerDes: serdes_lanes and serdes_gbps_per_lane must be > 0"));
  }
  DeriveNre(d, out);
  DerivePower(d, m, out);
  if (!(out.active_watts <= 1e6)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "design %s: %.3g W per card at full activity, past 1 MW: check energy.* and "
        "external_memory (bandwidth x energy_pj_per_bit)",
        d.name(), out.active_watts));
  }
  RETURN_IF_ERROR(BuildSpec(out.design, out));
  return out;
}

absl::StatusOr<DerivedDesign> DeriveWithModel(const v1::ChipDesign& d) {
  absl::StatusOr<model::ModelSpec> m = model::LoadModel(d.model());
  if (!m.ok()) {
    return absl::Status(m.status().code(),
                        absl::StrCat("design ", d.name(), ": model: ", m.status().message()));
  }
  return Derive(d, *m);
}

}  // namespace etchsim::silicon
