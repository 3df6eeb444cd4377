// From a chip design to its die, cost, power and ChipSpec: one function
// per derivation, each tested against a hand calculation
// (silicon/derive_test.cc; the model and its sources: docs/silicon.md).
//
//   ROM      bits = bytes(params_per_chip) x 8, area = bits / ROM density
//   SRAM     area = bits x bit cell / array efficiency
//   logic    PE lanes = PEs x weights_per_pe / pe_scan_cycles; transistors
//            = lanes x per lane x (1 + control) + attention MACs x per MAC
//            + SerDes; area = transistors / (logic density x utilisation)
//   die      (core / dies + I/O + SerDes / dies + die-to-die) / (1 - overhead)
//   wafer    gross dies = pi r^2 / A - pi d / sqrt(2 A)
//   yield    negative binomial (1 + A D0 / alpha)^-alpha
//   card     (dies x cost per good die + package + test + board + memory)
//            / (1 - gross margin)
//   NRE      distinct dies x masks changed x mask price + max(lot, dies)
//            wafers + engineering (cost::NreTerms)
//   power    idle = leakage x area / VR + board (+ memory); active adds
//            every unit busy every cycle: the PE arrays at one token per
//            initiation interval, the attention engine and KV port, the
//            SerDes at line rate (energies scaled by the node)
#ifndef ETCHSIM_SILICON_DERIVE_H_
#define ETCHSIM_SILICON_DERIVE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "cost/breakeven.h"
#include "model/model_spec.h"
#include "model/weight_format.h"
#include "proto/etchsim/v1/chip.pb.h"
#include "proto/etchsim/v1/silicon.pb.h"

namespace etchsim::silicon {

// Gross dies per wafer with edge loss (the standard approximation), 0 when
// the die is larger than what the formula leaves on the wafer.
int64_t GrossDiesPerWafer(double wafer_diameter_mm, double die_area_mm2);
// Negative-binomial die yield, clustering `alpha` > 0.
double NegativeBinomialYield(double die_area_mm2, double d0_per_cm2, double alpha);
double SramAreaMm2(double bits, const v1::ProcessNode& n);
double LogicAreaMm2(double transistors, const v1::ProcessNode& n);

struct AreaBreakdown {
  // Whole package (all dies) for the first four.
  double rom_mm2 = 0;
  double sram_mm2 = 0;
  double pe_logic_mm2 = 0;   // PE lanes and control
  double attention_mm2 = 0;  // the attention engine
  double io_mm2 = 0;         // SerDes, fixed I/O, memory PHY, die-to-die: all dies
  double overhead_mm2 = 0;   // all dies
  double per_die_mm2 = 0;
  double package_mm2() const {
    return rom_mm2 + sram_mm2 + pe_logic_mm2 + attention_mm2 + io_mm2 + overhead_mm2;
  }
};

struct DerivedDesign {
  v1::ChipDesign design;  // with defaults filled (ROM density, dies)
  v1::ProcessNode node;
  model::WeightFormat format;
  int64_t params_per_chip = 0;
  int64_t rom_bytes = 0;
  double rom_bits_per_mm2 = 0;
  int64_t pes = 0;
  double pe_lanes = 0;
  AreaBreakdown area;
  int dies_per_package = 1;
  double transistors = 0;
  double rom_transistors = 0, sram_transistors = 0, logic_transistors = 0;
  int64_t dies_per_wafer = 0;
  double yield = 0;
  double cost_per_good_die_usd = 0;
  double card_cost_usd = 0;  // before margin
  double card_price_usd = 0;
  double usd_per_mask = 0;
  // NRE of the model on this design: every distinct die (chips_for_model x
  // dies_per_package) with its changed masks (cost::NreTerms).
  cost::NreTerms nre;
  double nre_usd = 0;
  double peak_tokens_per_s = 0;  // one token per initiation interval
  double idle_watts = 0;         // per card
  double active_watts = 0;       // per card, every unit busy
  int chips_for_model = 0;       // the partitioner's minimum
  v1::ChipSpec spec;             // what simulate/sweep/plan take
};

// ROM bits per mm² that make `d`'s die exactly `die_area_mm2` (one die):
// the die less every other block, the rest is ROM. HC1's published 815
// mm² gives the default density on N6 (docs/silicon.md §2).
absl::StatusOr<double> RomDensityFromDie(const v1::ChipDesign& d, const v1::ProcessNode& n,
                                         double die_area_mm2);

// The default ROM density on `n`: HC1's, scaled by logic density.
absl::StatusOr<double> DefaultRomDensity(const v1::ProcessNode& n);

// Everything, for `d` with model `m` (the design's model, loaded by the
// caller). FailedPrecondition when the die does not fit the reticle (or
// its area budget), naming the area, the limit and what would fit;
// InvalidArgument for a design whose weights the ROM cannot hold.
absl::StatusOr<DerivedDesign> Derive(const v1::ChipDesign& d, const model::ModelSpec& m);
// The same with the design's own model loaded (a model that does not load
// is "design NAME: model: ...").
absl::StatusOr<DerivedDesign> DeriveWithModel(const v1::ChipDesign& d);

}  // namespace etchsim::silicon

#endif  // ETCHSIM_SILICON_DERIVE_H_
